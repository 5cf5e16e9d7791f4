"""Compiled loops for the ops, C sources beside this file, each built on first use like the
optimizers' fused rules (steepest._cc): recurrent.c, the LSTM's gate math of one time step
in one pass; conv.c, the direct convolution kernels (ops/_direct.py); pool.c, max pooling;
activation.c, ReLU's backward; normalization.c, batch norm's passes.

Without a C compiler, on CuPy arrays, for other dtypes, or after ``set_enabled(False)`` (or
``STEEPEST_FUSED=0``) the NumPy paths run; ``status()`` says which. For the LSTM, float64
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

# as optim/kernels.py: vector width of the machine, no errno from libm, no fused multiply-add
FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-shared", "-fPIC")
# the convolutions: fused multiply-adds allowed (the C default), the sums' order is ours anyway
CONV_FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-shared", "-fPIC")
_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}
_p, _n = ctypes.c_void_p, ctypes.c_ssize_t

_enabled = os.environ.get("STEEPEST_FUSED", "1") != "0"


class Loops:
    """One C source of the ops, compiled on first use: its functions by name and dtype."""

    def __init__(
        self, source: str, flags: tuple[str, ...], signatures: dict, restypes: dict | None = None
    ) -> None:
        self.source, self.flags = Path(__file__).with_name(source), flags
        self.signatures, self.restypes = signatures, restypes or {}
        self.lib: dict[str, Any] | None = None
        self.tried = False
        self.status = f"fused loops ({source}): not built yet"
        self._lock = threading.Lock()

    def load(self) -> dict | None:
        if self.tried:
            return self.lib
        with self._lock:
            if not self.tried:
                name = self.source.name
                try:
                    self.lib = self._functions(_cc.build(self.source, self.flags))
                    self.status = f"fused loops: {self.lib['path']}"
                except subprocess.CalledProcessError as e:
                    self.status = f"NumPy path: compiling {name} failed: {e.stderr.decode()[-300:]}"
                except (OSError, subprocess.SubprocessError) as e:  # no compiler, noexec cache
                    self.status = f"NumPy path: no fused loops ({type(e).__name__}: {e})"
                self.tried = True
        return self.lib

    def reset(self) -> None:
        """Forget the build (the next use compiles or finds it again)."""
        self.lib, self.tried = None, False

    def _functions(self, lib: ctypes.CDLL) -> dict:
        out: dict[str, Any] = {"path": lib._name}
        for name, argtypes in self.signatures.items():
            out[name] = {}
            for dtype, suffix in _DTYPES.items():
                fn = getattr(lib, f"{name}_{suffix}")
                fn.argtypes, fn.restype = argtypes, self.restypes.get(name)
                out[name][dtype] = fn
        return out


LSTM = Loops("recurrent.c", FLAGS, {
    "lstm_step": [_p, _n, _p, _p, _p, _p, _p, _n],
    "lstm_step_backward": [_p, _p, _p, _p, _p, _p, _p, _n, _n],
})  # fmt: skip
CONV = Loops("conv.c", CONV_FLAGS, {
    "conv_forward": [_p, _p, _n, _p, _p, _p, _n, _n],
    "conv_input_grad": [_p, _p, _n, _p, _p, _n, _n],
    "conv_weight_grad": [_p, _p, _p, _p, _n, _n],
}, restypes={"conv_weight_grad": ctypes.c_int})  # fmt: skip
POOL = Loops("pool.c", CONV_FLAGS, {
    "maxpool_forward": [_p, _p, _p, _n, _n],
    "maxpool_backward": [_p, _p, _p, _p, _p, _n, _n, _n],
})  # fmt: skip
ACTIVATION = Loops("activation.c", CONV_FLAGS, {"relu_backward": [_p, _p, _p] + [_n] * 7})
_d = ctypes.c_double
NORMALIZATION = Loops("normalization.c", CONV_FLAGS, {
    "batchnorm_forward": [_p] * 7 + [_d, _n, _n, _n],
    "batchnorm_backward": [_p] * 6 + [_n, _n, _n],
})  # fmt: skip
_SOURCES = {s.source.name: s for s in (LSTM, CONV, POOL, ACTIVATION, NORMALIZATION)}
_BY_NAME = {name: loops for loops in _SOURCES.values() for name in loops.signatures}


def set_enabled(flag: bool) -> None:
    """Use the compiled loops where possible (True, the default) or never (False)."""
    global _enabled
    if not isinstance(flag, bool):
        raise TypeError(f"ops.fused.set_enabled: expected a bool, got {flag!r}")
    _enabled = flag


def status(source: str = "recurrent.c") -> str:
    """One line: where the compiled loops of ``source`` (recurrent.c, conv.c, pool.c,
    activation.c, normalization.c) come from, or why the NumPy path runs instead."""
    if not _enabled:
        return "NumPy path: fused loops disabled (set_enabled(False) or STEEPEST_FUSED=0)"
    loops = _SOURCES[source]
    loops.load()
    return loops.status


def get(name: str, *arrays: Any) -> Callable[..., None] | None:
    """The loop ``name`` for these arrays' dtype (all NumPy, one float dtype), else None."""
    if not _enabled:
        return None
    first = arrays[0]
    if any(type(a) is not np.ndarray or a.dtype != first.dtype for a in arrays):
        return None
    if first.dtype not in _DTYPES:
        return None
    lib = _BY_NAME[name].load()
    return None if lib is None else lib[name][first.dtype]


def pointer(a: Any) -> int | None:
    """The data pointer of an array (None for None)."""
    return None if a is None else a.__array_interface__["data"][0]
