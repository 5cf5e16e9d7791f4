"""Independent tasks (study runs, sweep trials) over worker processes or MPI ranks.

``pool_map(fn, items, workers, mpi)`` yields ``(index, result)`` as tasks finish:

* ``mpi=False``: ``workers`` spawn processes on this machine, one thread each (BLAS and
  steepest's own, ``STEEPEST_NUM_THREADS=1``): one thread per process is both faster and
  fairer on a small machine;
* ``mpi=True``: ``mpi4py.futures.MPIPoolExecutor``: launched as
  ``mpiexec -n N python -m mpi4py.futures -m steepest ...``, rank 0 runs the command and
  ranks 1..N-1 run tasks, on one machine or many.

Each task runs as a world of one (``_comm.set_solo``), so a trial never tries to train
data-parallel with the pool's other ranks. ``fn`` must be importable (a module-level function).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import _comm

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "STEEPEST_NUM_THREADS")


@contextlib.contextmanager
def one_blas_thread_per_child() -> Iterator[None]:
    """Set the BLAS thread variables to 1 for processes spawned inside (they read them at
    NumPy's import), and put the parent's values back afterwards."""
    saved = {k: os.environ.get(k) for k in THREAD_VARS}
    os.environ.update({k: "1" for k in THREAD_VARS})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _solo_call(fn_item: tuple[Callable[[Any], Any], int, Any]) -> tuple[int, Any]:
    fn, index, item = fn_item
    _comm.set_solo(True)
    return index, fn(item)


def pool_map(fn: Callable[[Any], Any], items: Sequence[Any], workers: int = 1,
             mpi: bool = False) -> Iterator[tuple[int, Any]]:
    """``(index, fn(items[index]))`` in completion order; ``workers=0`` runs here, in order."""
    tasks = [(fn, i, item) for i, item in enumerate(items)]
    if not tasks:
        return
    if mpi:
        from mpi4py.futures import MPIPoolExecutor

        with MPIPoolExecutor() as pool:
            yield from pool.map(_solo_call, tasks, unordered=True)
        return
    if workers == 0:
        for task in tasks:
            yield _solo_call(task)
        return
    with one_blas_thread_per_child():
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(min(workers, len(tasks))) as pool:
            yield from pool.imap_unordered(_solo_call, tasks)


def pool_size() -> int:
    """Worker ranks of the MPI pool this command was launched with (world size - 1)."""
    c = _comm.init()
    return max(0, int(c.Get_size()) - 1)
