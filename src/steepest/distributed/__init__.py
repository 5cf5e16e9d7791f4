"""Data-parallel training and distributed runs on MPI (``pip install 'steepest[mpi]'``).

Launch N copies of the same program; each learns its rank and trains on its shard::

    mpiexec -n 4 python -m mpi4py -m steepest train --config recipe.toml
    steepest train --processes 4 --config recipe.toml      # the same, on this machine

Always launch through ``-m mpi4py``: an exception on one rank then ends the whole job
(MPI_Abort) instead of leaving the others waiting forever in a collective.

>>> import steepest as st
>>> st.distributed.rank(), st.distributed.world_size(), st.distributed.is_main()
(0, 1, True)
"""

from ._comm import (
    abort,
    allreduce_floats,
    allreduce_sum_,
    barrier,
    broadcast_,
    broadcast_text,
    init,
    is_distributed,
    is_main,
    launched_by_mpi,
    rank,
    world_size,
)
from .ddp import DistributedOptimizer, broadcast_module
from .sampler import DistributedSampler, ShardedLoader


def __getattr__(name: str):  # SyncBatchNorm imports steepest.nn: loaded on first use
    if name in ("SyncBatchNorm", "all_reduce"):
        from . import sync_bn

        return getattr(sync_bn, name)
    raise AttributeError(f"module 'steepest.distributed' has no attribute {name!r}")


__all__ = [
    "DistributedOptimizer",
    "DistributedSampler",
    "ShardedLoader",
    "SyncBatchNorm",
    "abort",
    "all_reduce",
    "allreduce_floats",
    "allreduce_sum_",
    "barrier",
    "broadcast_",
    "broadcast_module",
    "broadcast_text",
    "init",
    "is_distributed",
    "is_main",
    "launched_by_mpi",
    "rank",
    "world_size",
]
