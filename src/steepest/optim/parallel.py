"""Run the elementwise part of an optimizer step on several threads.

NumPy releases the GIL inside ufunc loops, so an update rule applied to two halves of a flat
buffer on two threads runs close to twice as fast (measured: Adam on 670k float32 values,
1.4 ms on one thread, 0.9 ms on two). Small buffers stay on the calling thread: handing work
to a thread costs tens of microseconds.

>>> st.optim.parallel.set_num_threads(1)   # everything on the calling thread
>>> st.optim.parallel.get_num_threads()
1
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ..ops.threads import default_threads

# A range is split across threads only when each thread gets at least this many elements.
MIN_ELEMENTS_PER_THREAD = 1 << 16
_ALIGN = 64  # split points are multiples of this many elements (whole SIMD vectors)

_num_threads = default_threads()  # STEEPEST_NUM_THREADS, else the cores (at most 8)
_pool: ThreadPoolExecutor | None = None


def get_num_threads() -> int:
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads for optimizer updates (1: no threads)."""
    global _num_threads, _pool
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected an int >= 1, got {n!r}")
    _num_threads = n
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def split(lo: int, hi: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` cut into up to ``get_num_threads()`` aligned pieces of a useful size."""
    pieces = min(_num_threads, (hi - lo) // MIN_ELEMENTS_PER_THREAD)
    if pieces <= 1:
        return [(lo, hi)]
    step = -(-(hi - lo) // pieces // _ALIGN) * _ALIGN
    bounds = [*range(lo, hi, step), hi]
    return list(itertools.pairwise(bounds))


def run(tasks: Sequence[Callable[[], None]], sizes: Sequence[int]) -> None:
    """Call every task; the large ones (``sizes`` in elements) on the thread pool."""
    global _pool
    big = [t for t, n in zip(tasks, sizes, strict=True) if n >= MIN_ELEMENTS_PER_THREAD]
    if _num_threads == 1 or len(big) <= 1:
        for task in tasks:
            task()
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(_num_threads - 1, thread_name_prefix="steepest-optim")
    futures = [_pool.submit(t) for t in big[1:]]
    try:
        big[0]()
        for task, n in zip(tasks, sizes, strict=True):
            if n < MIN_ELEMENTS_PER_THREAD:
                task()
    finally:  # never return while a worker still writes into the buffers
        for f in futures:
            f.exception()
    for f in futures:
        f.result()  # re-raises a worker's exception here
