"""Array backends: NumPy by default, CuPy for GPUs.

This is the only module that imports cupy, and it does so lazily. Every op
takes its array namespace from its inputs (``xp = array_module(x)``), so one
code path serves both backends, as in Chainer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_cupy: Any = None  # the cupy module once imported; False when unavailable
_gpu_found: Any = None  # the cupy module that found a device (asked once, not per transfer)
_default_dtype = np.dtype(np.float32)


def _import_cupy() -> Any:
    global _cupy
    if _cupy is None:
        try:
            import cupy  # the only cupy import in steepest

            _cupy = cupy
        except ImportError:
            _cupy = False
    return _cupy


def array_module(*arrays: Any) -> Any:
    """The namespace (numpy or cupy) that owns these arrays."""
    for a in arrays:
        if type(a) is np.ndarray or not hasattr(a, "__cuda_array_interface__"):
            continue
        return _import_cupy()
    return np


def is_gpu_available() -> bool:
    cp = _import_cupy()
    if not cp:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:  # a driver without a device reports itself as an error
        return False


def require_device(device: str) -> Any:
    """The array module for ``device``, or one line saying why it cannot be used here."""
    if device == "cpu":
        return np
    if device != "cuda":
        raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")
    cp = _import_cupy()
    if not cp:
        raise RuntimeError("device 'cuda' needs CuPy, which is not installed: "
                           "pip install 'steepest[gpu]' (CUDA 12), or use device 'cpu'")
    global _gpu_found
    if cp is not _gpu_found:
        if not is_gpu_available():
            raise RuntimeError("device 'cuda': CuPy is installed but finds no CUDA GPU "
                               "(no device or no driver); use device 'cpu'")
        _gpu_found = cp
    return cp


def synchronize(device: str = "cuda") -> None:
    """Wait until the device has finished its queued work (GPU calls return before they run,
    so a timer must wait); nothing to wait for on the CPU."""
    if device != "cpu":
        require_device(device).cuda.runtime.deviceSynchronize()


def device_of(array: Any) -> str:
    return "cpu" if array_module(array) is np else "cuda"


def to_device(array: Any, device: str) -> Any:
    """Copy ``array`` to ``device`` ('cpu' or 'cuda'); no copy when already there."""
    if device == device_of(array):
        return array
    if device == "cpu":
        return array.get()
    return require_device(device).asarray(array)


def asarray_on(value: Any, device: str, dtype: Any = None) -> Any:
    """``value`` (a list, a scalar, a host or a device array) as an array on ``device``: how a
    target or an index given in any form joins a tensor that lives there."""
    if not hasattr(value, "__cuda_array_interface__"):
        value = np.asarray(value, dtype=dtype)
    elif dtype is not None:
        value = value.astype(dtype, copy=False)
    return to_device(value, device)


def default_dtype() -> np.dtype:
    """The float dtype new tensors get (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype for new tensors, e.g. ``np.float64`` for gradient checks."""
    global _default_dtype
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dt}")
    _default_dtype = dt


def is_float(dtype: Any) -> bool:
    return np.dtype(dtype).kind == "f"
