"""Helpers for the command-line tests: run ``steepest`` in-process or as a real subprocess."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def run_process(tmp_path):
    """``run_process(*args) -> CompletedProcess`` of ``python -m steepest`` (a real process)."""

    def run(*args):
        env = {**os.environ, "PYTHONPATH": str(SRC), "STEEPEST_DATA": str(tmp_path / "data")}
        return subprocess.run(
            [sys.executable, "-m", "steepest", *map(str, args)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture
def fake_mnist(tmp_path):
    """A tiny MNIST look-alike in .npz form: uint8 28x28 images whose class is a bright row."""
    rng = np.random.default_rng(0)

    def split(n):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        x[np.arange(n), 4 + 2 * y, :] = 255  # the label is readable: a learnable signal
        return x, y

    (x_train, y_train), (x_test, y_test) = split(96), split(32)
    path = tmp_path / "fake_mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path
