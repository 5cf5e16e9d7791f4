"""IDX encode/parse round trips and the content hash used to verify every source."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from steepest.datasets._errors import SourceError
from steepest.datasets._idx import encode_idx, idx_header, idx_sha256, parse_idx, read_idx


@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
def test_round_trip_every_idx_dtype(dtype):
    x = (np.arange(24) - 12).astype(dtype).reshape(2, 3, 4)
    back = parse_idx(encode_idx(x))
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, x)


def test_header_layout_is_big_endian():
    assert idx_header((60000, 28, 28)) == bytes.fromhex("00000803 0000ea60 0000001c 0000001c")
    assert encode_idx(np.array([1], ">i2")) == encode_idx(np.array([1], "<i2"))
    with pytest.raises(ValueError, match="cannot store"):
        idx_header((1,), np.complex64)


def test_idx_sha256_equals_hash_of_the_file_bytes():
    x = np.random.default_rng(0).integers(0, 256, (7, 5, 5), dtype=np.uint8)
    assert idx_sha256(x) == hashlib.sha256(encode_idx(x)).hexdigest()
    y = np.arange(5, dtype=np.int32)
    assert idx_sha256(y) == hashlib.sha256(encode_idx(y)).hexdigest()


def test_read_idx_raw_gzip_and_concatenated_gzip(tmp_path):
    x = np.arange(30, dtype=np.uint8).reshape(3, 10)
    data = encode_idx(x)
    (tmp_path / "raw").write_bytes(data)
    (tmp_path / "one.gz").write_bytes(gzip.compress(data))
    (tmp_path / "two.gz").write_bytes(gzip.compress(data[:11]) + gzip.compress(data[11:]))
    for name in ("raw", "one.gz", "two.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name, dtype="uint8", ndim=2), x)


def test_read_idx_missing_file_names_it(tmp_path):
    with pytest.raises(SourceError, match=r"nothere\.gz: file not found"):
        read_idx(tmp_path / "nothere.gz")
