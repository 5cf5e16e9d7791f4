"""Compile a C source of the package with the machine's compiler, once, into a cached library.

Shared by the optimizers' fused update rules (optim/kernels.py) and the ops' fused loops
(ops/fused.py). The compiler is ``$CC``, else ``cc``; the library is cached in
``$STEEPEST_CACHE/kernels`` (default ``~/.cache/steepest/kernels``), keyed by the source, the
compiler and flags, and the CPU (``-march=native`` depends on it). Raises OSError or
subprocess errors when there is no compiler or the build fails: callers fall back to NumPy.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .atomic import atomic_write_bytes


def cache_dir() -> Path:
    return Path(os.environ.get("STEEPEST_CACHE", "~/.cache/steepest")).expanduser() / "kernels"


def cpu_id() -> bytes:
    """What -march=native depends on: the CPU's feature flags where Linux lists them."""
    try:
        with open("/proc/cpuinfo", "rb") as f:
            return next((line for line in f if line.startswith((b"flags", b"Features"))), b"")
    except OSError:
        return platform.processor().encode()


def build(source: Path, flags: Sequence[str]) -> ctypes.CDLL:
    """The compiled ``source``: from the cache, else compiled now (and cached when possible)."""
    compiler = os.environ.get("CC", "cc")
    parts = [source.read_bytes(), " ".join((compiler, *flags)).encode(), cpu_id()]
    key = hashlib.sha256(b"\0".join([*parts, platform.machine().encode()])).hexdigest()[:16]
    target = cache_dir() / f"{source.stem}-{key}.so"
    if target.is_file():
        return ctypes.CDLL(str(target))
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / f"{source.stem}.so"
        command = [compiler, *flags, "-o", str(built), str(source)]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=120)
        except subprocess.CalledProcessError:  # a compiler without -march=native: baseline
            command.remove("-march=native")
            subprocess.run(command, check=True, capture_output=True, timeout=120)
        try:
            atomic_write_bytes(target, built.read_bytes())
        except OSError:  # no writable cache: this process uses the build in the temp dir
            return ctypes.CDLL(str(built))  # mapped now, so the directory may go
    return ctypes.CDLL(str(target))
