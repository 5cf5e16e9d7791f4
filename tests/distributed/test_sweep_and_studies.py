"""``steepest sweep`` (worker processes and MPI ranks) and ``steepest study --mpi``."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from steepest.cli.errors import UsageError
from steepest.cli.sweep_cmd import parse_grid

SRC = Path(__file__).resolve().parents[2] / "src"
BASE = 'dataset = "spirals"\nmodel = "mlp"\nepochs = 1\nbatch_size = 100\nsubset = 400\n'


def _steepest(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "steepest", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_sweep_local_and_mpi_agree_and_a_failed_trial_is_a_row(tmp_path):
    (tmp_path / "base.toml").write_text(BASE)
    grid = ["--grid", "lr=[1e-3, 1e-2]", "--grid", "batch_size=[100, 0]"]
    local = _steepest(["sweep", "--config", "base.toml", *grid, "--seeds", "2",
                       "--workers", "2", "--out", "local"], tmp_path)
    assert local.returncode == 0, local.stderr
    assert "4 of 8 trials finished" in local.stdout
    rows = _rows(tmp_path / "local" / "sweep.csv")
    assert len(rows) == 8
    failed = [r for r in rows if r["error"]]
    assert {r["batch_size"] for r in failed} == {"0"} and len(failed) == 4
    assert all("batch-size must be an integer >= 1" in r["error"] for r in failed)
    ok = [r for r in rows if not r["error"]]
    assert {(r["lr"], r["seed"]) for r in ok} == {(lr, s) for lr in ("0.001", "0.01")
                                                  for s in ("0", "1")}
    assert all(0 < float(r["val_accuracy"]) <= 1 for r in ok)
    md = (tmp_path / "local" / "sweep.md").read_text()
    assert "| 0.001 | 0 | failed |  | 0 |" in md
    assert (tmp_path / "local" / "sweep.png").stat().st_size > 1000
    assert (tmp_path / "local" / "trials" / "lr=0.01,batch_size=100,seed=1" / "metrics.csv"
            ).is_file()

    mpi = _steepest(["sweep", "--config", "base.toml", "--grid", "lr=[1e-3, 1e-2]",
                     "--seeds", "2", "--workers", "2", "--mpi", "--out", "mpi"], tmp_path)
    assert mpi.returncode == 0, mpi.stderr
    by_mpi = {(r["lr"], r["seed"]): r["val_accuracy"] for r in _rows(tmp_path / "mpi" /
                                                                       "sweep.csv")}
    assert by_mpi == {(r["lr"], r["seed"]): r["val_accuracy"] for r in ok}


@pytest.mark.parametrize("grid, message", [
    (["lr=0.1"], "expected a non-empty list"),
    (["nonsense=[1]"], "not a recipe key"),
    (["lr=[1, 2"], "not a TOML list"),
    ([], "at least one --grid"),
])
def test_sweep_grid_errors(grid, message):
    with pytest.raises(UsageError, match=message):
        parse_grid(grid)


def _without_timing(path: Path) -> list[str]:
    skip = ("- Date:", "- Machine:", "- Settings:", "- Command:", "_Runs of this study took")
    return [line for line in path.read_text().splitlines() if not line.startswith(skip)]


def test_study_over_mpi_reports_like_worker_processes(tmp_path):
    args = ["study", "learning_rate", "--level", "tiny", "--data", "synthetic", "--workers", "2"]
    local = _steepest([*args, "--out", "local"], tmp_path)
    assert local.returncode == 0, local.stderr
    mpi = _steepest([*args, "--mpi", "--out", "mpi"], tmp_path)
    assert mpi.returncode == 0, mpi.stderr
    keys = sorted(p.name for p in (tmp_path / "local" / "cache").rglob("*.json"))
    assert len(keys) > 5
    assert sorted(p.name for p in (tmp_path / "mpi" / "cache").rglob("*.json")) == keys
    report = _without_timing(tmp_path / "local" / "learning_rate.md")
    assert any(line.startswith("| adam") for line in report)
    assert _without_timing(tmp_path / "mpi" / "learning_rate.md") == report
