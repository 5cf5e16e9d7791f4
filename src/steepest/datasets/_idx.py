"""The IDX format of MNIST and Fashion-MNIST: parse, validate, encode and hash.

An IDX file is: two zero bytes, a dtype code byte, a byte with the number of
dimensions ``ndim``, ``ndim`` big-endian uint32 sizes, then the data in C order
(big-endian for multi-byte types). Files are often gzip-compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import zlib
from pathlib import Path

import numpy as np

from ._errors import FormatError, HeaderError, SourceError, TruncatedError

# dtype code -> NumPy dtype (big-endian, as stored)
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def idx_header(shape: tuple[int, ...], dtype: np.dtype | str = "u1") -> bytes:
    """The IDX header for an array of ``shape`` and ``dtype``.

    >>> idx_header((2, 3))
    b'\\x00\\x00\\x08\\x02\\x00\\x00\\x00\\x02\\x00\\x00\\x00\\x03'
    """
    dt = np.dtype(dtype)
    code = _CODES.get(dt.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {dt}")
    return bytes([0, 0, code, len(shape)]) + np.asarray(shape, dtype=">u4").tobytes()


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of ``array`` (header then big-endian data).

    >>> encode_idx(np.array([7, 2], dtype=np.uint8))[-2:]
    b'\\x07\\x02'
    """
    array = np.asarray(array)
    big = array.astype(array.dtype.newbyteorder(">"), copy=False)
    return idx_header(array.shape, array.dtype) + np.ascontiguousarray(big).tobytes()


def idx_sha256(array: np.ndarray) -> str:
    """SHA-256 of ``encode_idx(array)``, computed without building the concatenation.

    Comparing this with the published hash of an uncompressed IDX file proves that the
    decoded array is exactly the published data, whatever route it arrived by.

    >>> idx_sha256(np.zeros((1,), np.uint8))[:12]
    'dd6678dd4d4a'
    """
    array = np.asarray(array)
    digest = hashlib.sha256(idx_header(array.shape, array.dtype))
    big = np.ascontiguousarray(array.astype(array.dtype.newbyteorder(">"), copy=False))
    digest.update(memoryview(big).cast("B"))
    return digest.hexdigest()


def parse_idx(
    data: bytes,
    path: str | os.PathLike[str] = "<bytes>",
    dtype: np.dtype | str | None = None,
    ndim: int | None = None,
) -> np.ndarray:
    """Decode IDX bytes into a native-endian array, checking every header field.

    ``dtype`` and ``ndim``, when given, are what the caller expects. Raises
    ``HeaderError`` for a bad magic, an unknown or unexpected dtype code or ndim,
    ``TruncatedError`` when the data is shorter than the header announces and
    ``FormatError`` when it is longer.

    >>> parse_idx(encode_idx(np.arange(6, dtype=np.uint8).reshape(2, 3))).shape
    (2, 3)
    """
    if len(data) < 4:
        raise TruncatedError(path, f"only {len(data)} bytes, too short for an IDX header")
    if data[0] != 0 or data[1] != 0:
        raise HeaderError(path, f"bad IDX magic: first two bytes are {data[:2]!r}, want 0x0000")
    code = data[2]
    if code not in IDX_DTYPES:
        raise HeaderError(path, f"unknown IDX dtype code 0x{code:02x}")
    found = IDX_DTYPES[code]
    if dtype is not None and found.newbyteorder("=") != np.dtype(dtype).newbyteorder("="):
        raise HeaderError(
            path, f"IDX dtype code 0x{code:02x} ({found.name}), want {np.dtype(dtype).name}"
        )
    rank = data[3]
    if rank == 0:
        raise HeaderError(path, "IDX header declares 0 dimensions")
    if ndim is not None and rank != ndim:
        raise HeaderError(path, f"IDX header declares {rank} dimensions, want {ndim}")
    header_len = 4 + 4 * rank
    if len(data) < header_len:
        raise TruncatedError(
            path, f"header declares {rank} dimensions but the file has only {len(data)} bytes"
        )
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=rank, offset=4))
    expected = math.prod(shape) * found.itemsize  # Python ints: no overflow on absurd sizes
    actual = len(data) - header_len
    if actual < expected:
        raise TruncatedError(
            path, f"header says shape {shape} ({expected} data bytes) but only {actual} follow"
        )
    if actual > expected:
        raise FormatError(
            path, f"header says shape {shape} ({expected} data bytes) but {actual} follow"
        )
    array = np.frombuffer(data, dtype=found, offset=header_len).reshape(shape)
    return array.astype(found.newbyteorder("="), copy=False)


def read_idx(
    path: str | os.PathLike[str],
    dtype: np.dtype | str | None = None,
    ndim: int | None = None,
    max_bytes: int = 1 << 30,
) -> np.ndarray:
    """Read an IDX file, gzip-compressed or raw (detected from its first bytes).

    Raises ``SourceError`` when the file is missing, ``TruncatedError`` for a cut-off
    gzip stream and ``FormatError`` for a corrupt one, plus everything ``parse_idx`` raises.

    >>> x = read_idx("train-images-idx3-ubyte.gz")  # doctest: +SKIP
    >>> x.shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(path, "file not found") from exc
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc}") from exc
    if raw[:2] == _GZIP_MAGIC:
        raw = _gunzip(raw, path, max_bytes)
    return parse_idx(raw, path, dtype=dtype, ndim=ndim)


def _gunzip(raw: bytes, path: Path, max_bytes: int) -> bytes:
    """Decompress gzip bytes, turning each failure mode into a named error."""
    stream = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer (CRC, size) checked
    try:
        out = stream.decompress(raw, max_bytes)
    except zlib.error as exc:
        raise FormatError(path, f"corrupt gzip data ({exc})") from exc
    if stream.unconsumed_tail:
        raise FormatError(path, f"decompresses to more than {max_bytes} bytes")
    if not stream.eof:
        raise TruncatedError(path, "gzip stream is truncated (no end-of-stream marker)")
    if stream.unused_data:
        try:  # concatenated gzip members are legal; decode them the slow, general way
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(path, f"corrupt data after the first gzip member ({exc})") from exc
    return out
