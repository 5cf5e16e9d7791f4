"""CIFAR-10: 50,000 training and 10,000 test colour images, 32 x 32 x 3, 10 classes.

Read from the official "python version" archive ``cifar-10-python.tar.gz`` (a path you
give, the cache, or the canonical URL). Its six batches are pickles; they are read with
a restricted unpickler (``_safe_pickle``) that never executes code from the file, and
each batch is checked for the expected keys, shapes and label range. Members are read
straight from the tar stream, nothing is extracted to disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ._cache import check_sha256, dataset_dir, fetch_archive, first_source, load_arrays
from ._errors import (
    FormatError,
    LabelError,
    ShapeError,
    SourceError,
)
from ._safe_pickle import safe_loads
from ._tar import tar_members

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE = "cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
_PIXELS = 32 * 32 * 3
_OFFICIAL_ROWS = 10000  # every official batch has 10,000 images

Splits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_data(
    path: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    sha256: str | None = SHA256,
) -> Splits:
    """Load CIFAR-10 as ``(x_train, y_train), (x_test, y_test)`` (Keras layout).

    Images are uint8 ``(N, 32, 32, 3)``, labels int64 in ``0..9`` (names in
    ``CLASS_NAMES``). ``path`` is the archive, or a directory holding it or the
    extracted ``cifar-10-batches-py``. The archive must hash to ``sha256`` (the official
    value by default); pass another hash, or ``None`` to skip the check, for a custom
    archive in the same format. Decoded arrays are cached per archive hash.

    >>> (x_train, y_train), (x_test, y_test) = st.datasets.cifar10.load_data()
    >>> x_train.shape, CLASS_NAMES[y_train[0]]
    ((50000, 32, 32, 3), 'frog')
    """
    home = dataset_dir("cifar10", cache_dir)
    cache = home / f"cifar10-{sha256[:16]}.npz" if sha256 else None
    official = sha256 == SHA256
    candidates: list[tuple[str, Any]] = []
    if path is not None:
        candidates.append((f"path {path}", lambda: _from_path(Path(path), sha256, official)))
    downloaded = home / ARCHIVE
    candidates.append(
        (f"download {URL}", lambda: _from_download(downloaded, sha256, official, download))
    )
    return _split(first_source("cifar10", cache, lambda: _from_cache(cache, official), candidates))


def _split(arrays: dict[str, np.ndarray]) -> Splits:
    return (
        (arrays["x_train"], arrays["y_train"].astype(np.int64)),
        (arrays["x_test"], arrays["y_test"].astype(np.int64)),
    )


def _from_cache(cache: Path, official: bool) -> dict[str, np.ndarray]:
    n_train = _OFFICIAL_ROWS * len(TRAIN_BATCHES) if official else None
    n_test = _OFFICIAL_ROWS if official else None
    arrays = load_arrays(
        cache,
        {
            "x_train": ((n_train, 32, 32, 3), "uint8"),
            "y_train": ((n_train,), "uint8"),
            "x_test": ((n_test, 32, 32, 3), "uint8"),
            "y_test": ((n_test,), "uint8"),
        },
    )
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(x) != len(y):
            raise ShapeError(cache, f"{split}: {len(x)} images but {len(y)} labels")
        if y.size and int(y.max()) > 9:
            raise LabelError(cache, f"{split}: label {int(y.max())} not in 0..9")
    return arrays


def _from_download(
    dest: Path, sha256: str | None, official: bool, allowed: bool
) -> dict[str, np.ndarray]:
    return read_archive(fetch_archive(URL, dest, SHA256, allowed), sha256, official)


def _from_path(path: Path, sha256: str | None, official: bool) -> dict[str, np.ndarray]:
    if path.is_dir():
        if (path / FOLDER).is_dir():
            return read_batch_dir(path / FOLDER, official)
        if (path / ARCHIVE).is_file():
            return read_archive(path / ARCHIVE, sha256, official)
        if all((path / name).is_file() for name in (*TRAIN_BATCHES, TEST_BATCH)):
            return read_batch_dir(path, official)
        raise SourceError(path, f"holds neither {ARCHIVE} nor {FOLDER}/")
    if not path.is_file():
        raise SourceError(path, "no such file or directory")
    return read_archive(path, sha256, official)


def read_archive(
    archive: Path, sha256: str | None = SHA256, official: bool = True
) -> dict[str, np.ndarray]:
    """Verify and read ``cifar-10-python.tar.gz``; returns the four arrays by name.

    >>> arrays = read_archive(Path("cifar-10-python.tar.gz"))  # doctest: +SKIP
    >>> arrays["x_train"].shape  # doctest: +SKIP
    (50000, 32, 32, 3)
    """
    check_sha256(archive, sha256)
    wanted = {f"{FOLDER}/{name}": name for name in (*TRAIN_BATCHES, TEST_BATCH)}
    raw = {
        wanted[name.removeprefix("./")]: data
        for name, data in tar_members(archive, lambda n: n.removeprefix("./") in wanted)
    }
    missing = [n for n in (*TRAIN_BATCHES, TEST_BATCH) if n not in raw]
    if missing:
        raise FormatError(archive, f"archive lacks {', '.join(f'{FOLDER}/{m}' for m in missing)}")
    return _assemble({n: (f"{archive}:{FOLDER}/{n}", data) for n, data in raw.items()}, official)


def read_batch_dir(folder: Path, official: bool = True) -> dict[str, np.ndarray]:
    """Read the six batch files from an extracted ``cifar-10-batches-py`` directory."""
    raw = {}
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        try:
            raw[name] = (os.fspath(folder / name), (folder / name).read_bytes())
        except OSError as exc:
            raise SourceError(folder / name, f"cannot read ({exc.strerror})") from exc
    return _assemble(raw, official)


def _assemble(raw: dict[str, tuple[str, bytes]], official: bool) -> dict[str, np.ndarray]:
    batches = {name: parse_batch(data, where, official) for name, (where, data) in raw.items()}
    x_train = np.concatenate([batches[n][0] for n in TRAIN_BATCHES])
    y_train = np.concatenate([batches[n][1] for n in TRAIN_BATCHES])
    x_test, y_test = batches[TEST_BATCH]
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def parse_batch(data: bytes, where: str, official: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Unpickle one batch safely and return ``(images (n, 32, 32, 3) uint8, labels uint8)``.

    Raises ``UnsafePickleError`` for a pickle that names anything but array data,
    ``FormatError`` for missing keys or wrong types, ``ShapeError`` for wrong shapes
    and ``LabelError`` for labels outside ``0..9``.

    >>> x, y = parse_batch(open("data_batch_1", "rb").read(), "data_batch_1")  # doctest: +SKIP
    >>> x.shape  # doctest: +SKIP
    (10000, 32, 32, 3)
    """
    obj = safe_loads(data, where)
    if not isinstance(obj, dict):
        raise FormatError(where, f"batch is a {type(obj).__name__}, want a dict")
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}
    for key in ("data", "labels"):
        if key not in batch:
            raise FormatError(where, f"batch lacks the key '{key}' (has {sorted(map(str, batch))})")
    images, labels = batch["data"], batch["labels"]
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        kind = images.dtype if isinstance(images, np.ndarray) else type(images).__name__
        raise FormatError(where, f"'data' is {kind}, want a uint8 array")
    if images.ndim != 2 or images.shape[1] != _PIXELS:
        raise ShapeError(where, f"'data' has shape {images.shape}, want (n, {_PIXELS})")
    if not isinstance(labels, list | np.ndarray) or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in labels
    ):
        raise FormatError(where, "'labels' must be a list of integers")
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(y) != len(images):
        raise ShapeError(where, f"{len(images)} images but {len(y)} labels")
    if official and len(y) != _OFFICIAL_ROWS:
        raise ShapeError(where, f"{len(y)} images, the official batches have {_OFFICIAL_ROWS}")
    bad = (y < 0) | (y > 9)
    if bad.any():
        i = int(np.argmax(bad))
        raise LabelError(where, f"label {int(y[i])} at index {i} is not in 0..9")
    x = images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # CHW rows -> Keras NHWC
    return np.ascontiguousarray(x), y.astype(np.uint8)
