"""Exact resume: a real run killed with SIGKILL (once in the middle of a checkpoint write),
resumed from its last checkpoint, ends bit-identical to a run that was never interrupted."""

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import steepest as st

WORKER = Path(__file__).with_name("_resume_worker.py")
SRC = Path(__file__).resolve().parents[2] / "src"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def _start(out, *args):
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    return subprocess.Popen([sys.executable, str(WORKER), str(out), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run_until(proc, line, timeout=30.0):
    """Read the worker's output until ``line`` (then SIGKILL it) or until it exits."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        if not sel.select(timeout=deadline - time.monotonic()):
            break
        text = proc.stdout.readline()
        if not text:  # exited
            proc.wait()
            assert proc.returncode == 0, proc.stderr.read()
            return seen
        seen.append(text.strip())
        if text.strip() == line:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return seen
    proc.kill()
    raise AssertionError(f"worker timed out waiting for {line!r}; output {seen}")


def test_killed_runs_resume_bit_identical(tmp_path):
    ref, run = tmp_path / "ref", tmp_path / "run"
    reference = _start(ref)
    assert _run_until(reference, "never")[-1] == "done"

    ckpt = run / "ckpt"

    def saved_step():
        return st.train.load_checkpoint(ckpt / "last.safetensors")["trainer"]["step"]

    # SIGKILL lands a little after the line is read: wherever the run is by then
    out = _run_until(_start(run), "step 5")  # in epoch 0 (8 steps per epoch, saves every 3)
    assert out[-1] == "step 5"
    start = saved_step()
    out = _run_until(_start(run, "--resume"), "step 14")  # in epoch 1
    assert out[0] == f"step {start + 1}" and out[-1] == "step 14"
    # killed while writing its 2nd last.safetensors: temp file complete, not yet renamed
    start = saved_step()
    out = _run_until(_start(run, "--resume", "--pause-at-save", "2"), "saving")
    assert out[0] == f"step {start + 1}" and out[-1] == "saving"
    torn = int(out[-2].split()[1])
    assert any(p.name.startswith(".last.safetensors.") for p in ckpt.iterdir())
    start = saved_step()  # the previous checkpoint, intact
    assert start < torn
    out = _run_until(_start(run, "--resume"), "never")  # finishes
    assert out[0] == f"step {start + 1}" and out[-2:] == ["step 32", "done"]
    assert not any(p.name.endswith(".tmp") for p in ckpt.iterdir())

    want = st.train.load_checkpoint(ref / "final.safetensors")
    got = st.train.load_checkpoint(run / "final.safetensors")
    for name, array in want["model"].items():
        assert np.array_equal(got["model"][name], array), name
    assert got["step"] == want["step"] == 4 * 8  # batches seen == epochs x batches per epoch
    assert len(got["seen"]) == 32 and got["seen"] == want["seen"]
    assert len(set(got["seen"])) == 32  # each batch of each epoch exactly once
    assert got["history"] == want["history"]
