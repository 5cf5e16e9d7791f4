"""Fixtures shared by every test directory."""

import os
import shutil

import numpy as np
import pytest

import _fake_cupy
from steepest import backend
from steepest.cli import main
from steepest.ops import fused


@pytest.fixture
def compiled_loops():
    """``compiled_loops(name, source)``: skip where there is no C compiler (the NumPy path is all
    there is), fail where there is one but ``source`` did not build (no broken build as a skip)."""

    def require(name, source):
        if fused.get(name, np.zeros(1)) is None:
            where = fused.status(source)
            if shutil.which(os.environ.get("CC", "cc")) is None:
                pytest.skip(f"no C compiler here: {where}")
            pytest.fail(f"a C compiler is here but {source} did not build: {where}")

    return require


@pytest.fixture
def without_compiler(monkeypatch, tmp_path):
    """Every compiled-loop source of ops/fused.py forgotten, with no compiler and an empty
    cache: the next use tries to build and falls back to NumPy. Restored afterwards."""
    monkeypatch.setenv("STEEPEST_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    saved = [(loops, loops.lib, loops.tried, loops.status) for loops in fused._SOURCES.values()]
    for loops, *_ in saved:
        loops.reset()
    yield
    for loops, lib, tried, status in saved:
        loops.lib, loops.tried, loops.status = lib, tried, status


@pytest.fixture
def run_cli(capsys):
    """``run_cli(*args) -> (exit code, stdout, stderr)``: the CLI in this process (fast)."""

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


DEVICES = ["cpu", "fake_cuda", pytest.param("cuda", marks=pytest.mark.gpu)]


@pytest.fixture(params=DEVICES)
def device(request, monkeypatch):
    """The device a test runs on: 'cpu', or 'cuda' backed by the CuPy stand-in (fake_cuda) or by
    CuPy on a real GPU (cuda: marked ``gpu``, skipped where CuPy finds no device). Returns the
    device name to pass to ``.to()``/``device=``."""
    if request.param == "fake_cuda":
        monkeypatch.setattr(backend, "_cupy", _fake_cupy.cupy)  # the backend's one cupy seam
        return "cuda"
    if request.param == "cuda" and not backend.is_gpu_available():
        pytest.skip("no CUDA device: CuPy missing or finds no GPU")
    return request.param
