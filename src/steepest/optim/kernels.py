"""Fused update rules: one compiled loop over memory instead of a dozen NumPy calls.

An update rule written with ufuncs (``adam.py``, ``sgd.py``) makes one pass over the flat
buffers per operation: Adam is 13 passes, each reading and writing megabytes. The same
arithmetic in one loop reads each element once (measured: Adam on 670k float32 values,
1.22 ms with ufuncs, 0.37 ms fused, one thread). The loops are ``kernels.c`` beside this file,
compiled on first use by the machine's C compiler (``$CC``, else ``cc``) and cached in
``$STEEPEST_CACHE/kernels`` (default ``~/.cache/steepest/kernels``), keyed by the source, the
flags and the CPU. Without a compiler, on CuPy arrays, or after ``set_enabled(False)`` (or
``STEEPEST_FUSED=0`` in the environment) the ufunc rules run; ``status()`` says which.

Every line of the C loops mirrors one ufunc line, the scalars are rounded to the array's dtype
first (NumPy's rule for Python floats), and the build forbids fast-math and fused
multiply-adds: both paths give bit-identical results, and the tests check that.

Why C through ctypes and not numba: numba compiled the same loops as fast, but importing it
(and LLVM) at the first step added 0.3 s and about 110 MiB of resident memory to every
process, which broke the memory goal of issue #6 (peak RSS of an MLP epoch 0.67x PyTorch's
instead of 0.47x). A 15 KB shared library costs neither.

>>> st.optim.kernels.status()   # 'fused loops: <cache>/kernels-<key>.so', or why not
>>> st.optim.kernels.set_enabled(False)   # every optimizer back on its ufunc rule
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

SOURCE = Path(__file__).with_name("kernels.c")
# -march=native: the machine's vector width (0.37 ms against 0.63 ms with baseline SSE2);
# -fno-math-errno: sqrt need not set errno, so the loop vectorizes;
# -ffp-contract=off: no fused multiply-add, so every operation rounds as the ufunc does.
FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-shared", "-fPIC")

_enabled = os.environ.get("STEEPEST_FUSED", "1") != "0"
_kernels: dict[str, Callable[..., None]] | None = None  # built on first use
_tried = False
_lock = threading.Lock()  # the optimizer's worker threads may ask for the loops at once
_status = "fused loops: not built yet"
_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}


def set_enabled(flag: bool) -> bool:
    """Use fused loops where possible (True, the default) or never (False); returns the
    previous setting, so a caller can put it back."""
    global _enabled
    if not isinstance(flag, bool):
        raise TypeError(f"kernels.set_enabled: expected a bool, got {flag!r}")
    previous, _enabled = _enabled, flag
    return previous


def reload() -> None:
    """Forget the loaded library: the next use builds or loads it again, reading ``CC`` and
    ``STEEPEST_CACHE`` afresh (the library already mapped stays in memory)."""
    global _kernels, _tried, _status
    with _lock:
        _kernels, _tried, _status = None, False, "fused loops: not built yet"


def is_enabled() -> bool:
    """Whether optimizers will use fused loops (enabled, and the library built and loaded)."""
    return _enabled and _load() is not None


def status() -> str:
    """One line: where the fused loops come from, or why the ufunc rules run instead."""
    if not _enabled:
        return "ufunc rules: fused loops disabled (set_enabled(False) or STEEPEST_FUSED=0)"
    _load()
    return _status


def get(name: str, array: Any) -> Callable[..., None] | None:
    """The fused loop ``name`` for ``array``'s dtype, or None when the ufunc rule must run."""
    if not _enabled or type(array) is not np.ndarray or array.dtype not in _DTYPES:
        return None
    kernels = _load()
    return None if kernels is None else kernels[name]


# ----- building and loading ------------------------------------------------------------------
def cache_dir() -> Path:
    return _cc.cache_dir()


def _library() -> ctypes.CDLL:
    """The compiled loops: from the cache, else compiled now (and cached when possible)."""
    return _cc.build(SOURCE, FLAGS)


def _load() -> dict[str, Callable[..., None]] | None:
    """Build or load the library once per process; None (and a reason) if that fails."""
    global _kernels, _status, _tried
    if _tried:
        return _kernels
    with _lock:
        if not _tried:
            _kernels, _status = _build_and_load()
            _tried = True
    return _kernels


def _build_and_load() -> tuple[dict[str, Callable[..., None]] | None, str]:
    kernels = None
    try:
        lib = _library()
    except subprocess.CalledProcessError as e:
        status = f"ufunc rules: compiling {SOURCE.name} failed: {e.stderr.decode()[-300:]}"
    except (OSError, subprocess.SubprocessError) as e:  # no compiler, noexec cache, timeout
        status = f"ufunc rules: no fused loops ({type(e).__name__}: {e})"
    else:
        kernels = {"adam": _adam(lib), "sgd_momentum": _sgd_momentum(lib)}
        status = f"fused loops: {lib._name}"
    return kernels, status


# ----- typed entry points: arrays in, pointers out ------------------------------------------
def _functions(lib: ctypes.CDLL, name: str, arrays: int, scalars: int, flag: bool) -> dict:
    """``{dtype: C function}`` for the two instantiations of the loop ``name``."""
    out = {}
    for dtype, suffix in _DTYPES.items():
        fn = getattr(lib, f"{name}_{suffix}")
        real = ctypes.c_float if suffix == "float32" else ctypes.c_double
        fn.argtypes = [ctypes.c_void_p] * arrays + [ctypes.c_ssize_t] + [real] * scalars
        fn.argtypes += [ctypes.c_int] if flag else []
        fn.restype = None
        out[dtype] = fn
    return out


def _pointers(name: str, *arrays: np.ndarray) -> list[int]:
    """Data pointers of equal-length contiguous 1-D arrays of one dtype (else a ValueError)."""
    first = arrays[0]
    for a in arrays:
        if a.dtype != first.dtype or a.shape != first.shape or not a.flags.c_contiguous:
            raise ValueError(
                f"kernels.{name}: needs contiguous 1-D arrays of one dtype and length, got "
                f"{[(x.shape, str(x.dtype), x.flags.c_contiguous) for x in arrays]}"
            )
    return [a.__array_interface__["data"][0] for a in arrays]


def _adam(lib: ctypes.CDLL) -> Callable[..., None]:
    fns = _functions(lib, "adam", arrays=4, scalars=6, flag=False)

    def adam(p, d, m, v, one_minus_b1, b2, one_minus_b2, bc2_sqrt, eps, step_size) -> None:
        """``Adam.update`` in one pass; scalars already in the arrays' dtype."""
        ptrs = _pointers("adam", p, d, m, v)
        fns[p.dtype](*ptrs, p.size, one_minus_b1, b2, one_minus_b2, bc2_sqrt, eps, step_size)

    return adam


def _sgd_momentum(lib: ctypes.CDLL) -> Callable[..., None]:
    fns = _functions(lib, "sgd_momentum", arrays=3, scalars=2, flag=True)

    def sgd_momentum(p, d, b, mu, lr, nesterov) -> None:
        """``SGD.update`` with momentum and no dampening, in one pass."""
        fns[p.dtype](*_pointers("sgd_momentum", p, d, b), p.size, mu, lr, int(nesterov))

    return sgd_momentum
