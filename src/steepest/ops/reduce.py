"""Reductions over axes. ``sum`` and ``max``/``min`` carry rules; the rest are built from them."""

from __future__ import annotations

import builtins
from typing import Any

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .shape import broadcast_to, reshape


def _normalize_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(a % builtins.max(ndim, 1) for a in axes))


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.axes = _normalize_axis(axis, a.ndim)
        return a.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, out, g):
        x = self.parents[0]
        return broadcast_to(reshape(g, _kept_shape(x.shape, self.axes)), x.shape)


class _Extreme(Function):
    """max/min: the gradient goes to the elements equal to the result; ties share it equally."""

    reduce = "max"

    def forward(self, a, axis=None, keepdims=False):
        self.axes = _normalize_axis(axis, a.ndim)
        if any(a.shape[i] == 0 for i in self.axes):
            raise ValueError(f"{self.reduce} over an empty axis of a tensor of shape {a.shape}")
        return getattr(a, self.reduce)(axis=self.axes, keepdims=keepdims)

    def backward(self, out, g):
        x = self.parents[0]
        kept = _kept_shape(x.shape, self.axes)
        hit = x.data == out.data.reshape(kept)
        share = hit / hit.sum(axis=self.axes, keepdims=True)
        return broadcast_to(reshape(g, kept), x.shape) * share.astype(g.dtype)


class Max(_Extreme):
    reduce = "max"


class Min(_Extreme):
    reduce = "min"


def sum(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Largest element(s); elements tied for the max share the gradient equally."""
    return Max.apply(a, axis=axis, keepdims=keepdims)


def min(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Smallest element(s); elements tied for the min share the gradient equally."""
    return Min.apply(a, axis=axis, keepdims=keepdims)


def _count(a: Tensor, axis: Any) -> int:
    n = 1
    for i in _normalize_axis(axis, a.ndim):
        n *= a.shape[i]
    return n


def mean(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    a = a if isinstance(a, Tensor) else Tensor(a)
    n = _count(a, axis)
    if n == 0:
        raise ValueError(f"mean over an empty selection of a tensor of shape {a.shape}")
    return sum(a, axis, keepdims) * (1.0 / n)


def var(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance, ``sum((a - mean)^2) / (n - ddof)``."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    n = _count(a, axis)
    if n - ddof <= 0:
        raise ValueError(f"var: {n} elements with ddof={ddof} leaves no degrees of freedom")
    centered = a - mean(a, axis, keepdims=True)
    return sum(centered * centered, axis, keepdims) * (1.0 / (n - ddof))


def std(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    return var(a, axis, ddof, keepdims).sqrt()


def logsumexp(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(a)))`` without overflow: the max is taken out first."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    peak = a.detach().max(axis, keepdims=True)  # a constant shift: the gradient is unchanged
    total = (a - peak).exp().sum(axis, keepdims=True).log() + peak
    return (
        total
        if keepdims
        else reshape(
            total,
            tuple(n for i, n in enumerate(total.shape) if i not in _normalize_axis(axis, a.ndim)),
        )
    )


def argmax(a: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    x = a.data if isinstance(a, Tensor) else a
    return Tensor._from_op(array_module(x).argmax(x, axis=axis, keepdims=keepdims), False)


def argmin(a: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    x = a.data if isinstance(a, Tensor) else a
    return Tensor._from_op(array_module(x).argmin(x, axis=axis, keepdims=keepdims), False)
