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


# ----- PyTorch's other factories -------------------------------------------------------------
def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares ``array``'s memory and keeps its dtype (float64 stays float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def empty(
    *shape: Any, dtype: Any = None, requires_grad: bool = False, device: str = "cpu"
) -> Tensor:
    """A new tensor of ``shape``. PyTorch leaves it uninitialized; here it holds zeros, so a
    program that reads it by mistake still runs the same way twice."""
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad, device=device)


def full_like(
    t: Tensor, fill_value: float, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    xp = backend.array_module(t.data)
    return Tensor(xp.full_like(t.data, fill_value, dtype=dtype), requires_grad=requires_grad)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros shaped like ``t`` (see ``empty``)."""
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def _like_dtype(t: Tensor, dtype: Any) -> np.dtype:
    dtype = t.dtype if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"random *_like factories need a float dtype, got {dtype}")
    return dtype


def _like(t: Tensor, draw: Any, dtype: Any, requires_grad: bool) -> Tensor:
    dtype = _like_dtype(t, dtype)
    return Tensor(backend.to_device(draw(t.shape, dtype), t.device), requires_grad=requires_grad)


def rand_like(
    t: Tensor, dtype: Any = None, requires_grad: bool = False, generator: Generator | None = None
) -> Tensor:
    """Uniform samples in [0, 1) shaped like ``t`` (its dtype and device unless told)."""
    g = generator_or_default(generator)
    if t.device != "cpu":
        return _on_device(g, "random", t.shape, _like_dtype(t, dtype), requires_grad, t.device)
    return _like(t, lambda s, d: g.np.random(s, dtype=np.float64).astype(d), dtype, requires_grad)


def randn_like(
    t: Tensor, dtype: Any = None, requires_grad: bool = False, generator: Generator | None = None
) -> Tensor:
    """Standard normal samples shaped like ``t`` (its dtype and device unless told)."""
    g = generator_or_default(generator)
    if t.device != "cpu":
        dt = _like_dtype(t, dtype)
        return _on_device(g, "standard_normal", t.shape, dt, requires_grad, t.device)
    return _like(t, lambda s, d: g.np.standard_normal(s).astype(d), dtype, requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Sequence[int] | None = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``: ``randint(high, size)`` or
    ``randint(low, high, size)``, int64 unless ``dtype`` says otherwise."""
    if size is None:  # randint(high, size): PyTorch's two-argument form
        if high is None or not isinstance(high, Sequence):
            raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
        low, high, size = 0, low, high
    if high is None or high <= low:
        raise ValueError(f"randint: need low < high, got low={low}, high={high}")
    if requires_grad:
        raise TypeError("randint: integer tensors cannot require grad")
    g = generator_or_default(generator)
    values = g.np.integers(low, high, size=_shape((size,)), dtype=np.int64)
    return _make(values.astype(np.int64 if dtype is None else dtype), False, device)


def randperm(
    n: int, *, generator: Generator | None = None, dtype: Any = None, device: str = "cpu"
) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64)."""
    if n < 0:
        raise ValueError(f"randperm: n must be >= 0, got {n}")
    g = generator_or_default(generator)
    return _make(g.np.permutation(n).astype(np.int64 if dtype is None else dtype), False, device)


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    requires_grad: bool = False,
    device: str = "cpu",
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    if steps < 0:
        raise ValueError(f"linspace: steps must be >= 0, got {steps}")
    values = np.linspace(start, end, steps, dtype=np.float64)
    return _make(values.astype(_float(dtype)), requires_grad, device)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    requires_grad: bool = False,
    device: str = "cpu",
) -> Tensor:
    """An ``n`` x ``m`` (default ``n`` x ``n``) matrix with ones on the diagonal."""
    return _make(np.eye(n, m, dtype=_float(dtype)), requires_grad, device)
