"""steepest.allocator: malloc keeps freed memory for reuse; STEEPEST_MALLOC=0 leaves it alone."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import steepest as st

GLIBC = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None


def _configured_in_child(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "STEEPEST_MALLOC"}
    if env_value is not None:
        env["STEEPEST_MALLOC"] = env_value
    code = "import steepest; print(steepest.allocator.is_configured())"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_import_configures_glibc_malloc():
    assert _configured_in_child(None) == "True"
    assert st.allocator.configure() is True  # idempotent


def test_steepest_malloc_0_leaves_the_allocator_alone():
    assert _configured_in_child("0") == "False"


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_thresholds_are_values_glibc_accepts():
    # glibc ignores an M_MMAP_THRESHOLD above 32 MiB on 64-bit machines (HEAP_MAX_SIZE / 2)
    assert st.allocator.MMAP_THRESHOLD <= 32 << 20
    assert st.allocator.TRIM_THRESHOLD >= st.allocator.MMAP_THRESHOLD
