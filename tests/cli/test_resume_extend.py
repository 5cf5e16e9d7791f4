"""``steepest resume RUN --epochs N`` on a finished run re-plans its schedule over N epochs:
from the resume step on, the lr is what a run planned for N epochs has at that step."""

import csv
import json

import pytest

RUN = ["--dataset", "moons", "--model-arg", "hidden=[8]", "--batch-size", "64", "--subset",
       "256", "--quiet"]


def _lrs(run):
    with (run / "metrics.csv").open() as f:
        return [float(r["lr"]) for r in csv.DictReader(f)]


def _batch_lrs(run):
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    return {r["step"]: r["lr"] for r in records if r["type"] == "batch"}


@pytest.mark.parametrize("scheduler", ["cosine", "onecycle", "step"])
def test_extending_a_finished_run_follows_the_longer_plan(run_cli, tmp_path, scheduler):
    short, planned = tmp_path / "short", tmp_path / "planned"
    args = [*RUN, "--scheduler", scheduler]
    assert run_cli("train", *args, "--epochs", "2", "--out", short)[0] == 0
    code, out, err = run_cli("resume", short, "--epochs", "4", "--quiet")
    assert code == 0, err
    assert "; 4 epochs in" in out
    assert run_cli("train", *args, "--epochs", "4", "--out", planned)[0] == 0
    extended, want = _lrs(short), _lrs(planned)
    assert len(extended) == 4
    assert extended[2:] == pytest.approx(want[2:], rel=1e-12, abs=1e-15)
    # every batch after the resume point trains with the longer plan's lr, the first one too
    got, ref = _batch_lrs(short), _batch_lrs(planned)
    after = [s for s in ref if s > 2 * 4]  # 4 steps per epoch (230 training examples / 64)
    assert after and [got[s] for s in after] == pytest.approx([ref[s] for s in after])
    if scheduler == "cosine":
        assert extended[1] == pytest.approx(0.0, abs=1e-12)  # the short plan had annealed to 0
        assert extended[2] > 0
