"""Keep freed array memory in the process instead of handing it back to the OS (glibc only).

A training step allocates and frees the same large arrays every step (activations, their
gradients, im2col buffers). By default glibc serves blocks over 128 KiB-32 MiB with fresh
``mmap`` calls and returns freed memory at the heap's top to the OS, so the next step takes a
page fault on every 4 KiB page it writes and the kernel zeroes each one again. Measured with
``bench/bench_step.py`` (a plain loop over array slices, one thread), with and without
``STEEPEST_MALLOC=0``: LeNet-5 at batch 128, 22.2-22.8 ms per step before, 14.2-15.7 ms after;
the classic MNIST CNN, 120.9 -> 94.2 ms. Where glibc's own adaptive threshold already avoids
the faults (the benchmark scripts, ``make demo``) it changes nothing. PyTorch's guides
suggest jemalloc or tcmalloc through ``LD_PRELOAD`` for the same reason; ``mallopt`` reaches
most of that from inside the process.

``import steepest`` calls ``configure()``; set ``STEEPEST_MALLOC=0`` in the environment to
leave the allocator alone. It changes two settings of the C allocator, for the whole process:

* ``M_MMAP_THRESHOLD`` = 32 MiB: blocks up to 32 MiB come from the heap, which reuses them;
* ``M_TRIM_THRESHOLD`` = 256 MiB: up to 256 MiB of free memory at the heap's top is kept.

Peak memory is unchanged (the same arrays exist at once); what changes is that memory freed
after a peak stays with the process, up to 256 MiB, for the next step to reuse.

>>> st.allocator.configure()   # True on Linux with glibc (already done by the import)
True
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit machines
TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's <malloc.h>

_configured = False


def configure() -> bool:
    """Apply the settings above; True if they took effect (Linux with glibc), else False."""
    global _configured
    if _configured:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's C library
    except (OSError, AttributeError):  # musl and other C libraries without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _configured = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _configured


def is_configured() -> bool:
    """Whether ``configure()`` has changed the allocator's settings in this process."""
    return _configured


if os.environ.get("STEEPEST_MALLOC", "1") != "0":
    configure()
