"""A small thread pool for steepest's kernels (convolution, pooling, batch norm and the matrix
products of every layer), with BLAS kept to one thread while they run.

NumPy releases the GIL inside copies, ufunc loops and BLAS calls, so one kernel split into
blocks (rows of a convolution's output, channels of a pooling, rows or columns of a product)
runs on both cores of a 2-core machine. OpenBLAS would otherwise start its own threads inside
every block's GEMM: 2 x 2 threads on 2 cores. Worse, after each multi-threaded call OpenBLAS's
idle threads spin for about 0.1 s waiting for the next one, so a layer whose product ran on
OpenBLAS's threads halves the speed of the next layer that runs on ours (measured 2026-12-04 at
commit e6b9a5e: the MNIST CNN's 3x3 conv forward took 9.3 ms alone and 18 ms right after one
2-thread (64, 9216) @ (9216, 128) product). So every steepest kernel and product holds OpenBLAS
to one thread (``openblas_set_num_threads``, found in the library NumPy loaded; 0.25 us a call)
and this pool is the only source of parallelism. Where the control cannot be found, nothing
is split and BLAS keeps its own threads.

Why our threads and not OpenBLAS's: OpenBLAS's threads spin-wait, so on a machine with other
work running a GEMM can take 10x its idle time (a (64, 9216) @ (9216, 128) product, 2 threads,
load 2.4: 170-340 ms; one thread: 15 ms). Ours block on a lock and give the core away. The
price is the hand-off: about 45 us to wake a worker and hear back, so work is split only in
blocks that take well over that (MIN_ELEMENTS_PER_BLOCK, MIN_MACS_PER_BLOCK).

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
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import _aligned

# A kernel is split only when each block gets at least this many output elements: handing a
# block to a thread costs ~30 us, a block this size ~100 us of copying.
MIN_ELEMENTS_PER_BLOCK = 1 << 15


def default_threads() -> int:
    """STEEPEST_NUM_THREADS if set, else the cores this process may run on (at most 8)."""
    env = os.environ.get("STEEPEST_NUM_THREADS")
    if env:
        if not env.strip().isdigit() or int(env) < 1:
            raise ValueError(f"STEEPEST_NUM_THREADS must be a positive integer, got {env!r}")
        return int(env)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, 8)


_num_threads = default_threads()
_pool: list[_Worker] | None = None
_lock = threading.Lock()  # one split region at a time: BLAS's thread count is process-wide
_blas: tuple[Callable[[int], Any], Callable[[], int]] | bool | None = None  # False: not found
_last_split = -1e9  # time.monotonic() when a split region last ended
# How long OpenBLAS's threads spin after a call (its THREAD_TIMEOUT, 2^28 cycles) and so how
# long after our last split a product keeps to our threads (see matmul).
BLAS_SPIN_S = 0.2


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
        for worker in _pool:
            worker.stop()
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


class _Worker:
    """One pool thread. Two locks used as binary semaphores hand it a list of tasks and hand
    back their results: about 45 us a round trip, where ThreadPoolExecutor's futures took 75."""

    def __init__(self, index: int) -> None:
        self.tasks: list[Callable[[], Any]] = []
        self.results: list[Any] = []
        self.error: BaseException | None = None
        self._go, self._done = threading.Lock(), threading.Lock()
        self._go.acquire()
        self._done.acquire()
        name = f"steepest-ops-{index}"
        threading.Thread(target=self._loop, name=name, daemon=True).start()

    def _loop(self) -> None:
        while True:
            self._go.acquire()
            if self.tasks is None:  # stop()
                return
            try:
                self.results = [t() for t in self.tasks]
            except BaseException as e:  # handed to the caller, raised there
                self.error = e
            self._done.release()

    def start(self, tasks: list[Callable[[], Any]]) -> None:
        self.tasks, self.results, self.error = tasks, [], None
        self._go.release()

    def wait(self) -> list[Any]:
        self._done.acquire()
        return self.results

    def stop(self) -> None:
        self.tasks = None  # type: ignore[assignment]
        self._go.release()


