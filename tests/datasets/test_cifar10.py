"""CIFAR-10 from small archives in the real format, and the pickle safety guarantee."""

from __future__ import annotations

import builtins
import os
import pickle
import subprocess

import numpy as np
import pytest
from _data_builders import CIFAR_BATCHES, cifar_batch, sha256, write_cifar, write_tar_gz
from _py2pickle import py2_dumps

from steepest.datasets import cifar10
from steepest.datasets._errors import ChecksumError, NoSourceError, UnsafePickleError
from steepest.datasets._safe_pickle import safe_loads


def _expected(batches, names):
    data = np.concatenate([batches[n][b"data"] for n in names])
    labels = np.concatenate([batches[n][b"labels"] for n in names])
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def test_archive_is_decoded_to_keras_layout(tmp_path):
    archive, batches = write_cifar(tmp_path / "cifar-10-python.tar.gz", n=3)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(
        archive, cache_dir=tmp_path / "cache", download=False, sha256=None
    )
    want_x, want_y = _expected(batches, CIFAR_BATCHES[:5])
    assert x_train.shape == (15, 32, 32, 3) and x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, want_x)
    np.testing.assert_array_equal(y_train, want_y)
    assert y_train.dtype == np.int64 and x_test.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(y_test, batches["test_batch"][b"labels"])
    # the first row of a batch is the red plane: pixel (0, 1) red == data[0, 1]
    assert x_train[0, 0, 1, 0] == batches["data_batch_1"][b"data"][0, 1]
    assert x_train[0, 0, 1, 2] == batches["data_batch_1"][b"data"][0, 2048 + 1]


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_batches_pickled_by_python3_are_accepted_too(tmp_path, protocol):
    batch = cifar_batch(4, seed=9)
    overrides = {name: pickle.dumps(batch, protocol=protocol) for name in CIFAR_BATCHES}
    archive, _ = write_cifar(tmp_path / "c.tar.gz", overrides=overrides)
    (x_train, _), (x_test, _) = cifar10.load_data(
        archive, cache_dir=tmp_path, sha256=None, download=False
    )
    assert x_train.shape == (20, 32, 32, 3) and x_test.shape == (4, 32, 32, 3)


def test_pinned_archive_is_cached_by_hash_and_wrong_hash_is_rejected(tmp_path):
    archive, _ = write_cifar(tmp_path / "src" / "cifar-10-python.tar.gz")
    digest = sha256(archive.read_bytes())
    cache = tmp_path / "cache"
    first = cifar10.load_data(tmp_path / "src", cache_dir=cache, sha256=digest, download=False)
    assert (cache / "cifar10" / f"cifar10-{digest[:16]}.npz").is_file()
    archive.unlink()
    again = cifar10.load_data(cache_dir=cache, sha256=digest, download=False)
    np.testing.assert_array_equal(first[0][0], again[0][0])

    other, _ = write_cifar(tmp_path / "other.tar.gz")
    with pytest.raises(NoSourceError) as excinfo:
        cifar10.load_data(other, cache_dir=cache, download=False)  # official hash expected
    errors = dict(excinfo.value.attempts)
    assert isinstance(errors[f"path {other}"], ChecksumError)
    assert "not downloaded yet and download=False" in str(excinfo.value)


def test_extracted_batch_directory(tmp_path):
    folder = tmp_path / "x" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for i, name in enumerate(CIFAR_BATCHES):
        (folder / name).write_bytes(py2_dumps(cifar_batch(2, seed=i)))
    (x_train, _), _ = cifar10.load_data(
        tmp_path / "x", cache_dir=tmp_path, sha256=None, download=False
    )
    assert x_train.shape == (10, 32, 32, 3)


def test_official_mode_requires_ten_thousand_images_per_batch(tmp_path):
    archive, _ = write_cifar(tmp_path / "c.tar.gz")
    with pytest.raises(Exception, match="the official batches have 10000"):
        cifar10.read_archive(archive, sha256=None, official=True)


class _Payload:
    """Pickles as a call to ``func(*args)``: what an attacker would put in a batch."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker):
    return {
        "os.system": _Payload(os.system, (f"touch {marker}",)),
        "builtins.open": _Payload(builtins.open, (str(marker), "w")),
        "builtins.exec": _Payload(builtins.exec, (f"open({str(marker)!r}, 'w')",)),
        "subprocess.call": _Payload(subprocess.call, (["touch", str(marker)],)),
    }


@pytest.mark.parametrize("name", ["os.system", "builtins.open", "builtins.exec", "subprocess.call"])
@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_malicious_pickle_is_rejected_and_its_payload_never_runs(tmp_path, name, protocol):
    marker = tmp_path / "pwned"
    batch = cifar_batch(2)
    batch[b"data"] = _payloads(marker)[name]
    evil = pickle.dumps(batch, protocol=protocol)
    archive, _ = write_cifar(tmp_path / "cifar-10-python.tar.gz", overrides={"data_batch_3": evil})
    with pytest.raises(NoSourceError) as excinfo:
        cifar10.load_data(archive, cache_dir=tmp_path / "cache", sha256=None, download=False)
    exc = dict(excinfo.value.attempts)[f"path {archive}"]
    assert isinstance(exc, UnsafePickleError)
    assert "data_batch_3" in str(exc) and "only NumPy array data is allowed" in str(exc)
    assert f".{name.split('.')[1]};" in str(exc)  # the refused global is the payload's
    assert not marker.exists()
    # the same bytes through plain pickle would have run it: the test payload is real
    pickle.loads(evil)
    assert marker.exists()


def test_unpickler_rejects_object_arrays_and_odd_reconstruct_calls():
    with pytest.raises(Exception, match="not a plain numeric type"):
        safe_loads(pickle.dumps(np.array([1, "a"], dtype=object), protocol=2), "obj.pkl")
    # _reconstruct with a huge shape would allocate memory: refused
    evil = (
        b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
        b"J\x00\xca\x9a;\x85U\x01b\x87R."
    )
    with pytest.raises(Exception, match="unexpected _reconstruct arguments"):
        safe_loads(evil, "huge.pkl")
    plain = {b"a": [1, 2.5, None, True, (b"x", "y")]}
    assert safe_loads(pickle.dumps(plain, protocol=2), "ok.pkl") == plain


def test_tar_member_names_are_never_extracted_to_disk(tmp_path):
    batch = py2_dumps(cifar_batch(1))
    members = {f"cifar-10-batches-py/{n}": batch for n in CIFAR_BATCHES}
    members["../../escape.txt"] = b"should never be written"
    archive = write_tar_gz(tmp_path / "deep" / "a" / "c.tar.gz", members)
    cifar10.read_archive(archive, sha256=None, official=False)
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "deep" / "escape.txt").exists()
