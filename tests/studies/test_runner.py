"""The config-hash cache and the job runner (no training: cached records only)."""

import json

import pytest

from steepest.studies import module
from steepest.studies.runner import (
    Context,
    cache_path,
    config_key,
    read_cached,
    run_jobs,
    write_cached,
)


def test_key_is_stable_and_order_free():
    a = config_key("epochs", {"seed": 0, "epochs": 2})
    assert a == config_key("epochs", {"epochs": 2, "seed": 0})
    assert len(a) == 16 and int(a, 16) >= 0


def test_key_changes_with_config_and_study():
    base = config_key("epochs", {"seed": 0})
    assert config_key("epochs", {"seed": 1}) != base
    assert config_key("dropout", {"seed": 0}) != base


def test_cache_roundtrip_and_corrupt_file(tmp_path):
    cfg = {"seed": 3}
    assert read_cached(tmp_path, "epochs", cfg) is None
    write_cached(tmp_path, "epochs", cfg, {"config": cfg, "result": {"x": 1.5}, "wall_s": 0.1})
    assert read_cached(tmp_path, "epochs", cfg)["result"] == {"x": 1.5}
    cache_path(tmp_path, "epochs", cfg).write_text("{truncated")
    assert read_cached(tmp_path, "epochs", cfg) is None  # unreadable: run again


def test_run_jobs_reads_cache_instead_of_running(tmp_path):
    cfg = {"not": "a real config"}  # running it would raise: the cache must answer
    record = {"config": cfg, "result": {"marker": 42}, "wall_s": 0.0}
    write_cached(tmp_path, "epochs", cfg, record)
    out = run_jobs([("epochs", cfg), ("epochs", cfg)], tmp_path, workers=0, progress=False)
    assert [r["result"]["marker"] for r in out] == [42, 42]


def test_run_jobs_runs_and_caches(tmp_path):
    ctx = Context(level="tiny", data="synthetic", seeds=1, out=tmp_path)
    cfg = module("epochs").configs(ctx)[0]
    [record] = run_jobs([("epochs", cfg)], tmp_path, workers=0, progress=False)
    assert len(record["result"]["train_loss"]) == cfg["epochs"]
    stored = json.loads(cache_path(tmp_path, "epochs", cfg).read_text())
    assert stored["result"] == record["result"]


def test_unknown_study():
    with pytest.raises(ValueError, match="unknown study 'nope'"):
        module("nope")
