"""Atomic writes and the strict cache reader."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from _data_builders import spec_for, tiny_arrays, write_idx_dir

from steepest.datasets import _cache
from steepest.datasets._cache import (
    atomic_writer,
    check_sha256,
    data_home,
    load_arrays,
    save_arrays,
)
from steepest.datasets._errors import ChecksumError, FormatError, SourceError
from steepest.datasets._idx_dataset import load_idx_dataset


def test_atomic_writer_replaces_only_on_success(tmp_path):
    target = tmp_path / "data.bin"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_writer(target) as f:  # killed mid-write
        f.write(b"half of the new")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]  # no temp file left
    with atomic_writer(target) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new"


def test_atomic_files_get_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        save_arrays(tmp_path / "a.npz", {"x": np.zeros(2)})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.npz").stat().st_mode) == 0o644


def test_leftover_temp_file_is_never_read_as_the_cache(tmp_path):
    (tmp_path / ".cache.npz.tmp-123abc").write_bytes(b"partial")
    with pytest.raises(SourceError, match="not cached yet"):
        load_arrays(tmp_path / "cache.npz", {"x": ((None,), "uint8")})


def test_load_arrays_checks_keys_shapes_and_refuses_pickles(tmp_path):
    path = tmp_path / "c.npz"
    save_arrays(path, {"x": np.zeros((3, 4), np.uint8)})
    assert load_arrays(path, {"x": ((None, 4), "uint8")})["x"].shape == (3, 4)
    with pytest.raises(FormatError, match=r"shape \(3, 4\), want \(3, 5\)"):
        load_arrays(path, {"x": ((3, 5), "uint8")})
    with pytest.raises(FormatError, match=r"lacks arrays \['y'\]"):
        load_arrays(path, {"x": ((3, 4), "uint8"), "y": ((3,), "uint8")})
    np.savez(tmp_path / "obj.npz", x=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(FormatError, match="damaged cache file"):
        load_arrays(tmp_path / "obj.npz", {"x": ((1,), "uint8")})


def test_check_sha256(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    check_sha256(path, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
    with pytest.raises(ChecksumError, match=r"expected 0{64}, got ba7816bf"):
        check_sha256(path, "0" * 64)
    check_sha256(path, None)


def test_data_home_argument_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("STEEPEST_DATA", "/somewhere/else")
    assert data_home(tmp_path) == tmp_path
    assert str(data_home()) == "/somewhere/else"


def test_unwritable_cache_only_warns_and_the_data_is_still_returned(tmp_path, monkeypatch):
    def disk_full(path, arrays):
        raise OSError(28, "No space left on device")

    arrays = tiny_arrays()
    monkeypatch.setattr(_cache, "save_arrays", disk_full)
    with pytest.warns(UserWarning, match="could not write the dataset cache .*No space left"):
        (x_train, _), _ = load_idx_dataset(
            spec_for(arrays),
            write_idx_dir(tmp_path / "d", arrays),
            cache_dir=tmp_path / "c",
            download=False,
        )
    np.testing.assert_array_equal(x_train, arrays["x_train"])
