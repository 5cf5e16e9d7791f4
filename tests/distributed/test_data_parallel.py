"""N ranks with global batch B train exactly like one process with batch B; shards partition
each epoch; a rank that fails ends the whole job quickly, naming itself."""

import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from steepest.data import ArrayDataset, DataLoader
from steepest.distributed import DistributedSampler, ShardedLoader

WORKER = str(Path(__file__).with_name("_worker.py"))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_n_ranks_match_one_process(mpirun, tmp_path, optimizer):
    single = tmp_path / "one.npz"
    done = mpirun(0, "equiv", optimizer, single)
    assert done.returncode == 0, done.stderr
    ref = np.load(single)
    assert int(ref["steps"]) == 27
    for n in (2, 3):
        out = tmp_path / f"n{n}.npz"
        done = mpirun(n, "equiv", optimizer, out)
        assert done.returncode == 0, done.stderr
        got = np.load(out)
        assert int(got["steps"]) == 27
        for key in ref.files:
            np.testing.assert_allclose(got[key], ref[key], rtol=0, atol=1e-6, err_msg=key)
        # the run moved the parameters far more than the tolerance: the check has teeth
        assert max(np.abs(ref[k]).max() for k in ref.files if k != "steps") > 0.1


def test_sync_batchnorm_matches_one_process_and_local_statistics_do_not(mpirun, tmp_path):
    done = mpirun(0, "batchnorm", "sync", tmp_path / "one.npz")  # one process: plain BN
    assert done.returncode == 0, done.stderr
    ref = np.load(tmp_path / "one.npz")
    assert "1.running_var" in ref.files
    for n in (2, 3):
        done = mpirun(n, "batchnorm", "sync", tmp_path / f"sync{n}.npz")
        assert done.returncode == 0, done.stderr
        got = np.load(tmp_path / f"sync{n}.npz")
        for key in ref.files:
            np.testing.assert_allclose(got[key], ref[key], rtol=0, atol=1e-6, err_msg=key)
    # DDP's default, local statistics, normalises each shard by itself: a different model
    done = mpirun(2, "batchnorm", "local", tmp_path / "local.npz")
    assert done.returncode == 0, done.stderr
    local = np.load(tmp_path / "local.npz")
    assert np.abs(local["0.weight"] - ref["0.weight"]).max() > 1e-4


@pytest.mark.parametrize("n", [2, 3])
def test_sampler_shards_partition_each_epoch(mpirun, tmp_path, n):
    done = mpirun(n, "shard", tmp_path / "s")
    assert done.returncode == 0, done.stderr
    shards = [np.load(tmp_path / f"s{r}.npz") for r in range(n)]
    loader = DataLoader(ArrayDataset(np.arange(23)), batch_size=23, shuffle=True, seed=5)
    for epoch, key in enumerate(("e0", "e1")):
        parts = [s[key] for s in shards]
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
        union = np.concatenate(parts)
        assert sorted(union.tolist()) == list(range(23))  # every example once
        order = loader.epoch_order(epoch)
        for r, part in enumerate(parts):
            np.testing.assert_array_equal(part, order[r::n])
    assert not np.array_equal(shards[0]["e0"], shards[0]["e1"])  # a new order each epoch


def test_sharded_loader_batches_are_the_global_batches():
    data = ArrayDataset(np.arange(50), np.arange(50))
    plain = DataLoader(data, batch_size=8, shuffle=True, seed=1, to_tensor=False)
    global_batches = [x for x, _ in plain]
    for n in (2, 3):
        shards = [ShardedLoader(DataLoader(data, batch_size=8, shuffle=True, seed=1,
                                           to_tensor=False), rank=r, world_size=n)
                  for r in range(n)]
        per_rank = [[x for x, _ in s] for s in shards]
        assert len({len(p) for p in per_rank}) == 1  # same step count on every rank
        # 50 = 6 * 8 + 2: the last batch (2 examples) can feed 2 ranks but not 3
        assert len(per_rank[0]) == (7 if n == 2 else 6)
        for b, batch in enumerate(global_batches[: len(per_rank[0])]):
            joined = np.concatenate([p[b] for p in per_rank])
            assert sorted(joined.tolist()) == sorted(batch.tolist())


def test_sampler_validates_rank():
    with pytest.raises(ValueError, match="rank must be an int in \\[0, 2\\)"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


LAUNCH = f"""
import sys
from steepest.distributed import launch
sys.exit(launch.run(3, [{WORKER!r}, sys.argv[1], "1"]))
"""


@pytest.mark.parametrize("how", ["raise", "kill"])
def test_a_failing_rank_ends_the_job_naming_it(tmp_path, how):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", LAUNCH, how], capture_output=True, text=True,
                          timeout=60)
    seconds = time.perf_counter() - start
    assert done.returncode != 0, done.stderr
    assert seconds < 20, (seconds, done.stderr)
    if how == "raise":
        assert "steepest: rank 1 of 3 failed: RuntimeError: deliberate failure" in done.stderr
        assert "without a Python error" not in done.stderr  # one line names the rank
    else:  # the launcher names the killed rank, watching the pids the ranks wrote
        # rank 1 is named; on a loaded machine, beside others that were gone by the first poll
        named = re.search(r"steepest: rank (\d \(pid \d+\) or )*1 \(pid \d+\)", done.stderr)
        assert named, done.stderr  # the message, should a loaded machine ever word it otherwise
