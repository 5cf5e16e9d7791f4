"""A small thread pool for the convolution and pooling kernels, with BLAS kept to one thread
while it runs.

NumPy releases the GIL inside copies, ufunc loops and BLAS calls, so one kernel split into
blocks (rows of a convolution's output, channels of a pooling) runs on both cores of a 2-core
machine. OpenBLAS would otherwise start its own threads inside every block's GEMM: 2 x 2
threads on 2 cores, each waiting for the others at every block boundary. So while the blocks
run, OpenBLAS is set to one thread and set back afterwards (``openblas_set_num_threads``,
found in the library NumPy loaded); where it cannot be found, work is not split at all.

Why our threads and not OpenBLAS's for the GEMMs too: OpenBLAS's threads spin-wait at every
block boundary, so on a machine with other work running a GEMM can take 10x its idle time
(a (64, 9216) @ (9216, 128) product, 2 threads, load 2.4: 170-340 ms; one thread: 15 ms).
Ours block in ``Future.result`` and give the core away.

>>> st.ops.threads.set_num_threads(1)   # every kernel on the calling thread (BLAS as configured)
>>> st.ops.threads.get_num_threads()
1
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

# A kernel is split only when each block gets at least this many output elements: handing a
# block to a thread costs ~30 us, a block this size ~100 us of copying.
MIN_ELEMENTS_PER_BLOCK = 1 << 15


def _default_threads() -> int:
    env = os.environ.get("STEEPEST_NUM_THREADS")
    if env:
        if not env.strip().isdigit() or int(env) < 1:
            raise ValueError(f"STEEPEST_NUM_THREADS must be a positive integer, got {env!r}")
        return int(env)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, 8)


_num_threads = _default_threads()
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()  # one split region at a time: BLAS's thread count is process-wide
_blas: tuple[Callable[[int], Any], Callable[[], int]] | bool | None = None  # False: not found


def _forget_after_fork() -> None:
    """A forked child (a DataLoader worker) has the pool object but none of its threads:
    work submitted there would wait forever, so the child starts its own on first use."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def get_num_threads() -> int:
    """Threads the convolution and pooling kernels use (the calling one included)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads in convolution and pooling kernels (1: no threads of our own)."""
    global _num_threads, _pool
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"ops.set_num_threads: expected an int >= 1, got {n!r}")
    _num_threads = n
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def _find_blas() -> tuple[Callable[[int], Any], Callable[[], int]] | None:
    """(set_num_threads, get_num_threads) of the OpenBLAS that NumPy loaded, or None."""
    names = [("openblas_set_num_threads", "openblas_get_num_threads")]
    names += [(f"{p}openblas_set_num_threads{s}", f"{p}openblas_get_num_threads{s}")
              for p in ("scipy_", "") for s in ("64_", "_64", "")]  # fmt: skip
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in names:
            setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                return setter, getter
    return None


def _blas_controls() -> tuple[Callable[[int], Any], Callable[[], int]] | None:
    global _blas
    if _blas is None:
        np.dot(np.ones((2, 2)), np.ones((2, 2)))  # make sure BLAS is loaded and mapped
        _blas = _find_blas() or False
    return _blas or None


def parts(elements: int, limit: int) -> int:
    """How many blocks to cut a kernel of ``elements`` output elements into (at most
    ``limit``, e.g. the rows there are): 1 means run it on the calling thread."""
    if _num_threads == 1:
        return 1
    return max(1, min(_num_threads, limit, elements // MIN_ELEMENTS_PER_BLOCK))


def ranges(size: int, pieces: int) -> list[tuple[int, int]]:
    """``[0, size)`` cut into ``pieces`` contiguous near-equal ranges."""
    bounds = [size * i // pieces for i in range(pieces + 1)]
    return [(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    setter, getter = _blas_controls()  # type: ignore[misc]
    before = getter()
    setter(1)
    try:
        yield
    finally:
        setter(before)


def run(tasks: Sequence[Callable[[], Any]]) -> list[Any]:
    """Call every task, the first on the calling thread and the rest on the pool, with BLAS on
    one thread meanwhile; their results in order. One task, no BLAS control found, or a call
    from inside a task: all run here, in order."""
    global _pool
    nested = threading.current_thread().name.startswith("steepest-ops")
    if len(tasks) == 1 or nested or _blas_controls() is None or not _lock.acquire(blocking=False):
        return [t() for t in tasks]
    try:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, _num_threads - 1), thread_name_prefix="steepest-ops")
        with _one_blas_thread():
            futures = [_pool.submit(t) for t in tasks[1:]]
            try:
                first = tasks[0]()
            finally:  # never return while a worker still writes into shared arrays
                for f in futures:
                    f.exception()
            return [first, *(f.result() for f in futures)]
    finally:
        _lock.release()
