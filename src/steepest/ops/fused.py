"""Compiled loops for the ops (recurrent.c beside this file): the LSTM's gate math of one
time step in one pass, built on first use like the optimizers' fused rules (steepest._cc).

Without a C compiler, on CuPy arrays, for other dtypes, or after ``set_enabled(False)`` (or
``STEEPEST_FUSED=0``) the NumPy path of recurrent.py runs; ``status()`` says which. float64
is exact to libm; float32 uses a rational tanh within 4e-7 of the true value (NumPy's own
float32 tanh: 6e-8), so the two paths agree to float32 rounding, not bit for bit.

Measured (text_lstm, batch 64, 100 steps, hidden 64, one thread, CPU time): see
BENCHMARKS.md, issue 15.

>>> st.ops.fused.status()   # 'fused loops: <cache>/recurrent-<key>.so', or why not
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import _cc

SOURCE = Path(__file__).with_name("recurrent.c")
# as optim/kernels.py: vector width of the machine, no errno from libm, no fused multiply-add
FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-shared", "-fPIC")
_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}

_enabled = os.environ.get("STEEPEST_FUSED", "1") != "0"
_lib: dict[str, dict[Any, Callable[..., None]]] | None = None
_tried = False
_lock = threading.Lock()
_status = "fused loops: not built yet"


def set_enabled(flag: bool) -> None:
    """Use the compiled loops where possible (True, the default) or never (False)."""
    global _enabled
    if not isinstance(flag, bool):
        raise TypeError(f"ops.fused.set_enabled: expected a bool, got {flag!r}")
    _enabled = flag


def status() -> str:
    """One line: where the compiled loops come from, or why the NumPy path runs instead."""
    if not _enabled:
        return "NumPy path: fused loops disabled (set_enabled(False) or STEEPEST_FUSED=0)"
    _load()
    return _status


def get(name: str, *arrays: Any) -> Callable[..., None] | None:
    """The loop ``name`` for these arrays' dtype (all NumPy, one float dtype), else None."""
    if not _enabled:
        return None
    first = arrays[0]
    if any(type(a) is not np.ndarray or a.dtype != first.dtype for a in arrays):
        return None
    if first.dtype not in _DTYPES:
        return None
    lib = _load()
    return None if lib is None else lib[name][first.dtype]


def _load() -> dict | None:
    global _lib, _status, _tried
    if _tried:
        return _lib
    with _lock:
        if not _tried:
            try:
                _lib, _status = _functions(_cc.build(SOURCE, FLAGS)), ""
                _status = f"fused loops: {_lib['path']}"
            except subprocess.CalledProcessError as e:
                _status = f"NumPy path: compiling {SOURCE.name} failed: {e.stderr.decode()[-300:]}"
            except (OSError, subprocess.SubprocessError) as e:  # no compiler, noexec cache
                _status = f"NumPy path: no fused loops ({type(e).__name__}: {e})"
            _tried = True
    return _lib


def _functions(lib: ctypes.CDLL) -> dict:
    p, n = ctypes.c_void_p, ctypes.c_ssize_t
    signatures = {
        "lstm_step": [p, n, p, p, p, p, p, n],
        "lstm_step_backward": [p, p, p, p, p, p, p, n, n],
    }
    out: dict[str, Any] = {"path": lib._name}
    for name, argtypes in signatures.items():
        out[name] = {}
        for dtype, suffix in _DTYPES.items():
            fn = getattr(lib, f"{name}_{suffix}")
            fn.argtypes, fn.restype = argtypes, None
            out[name][dtype] = fn
    return out


def pointer(a: Any) -> int | None:
    """The data pointer of an array (None for None)."""
    return None if a is None else a.__array_interface__["data"][0]