def run(tasks: Sequence[Callable[[], Any]]) -> list[Any]:
    """Call every task with BLAS on one thread, the first on the calling thread and the rest on
    the pool; their results in order. The first exception is raised once every task is done.
    With one thread configured, no BLAS control found, or a call from inside a task or while
    another thread's split runs: all run here, in order (BLAS as it is)."""
    global _pool, _last_split
    nested = threading.current_thread().name.startswith("steepest-ops")
    if _num_threads == 1 or nested or _blas_controls() is None:
        return [t() for t in tasks]
    if not _lock.acquire(blocking=False):
        return [t() for t in tasks]
    try:
        with _one_blas_thread():
            if len(tasks) == 1:
                return [tasks[0]()]
            if _pool is None:
                _pool = [_Worker(i + 1) for i in range(max(1, _num_threads - 1))]
            shares = [list(tasks[1 + i :: len(_pool)]) for i in range(len(_pool))]
            busy = [(w, share) for w, share in zip(_pool, shares, strict=True) if share]
            for worker, share in busy:
                worker.start(share)
            try:
                first = tasks[0]()
            finally:  # never return while a worker still writes into shared arrays
                done = [worker.wait() for worker, _ in busy]
                _last_split = time.monotonic()
            for worker, _ in busy:
                if worker.error is not None:
                    raise worker.error
            results = [first, *([None] * (len(tasks) - 1))]
            for i, out in enumerate(done):
                results[1 + i :: len(_pool)] = out
            return results
    finally:
        _lock.release()


# A product is split only when each block gets at least this many multiply-adds (about
# 0.1 ms on one core, twice the hand-off).
MIN_MACS_PER_BLOCK = 1 << 22


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b``, on our threads when our threads are in use: BLAS on one thread, and a product
    of NumPy arrays with enough multiply-adds cut into blocks of rows of the result (or of
    columns, when it has fewer rows), one per thread. Leading (batch) dimensions broadcast as
    in ``np.matmul``.

    Which threads: a model whose kernels split on our pool (a CNN) gets its products there too,
    since OpenBLAS's threads would spin against ours for 0.1 s after each product (the MNIST
    CNN's step: 94 -> 55 ms). A model of products alone (an MLP) never splits, and keeps
    OpenBLAS's threads, whose spinning hand-off is quicker than our locks (MLP batch 32:
    about 10% faster). So: our threads within BLAS_SPIN_S of our last split, else BLAS's.
    Other arrays (CuPy), 1-D operands, or one configured thread: plain ``a @ b``."""
    if (_num_threads == 1 or type(a) is not np.ndarray or type(b) is not np.ndarray
            or a.ndim < 2 or b.ndim < 2 or time.monotonic() - _last_split > BLAS_SPIN_S
            or _blas_controls() is None):  # fmt: skip
        return a @ b if out is None else np.matmul(a, b, out=out)
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if out is None:
        out = np.empty((*lead, m, n), np.result_type(a, b))
    macs = int(np.prod(lead, dtype=np.int64)) * m * n * k
    pieces = max(1, min(_num_threads, max(m, n), macs // MIN_MACS_PER_BLOCK))
    if m >= n:
        spans = [slice(*r) for r in ranges(m, pieces)]
        tasks = [lambda s=s: np.matmul(a[..., s, :], b, out=out[..., s, :]) for s in spans]
    else:
        spans = [slice(*r) for r in ranges(n, pieces)]
        tasks = [lambda s=s: np.matmul(a, b[..., s], out=out[..., s]) for s in spans]
    run(tasks)
    return out


# An elementwise op is split only when each block gets at least this many elements (a pass
# over 128K float32 values takes ~50-100 us, about the hand-off).
MIN_ELEMENTS_PER_UFUNC_BLOCK = 1 << 17


def ufunc(f: Any, a: Any, b: Any, plain: Callable[[Any, Any], Any] | None = None) -> Any:
    """``f(a, b)`` for a NumPy ufunc of two operands (np.add, np.maximum, ...), a large result
    cut into blocks along the outermost axis of ``a``'s memory, one per thread, as PyTorch
    splits its elementwise loops. ``b``: an array of ``a``'s shape, or a scalar. Anything else
    (broadcasting, a dtype change, CuPy, small arrays) goes to ``plain(a, b)`` (default
    ``f(a, b)``; an operator such as ``operator.add`` keeps Python's dispatch to ``b``)."""
    whole = plain or f
    if (_num_threads == 1 or type(a) is not np.ndarray
            or a.size < 2 * MIN_ELEMENTS_PER_UFUNC_BLOCK or _blas_controls() is None):  # fmt: skip
        return whole(a, b)
    scalar = isinstance(b, int | float) or (type(b) is np.ndarray and b.ndim == 0)
    if not scalar and (type(b) is not np.ndarray or b.shape != a.shape):
        return whole(a, b)
    if np.result_type(a, b) != a.dtype:
        return whole(a, b)
    axis = max(range(a.ndim), key=lambda i: abs(a.strides[i]) if a.shape[i] > 1 else -1)
    pieces = min(_num_threads, a.shape[axis], a.size // MIN_ELEMENTS_PER_UFUNC_BLOCK)
    out = _aligned.empty_like(a)  # a's memory layout, so every block is one run of memory
    lead = (slice(None),) * axis
    spans = [(*lead, slice(*r)) for r in ranges(a.shape[axis], pieces)]
    run([lambda s=s: f(a[s], b if scalar else b[s], out=out[s]) for s in spans])
    return out
