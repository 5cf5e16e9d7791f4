"""Where datasets live on disk, and how files get there without ever being half-written.

The data home is ``$STEEPEST_DATA`` if set, else ``~/.cache/steepest``; each dataset
has its own sub-directory. Every write goes through ``steepest.atomic.atomic_writer``: a
process killed mid-write leaves at most a ``.tmp-*`` file that no loader ever reads, never a
truncated file under the real name.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import numpy as np

from ..atomic import atomic_writer
from ._errors import ChecksumError, DatasetError, FormatError, NoSourceError, SourceError

DEFAULT_TIMEOUT = 10.0  # seconds; a closed network should fail fast, not hang
_CHUNK = 1 << 20


def data_home(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The root directory for cached datasets.

    >>> str(data_home("/tmp/my-data"))
    '/tmp/my-data'
    >>> root = data_home()  # $STEEPEST_DATA, else ~/.cache/steepest
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("STEEPEST_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "steepest"


def dataset_dir(name: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``data_home(cache_dir) / name``, created if needed."""
    path = data_home(cache_dir) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(path: str | os.PathLike[str], expected: str | None) -> None:
    """Raise ``ChecksumError`` unless the file hashes to ``expected`` (``None`` skips)."""
    if expected is None:
        return
    actual = sha256_file(path)
    if actual != expected.lower():
        raise ChecksumError(path, expected.lower(), actual)


def download(
    url: str,
    dest: str | os.PathLike[str],
    sha256: str | None,
    timeout: float = DEFAULT_TIMEOUT,
    opener: Callable[..., IO[bytes]] | None = None,
) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying the SHA-256 before the rename.

    Raises ``SourceError`` when the URL cannot be fetched and ``ChecksumError`` when the
    bytes differ; in both cases ``dest`` does not appear.

    >>> download("https://example.org/f.gz", "/tmp/f.gz", sha256=None)  # doctest: +SKIP
    PosixPath('/tmp/f.gz')
    """
    dest = Path(dest)
    open_url = opener or urllib.request.urlopen
    digest = hashlib.sha256()
    try:
        with open_url(url, timeout=timeout) as response, atomic_writer(dest) as out:
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            actual = digest.hexdigest()
            if sha256 is not None and actual != sha256.lower():
                raise ChecksumError(url, sha256.lower(), actual)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(url, f"download failed: {reason}") from exc
    return dest


ArraySpec = Mapping[str, tuple[tuple[int | None, ...], str]]


def save_arrays(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """Write arrays to an uncompressed ``.npz`` atomically (uncompressed loads fastest)."""
    with atomic_writer(path) as f:
        np.savez(f, **arrays)


def save_cache(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """``save_arrays``, but a cache that cannot be written (read-only home, full disk) only
    warns: the verified data is still returned to the caller, it is just not remembered."""
    try:
        save_arrays(path, arrays)
    except OSError as exc:
        warnings.warn(f"could not write the dataset cache {path}: {exc}", stacklevel=3)


def load_arrays(path: str | os.PathLike[str], spec: ArraySpec) -> dict[str, np.ndarray]:
    """Load a cache ``.npz`` (never with pickle) and check its keys, shapes and dtypes.

    ``spec`` maps each key to ``(shape, dtype)``; ``None`` in a shape matches any size.
    Raises ``SourceError`` if the file is absent, ``FormatError`` if it is damaged.

    >>> save_arrays("/tmp/c.npz", {"y": np.arange(3)})
    >>> load_arrays("/tmp/c.npz", {"y": ((None,), "int64")})["y"]
    array([0, 1, 2])
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(path, "not cached yet")
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = sorted(set(spec) - set(npz.files))
            if missing:
                raise FormatError(path, f"cache lacks arrays {missing}")
            for key, (shape, dtype) in spec.items():
                array = npz[key]
                if array.dtype != np.dtype(dtype):
                    raise FormatError(path, f"cached {key!r} has dtype {array.dtype}, want {dtype}")
                if len(array.shape) != len(shape) or any(
                    want is not None and got != want
                    for got, want in zip(array.shape, shape, strict=True)
                ):
                    raise FormatError(path, f"cached {key!r} has shape {array.shape}, want {shape}")
                out[key] = array
    except FormatError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise FormatError(path, f"damaged cache file ({type(exc).__name__}: {exc})") from exc
    return out


Source = tuple[str, Callable[[], dict[str, np.ndarray]]]  # (description, fetch)


def first_source(
    name: str, cache: Path | None, read_cache: Callable[[], dict[str, np.ndarray]],
    sources: list[Source],
) -> dict[str, np.ndarray]:
    """The cache if it verifies, else the first source that loads (then cached atomically).

    Every failure is kept; if nothing works, ``NoSourceError`` lists each source and why.
    """
    attempts: list[tuple[str, BaseException]] = []
    if cache is not None:
        try:
            return read_cache()
        except DatasetError as exc:
            attempts.append((f"cache {cache}", exc))
    for description, fetch in sources:
        try:
            arrays = fetch()
        except DatasetError as exc:
            attempts.append((description, exc))
            continue
        if cache is not None:
            save_cache(cache, arrays)
        return arrays
    raise NoSourceError(name, attempts)


def fetch_archive(url: str, dest: Path, sha256: str, allowed: bool) -> Path:
    """``dest``, downloaded from ``url`` (and verified) unless it is already there."""
    if not dest.is_file():
        if not allowed:
            raise SourceError(url, "not downloaded yet and download=False")
        download(url, dest, sha256)
    return dest
