"""Programs the distributed tests start under ``mpiexec -n N python -m mpi4py`` (or alone).

``equiv OPTIMIZER OUT.npz``: train a float64 MLP on 100 examples, global batch 12, 3 epochs
(27 steps; the last batch of each epoch has 4 examples, uneven over 3 ranks), write rank 0's
final parameters. ``batchnorm sync|local OUT.npz``: a model with batch norm (SyncBatchNorm
or per-rank statistics).
``shard OUT_PREFIX``: each rank writes the indices it read in two epochs.
``raise RANK`` / ``kill RANK``: that rank fails at its third allreduce.
"""

import os
import signal
import sys

import numpy as np

import steepest as st
from steepest import distributed as dist
from steepest.data import ArrayDataset, DataLoader


def _model() -> st.nn.Module:
    st.manual_seed(1000 + dist.rank())  # different per rank: the broadcast must fix it
    return st.nn.Sequential(st.nn.Linear(5, 16), st.nn.Tanh(), st.nn.Linear(16, 3))


def _data() -> ArrayDataset:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 5))
    y = rng.integers(0, 3, 100)
    return ArrayDataset(x, y)


def equiv(name: str, out: str) -> None:
    st.set_default_dtype(np.float64)
    model = _model()
    inner = {"sgd": lambda p: st.optim.SGD(p, lr=0.1, momentum=0.9),
             "adam": lambda p: st.optim.Adam(p, lr=0.01)}[name](model.parameters())
    opt = dist.DistributedOptimizer(inner, model)
    loader = dist.ShardedLoader(DataLoader(_data(), batch_size=12, shuffle=True, seed=3), opt)
    steps = 0
    for _ in range(3):
        for x, y in loader:
            opt.zero_grad()
            st.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            steps += 1
    if dist.is_main():
        arrays = {k: np.asarray(v) for k, v in model.state_dict().items()}
        np.savez(out, steps=steps, **arrays)


def batchnorm(kind: str, out: str) -> None:
    """A model with batch norm, 96 examples, global batch 12: ``sync`` converts it to
    SyncBatchNorm under MPI, ``local`` keeps per-rank statistics (the default)."""
    st.set_default_dtype(np.float64)
    st.manual_seed(7)
    model = st.nn.Sequential(st.nn.Linear(5, 8), st.nn.BatchNorm1d(8), st.nn.Tanh(),
                             st.nn.Linear(8, 3))
    if kind == "sync":
        model = dist.SyncBatchNorm.convert_sync_batchnorm(model)
    opt = dist.DistributedOptimizer(st.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                                    model)
    rng = np.random.default_rng(0)
    data = ArrayDataset(rng.standard_normal((96, 5)) * 3 + 1, rng.integers(0, 3, 96))
    loader = dist.ShardedLoader(DataLoader(data, batch_size=12, shuffle=True, seed=3), opt)
    for _ in range(2):
        for x, y in loader:
            opt.zero_grad()
            st.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    if dist.is_main():
        np.savez(out, **{k: np.asarray(v) for k, v in model.state_dict().items()})


def shard(prefix: str) -> None:
    sampler = dist.DistributedSampler(range(23), shuffle=True, seed=5)
    seen = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        seen.append(np.asarray(list(sampler)))
    np.savez(f"{prefix}{dist.rank()}.npz", e0=seen[0], e1=seen[1])


def fail(how: str, who: int) -> None:
    buf = np.ones(4)
    for i in range(1000):
        if i == 2 and dist.rank() == who:
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError(f"deliberate failure on rank {who}")
        dist.allreduce_sum_(buf)
        buf[:] = 1


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "equiv":
        equiv(*args)
    elif mode == "batchnorm":
        batchnorm(*args)
    elif mode == "shard":
        shard(*args)
    else:
        fail(mode, int(args[0]))
