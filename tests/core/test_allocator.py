"""steepest.allocator: after ``import steepest``, large arrays come from glibc's heap, which
keeps freed memory for reuse; with STEEPEST_MALLOC=0 glibc serves them with fresh mmaps.

Observed from outside the module, through glibc's own accounting (``mallinfo2``): the bytes
held in separately mmapped blocks while a 16 MiB array is alive.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

GLIBC = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None
HAS_MALLINFO2 = GLIBC and hasattr(ctypes.CDLL(None), "mallinfo2")

# In a fresh process: import steepest, then allocate 16 MiB and report whether glibc mmapped it.
CHILD = """
import ctypes
import numpy as np
import steepest

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
before = mallinfo2().hblkhd
block = np.ones(16 << 17)  # 16 MiB of float64, filled so the memory is really used
print(mallinfo2().hblkhd - before >= 16 << 20, steepest.allocator.is_configured())
"""


def _child(env_value: str | None) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "STEEPEST_MALLOC"}
    if env_value is not None:
        env["STEEPEST_MALLOC"] = env_value
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    mmapped, configured = done.stdout.split()
    return mmapped, configured


@pytest.mark.skipif(not HAS_MALLINFO2, reason="mallinfo2 is glibc's (2.33 and later)")
def test_import_moves_large_blocks_to_the_reusable_heap():
    assert _child(None) == ("False", "True")


@pytest.mark.skipif(not HAS_MALLINFO2, reason="mallinfo2 is glibc's (2.33 and later)")
def test_steepest_malloc_0_leaves_glibc_mmapping_them():
    assert _child("0") == ("True", "False")


@pytest.mark.skipif(not HAS_MALLINFO2, reason="mallinfo2 is glibc's (2.33 and later)")
def test_configure_afterwards_takes_effect_and_is_idempotent():
    code = CHILD.replace("import steepest\n", "import steepest\nsteepest.allocator.configure()\n"
                         "steepest.allocator.configure()\n")
    env = {**os.environ, "STEEPEST_MALLOC": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
