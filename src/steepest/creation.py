"""Factories for new tensors: ``st.tensor``, ``zeros``, ``randn``, ..."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend
from .random import Generator, generator_or_default
from .tensor import Tensor, _to_array


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept both ``zeros(2, 3)`` and ``zeros((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    if any(int(n) < 0 for n in shape):
        raise ValueError(f"negative dimension in shape {shape}")
    return tuple(int(n) for n in shape)


def _make(array: Any, requires_grad: bool, device: str) -> Tensor:
    return Tensor(backend.to_device(array, device), requires_grad=requires_grad)


def tensor(
    data: Any, dtype: Any = None, requires_grad: bool = False, device: str = "cpu"
) -> Tensor:
    """A new tensor holding a copy of ``data`` (Python floats become float32).

    >>> st.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    """
    return _make(_to_array(data, dtype, copy=True), requires_grad, device)


def _float(dtype: Any) -> np.dtype:
    return backend.default_dtype() if dtype is None else np.dtype(dtype)


def zeros(
    *shape: Any, dtype: Any = None, requires_grad: bool = False, device: str = "cpu"
) -> Tensor:
    return _make(np.zeros(_shape(shape), _float(dtype)), requires_grad, device)


def ones(
    *shape: Any, dtype: Any = None, requires_grad: bool = False, device: str = "cpu"
) -> Tensor:
    return _make(np.ones(_shape(shape), _float(dtype)), requires_grad, device)


def full(
    shape: Sequence[int] | int,
    value: float,
    dtype: Any = None,
    requires_grad: bool = False,
    device: str = "cpu",
) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else shape
    return _make(np.full(_shape((shape,)), value, _float(dtype)), requires_grad, device)


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: Any = None,
    requires_grad: bool = False,
    device: str = "cpu",
) -> Tensor:
    """Evenly spaced values; integer arguments give int64, floats the default float dtype."""
    if stop is None:
        start, stop = 0, start
    if dtype is None and all(isinstance(v, int) for v in (start, stop, step)):
        dtype = np.int64
    return _make(np.arange(start, stop, step, dtype=_float(dtype)), requires_grad, device)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    xp = backend.array_module(t.data)
    return Tensor(xp.zeros_like(t.data, dtype=dtype), requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    xp = backend.array_module(t.data)
    return Tensor(xp.ones_like(t.data, dtype=dtype), requires_grad=requires_grad)


def rand(
    *shape: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
    device: str = "cpu",
) -> Tensor:
    """Uniform samples in [0, 1), from ``generator`` or the default one (``st.manual_seed``);
    on a GPU drawn there, by the generator's device stream (``Generator.for_array``)."""
    g = generator_or_default(generator)
    if device != "cpu":
        return _on_device(g, "random", _shape(shape), dtype, requires_grad, device)
    return _make(
        g.np.random(_shape(shape), dtype=np.float64).astype(_float(dtype)), requires_grad, device
    )


def randn(
    *shape: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
    device: str = "cpu",
) -> Tensor:
    """Standard normal samples, from ``generator`` or the default one (``st.manual_seed``);
    on a GPU drawn there, by the generator's device stream (``Generator.for_array``)."""
    g = generator_or_default(generator)
    if device != "cpu":
        return _on_device(g, "standard_normal", _shape(shape), dtype, requires_grad, device)
    return _make(g.np.standard_normal(_shape(shape)).astype(_float(dtype)), requires_grad, device)


def _on_device(g: Generator, draw: str, shape: tuple[int, ...], dtype: Any, requires_grad: bool,
               device: str) -> Tensor:
    """Draws made on the device by ``g``'s device generator (seeded from ``g``): no host copy."""
    dt = _float(dtype)
    native = dt if dt in (np.float32, np.float64) else np.dtype(np.float64)  # what CuPy draws
    array = getattr(g.for_array(backend.require_device(device)), draw)(shape, dtype=native)
    return Tensor(array.astype(dt, copy=False), requires_grad=requires_grad)
