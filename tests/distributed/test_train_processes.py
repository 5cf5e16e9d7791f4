"""``steepest train --processes N``: the same run as one process; a killed rank stops the job,
the last checkpoint survives, and ``steepest resume`` continues from it."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from steepest.train.checkpoint import load_checkpoint

SRC = Path(__file__).resolve().parents[2] / "src"
RECIPE = ["--dataset", "spirals", "--model", "mlp", "--batch-size", "64", "--quiet"]


def _steepest(args, cwd, env=None, **kw):
    env = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
    return subprocess.run([sys.executable, "-m", "steepest", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120, **kw)


def _metrics(run: Path) -> list[dict[str, float]]:
    with open(run / "metrics.csv") as f:
        return [{k: float(v) for k, v in row.items() if v} for row in csv.DictReader(f)]


def test_two_processes_train_like_one(tmp_path):
    one = _steepest(["train", *RECIPE, "--epochs", "2", "--out", "one"], tmp_path)
    assert one.returncode == 0, one.stderr
    two = _steepest(["train", *RECIPE, "--epochs", "2", "--out", "two", "--processes", "2"],
                    tmp_path)
    assert two.returncode == 0, two.stderr
    assert two.stdout.count("test accuracy") == 1  # rank 0 alone prints
    a, b = _metrics(tmp_path / "one"), _metrics(tmp_path / "two")
    assert len(a) == len(b) == 2
    for ra, rb in zip(a, b, strict=True):  # float32 training: equal to rounding
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert abs(ra[key] - rb[key]) < 1e-5, (key, ra[key], rb[key])


def _wait_for(check, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_killed_rank_stops_the_job_and_resume_continues(tmp_path):
    run, pids = tmp_path / "run", tmp_path / "pids"
    pids.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC), "STEEPEST_RANK_PIDS": str(pids)}
    job = subprocess.Popen(
        [sys.executable, "-m", "steepest", "train", *RECIPE, "--epochs", "400",
         "--scheduler", "none", "--out", str(run), "--processes", "2"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: (run / "metrics.csv").is_file()
                         and len(_metrics(run)) >= 2, 90), "no epoch finished"
        rank1 = next(int(p.name) for p in pids.iterdir() if p.read_text() == "1")
        killed_at = time.monotonic()
        os.kill(rank1, signal.SIGKILL)
        _, err = job.communicate(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
    assert time.monotonic() - killed_at < 15
    assert job.returncode != 0
    lines = [x for x in err.splitlines() if x.startswith("steepest: rank")]
    # one line naming the killed rank (beside rank 0 if Hydra had stopped it by the first poll)
    assert len(lines) == 1 and f" 1 (pid {rank1})" in lines[0], err
    assert "of 2 ended without a Python error" in lines[0], err
    # the last checkpoint is intact and `resume` continues from it, on two ranks again
    state = load_checkpoint(run / "checkpoints" / "last.safetensors")  # verifies its SHA-256
    done = int(state["trainer"]["epoch"])
    assert done >= 1
    resumed = _steepest(["resume", run, "--epochs", done + 2, "--processes", "2"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done + 2} epochs in" in resumed.stdout
    rows = _metrics(run)
    assert [int(r["epoch"]) for r in rows][-2:] == [done, done + 1]
    assert np.isfinite(rows[-1]["val_loss"])


def test_global_batch_smaller_than_the_rank_count_is_one_line(tmp_path):
    done = _steepest(["train", *RECIPE[:4], "--batch-size", "1", "--epochs", "1",
                      "--processes", "2"], tmp_path)
    assert done.returncode == 2
    assert "--batch-size 1 is the global batch: it must be at least the number of processes (2)" \
        in done.stderr
    assert "Traceback" not in done.stderr


def test_ranks_share_the_cores_between_their_threads(monkeypatch):
    """N ranks on this machine each get cores // N threads: BLAS's and steepest's own (conv
    kernels, optimizer), unless the user chose; pools' tasks get exactly what they ask."""
    from steepest.distributed import launch

    for key in ("OPENBLAS_NUM_THREADS", "STEEPEST_NUM_THREADS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    env = launch.rank_env(2)
    assert env["OPENBLAS_NUM_THREADS"] == env["STEEPEST_NUM_THREADS"] == "2"
    monkeypatch.setenv("STEEPEST_NUM_THREADS", "3")
    assert launch.rank_env(2)["STEEPEST_NUM_THREADS"] == "3"  # the user's choice stands
    assert launch.rank_env(2, threads=1)["STEEPEST_NUM_THREADS"] == "1"
