"""Reductions over dims. ``sum``, ``amax``/``amin``, ``prod``, ``norm`` and ``cumsum`` carry rules;
the rest are built from them.

Every function takes PyTorch's ``dim``/``keepdim`` (``dim`` an int or a tuple, ``None`` for all
dims) and NumPy's ``axis``/``keepdims`` as aliases; dims are checked by ``_dims.normalize_dims``.
"""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

from ..autograd import Function, is_grad_enabled
from ..backend import array_module
from ..tensor import Tensor
from ._dims import normalize_dim, normalize_dims, resolve
from .shape import broadcast_to, flip, reshape


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(a)


class Sum(Function):
    def forward(self, a, axis=None, keepdims=False):
        self.axes = normalize_dims(axis, a.ndim, "sum")
        return a.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, out, g):
        x = self.parents[0]
        return broadcast_to(reshape(g, _kept_shape(x.shape, self.axes)), x.shape)


class _Extreme(Function):
    """amax/amin: the gradient goes to the elements equal to the result; ties share it equally."""

    reduce = "max"

    def forward(self, a, axis=None, keepdims=False):
        self.axes = normalize_dims(axis, a.ndim, "a" + self.reduce)
        if builtins.any(a.shape[i] == 0 for i in self.axes) or (axis is None and a.size == 0):
            raise ValueError(f"{self.reduce} over an empty dim of a tensor of shape {a.shape}")
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


class Prod(Function):
    """Product over one axis (the caller flattens for ``dim=None``).

    d/dx_i = product of the other elements: ``out / x_i`` where no element is zero, otherwise the
    exclusive products from the left times those from the right (exact with zeros).
    """

    rule = "d prod(x)/dx_i = product of the other elements"

    def forward(self, a, axis=0, keepdims=False):
        self.axis = axis
        return a.prod(axis=axis, keepdims=keepdims)

    def backward(self, out, g):
        x = self.parents[0]
        kept = _kept_shape(x.shape, (self.axis,))
        g = broadcast_to(reshape(g, kept), x.shape)
        if bool((x.data != 0).all()):
            return g * reshape(out, kept) / x  # Tensor ops: second derivatives work
        if is_grad_enabled():
            raise NotImplementedError(
                "prod: second derivatives at an input that contains zeros are not implemented "
                f"(input shape {x.shape})"
            )
        xp, d = array_module(x.data), self.axis
        lead = (slice(None),) * d
        one = xp.ones_like(x.data[(*lead, slice(0, 1))])
        # products of the elements strictly before / strictly after each position
        left = xp.cumprod(xp.concatenate([one, x.data[(*lead, slice(None, -1))]], axis=d), axis=d)
        after = xp.concatenate([x.data[(*lead, slice(1, None))], one], axis=d)
        right = xp.flip(xp.cumprod(xp.flip(after, d), axis=d), d)
        return g * Tensor._from_op(left * right, False)


class Norm2(Function):
    """Euclidean norm over ``axes``; the gradient at a zero vector is 0 (PyTorch's subgradient)."""

    rule = "d ||x||/dx = x / ||x|| (0 at x = 0)"

    def forward(self, a, axes=(), keepdims=False):
        self.axes = axes
        return array_module(a).sqrt((a * a).sum(axis=axes, keepdims=keepdims))

    def backward(self, out, g):
        x = self.parents[0]
        kept = _kept_shape(x.shape, self.axes)
        o = reshape(out, kept)
        safe = o + (o.data == 0).astype(o.dtype)  # o is 0 only where x is all zeros: x / 1 = 0
        return broadcast_to(reshape(g, kept), x.shape) * x / safe


class Cumsum(Function):
    rule = "dx_i = sum of g_j for j >= i (a cumsum from the end)"

    def forward(self, a, axis=0):
        self.axis = axis
        return array_module(a).cumsum(a, axis=axis) if a.ndim else a.copy()

    def backward(self, out, g):
        if g.ndim == 0:
            return g
        return flip(cumsum(flip(g, self.axis), self.axis), self.axis)  # sums from the end


def sum(
    a: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
) -> Tensor:
    dim, keepdim = resolve("sum", dim, keepdim, axis, keepdims)
    return Sum.apply(a, axis=dim, keepdims=keepdim)


def amax(
    a: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
) -> Tensor:
    """Largest element(s) over ``dim`` (an int or a tuple); ties share the gradient equally."""
    dim, keepdim = resolve("amax", dim, keepdim, axis, keepdims)
    return Max.apply(a, axis=dim, keepdims=keepdim)


def amin(
    a: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
) -> Tensor:
    """Smallest element(s) over ``dim`` (an int or a tuple); ties share the gradient equally."""
    dim, keepdim = resolve("amin", dim, keepdim, axis, keepdims)
    return Min.apply(a, axis=dim, keepdims=keepdim)


def _count(a: Tensor, dim: Any, op: str) -> int:
    n = 1
    for i in normalize_dims(dim, a.ndim, op):
        n *= a.shape[i]
    return n


def mean(
    a: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
) -> Tensor:
    dim, keepdim = resolve("mean", dim, keepdim, axis, keepdims)
    a = _tensor(a)
    if a.dtype.kind not in "fc":  # PyTorch raises rather than guess a float dtype
        raise RuntimeError(
            f"mean: could not infer output dtype; the input (shape {a.shape}) is {a.dtype}, "
            "not floating point: use x.float().mean()"
        )
    n = _count(a, dim, "mean")
    if n == 0:
        raise ValueError(f"mean over an empty selection of a tensor of shape {a.shape}")
    return Sum.apply(a, axis=dim, keepdims=keepdim) * (1.0 / n)


def _correction(op: str, unbiased: Any, correction: Any, ddof: Any) -> float:
    given = [v for v in (unbiased, correction, ddof) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: pass only one of unbiased=, correction= and ddof=")
    if unbiased is not None:
        return 1.0 if unbiased else 0.0
    return 1.0 if not given else float(given[0])


def var(
    a: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: Any = None,
    ddof: float | None = None,
) -> Tensor:
    """Variance ``sum((a - mean)^2) / max(0, n - correction)``; PyTorch's default correction=1.

    As in PyTorch, ``var(x, False)`` (a bool first) means ``unbiased=False``; with no degrees of
    freedom left (one element, correction=1) the result is NaN and a warning says why.
    """
    if isinstance(dim, bool):  # PyTorch's var(unbiased) overload
        dim, unbiased = None, dim
    dim, keepdim = resolve("var", dim, keepdim, axis, keepdims)
    return _variance(a, dim, _correction("var", unbiased, correction, ddof), keepdim)


def _variance(a: Any, dim: Any, c: float, keepdim: bool, caller_depth: int = 3) -> Tensor:
    a = _tensor(a)
    n = _count(a, dim, "var")
    centered = a - mean(a, dim, keepdim=True) if n else a
    total = sum(centered * centered, dim, keepdim)
    if n - c <= 0:
        warnings.warn(
            f"var/std: {n} element(s) with correction={c:g} leave no degrees of freedom; "
            f"the result is NaN (tensor of shape {a.shape}, dim={dim})",
            UserWarning,
            stacklevel=caller_depth,  # the user's line, not this file's
        )
        return total * math.nan
    return total * (1.0 / (n - c))


def std(
    a: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: Any = None,
    ddof: float | None = None,
) -> Tensor:
    """Standard deviation, ``sqrt(var(...))`` with the same arguments (default correction=1)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    dim, keepdim = resolve("std", dim, keepdim, axis, keepdims)
    c = _correction("std", unbiased, correction, ddof)
    return _variance(a, dim, c, keepdim).sqrt()


def logsumexp(
    a: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
) -> Tensor:
    """``log(sum(exp(a)))`` over ``dim`` without overflow: the max is taken out first."""
    dim, keepdim = resolve("logsumexp", dim, keepdim, axis, keepdims)
    a = _tensor(a)
    axes = normalize_dims(dim, a.ndim, "logsumexp")
    if a.numel() == 0 or builtins.any(a.shape[i] == 0 for i in axes):
        total = sum(a.exp(), axes, keepdim=True).log()  # log(0) = -inf, as in PyTorch
    else:
        peak = amax(a.detach(), axes, keepdim=True)  # a constant shift: the gradient is unchanged
        xp = array_module(peak.data)
        # an all -inf row would give -inf - -inf = NaN: shift such rows by 0 instead
        peak = Tensor._from_op(xp.where(xp.isfinite(peak.data), peak.data, 0), False)
        total = sum((a - peak).exp(), axes, keepdim=True).log() + peak
    if keepdim:
        return total
    return reshape(total, tuple(n for i, n in enumerate(total.shape) if i not in axes))


def _arg(name: str, a: Any, dim: Any, keepdim: bool) -> Tensor:
    x = a.data if isinstance(a, Tensor) else array_module(a).asarray(a)
    xp = array_module(x)
    if dim is None:
        out = getattr(xp, name)(x)
        if keepdim:
            out = xp.reshape(out, (1,) * x.ndim)
        return Tensor._from_op(xp.asarray(out, dtype=xp.int64), False)
    d = normalize_dim(dim, x.ndim, name)
    if x.ndim == 0:
        return Tensor._from_op(xp.zeros((), dtype=xp.int64), False)
    if x.shape[d] == 0:
        raise IndexError(f"{name}: dim {dim} of a tensor of shape {x.shape} is empty")
    out = getattr(xp, name)(x, axis=d, keepdims=keepdim)
    return Tensor._from_op(out.astype(xp.int64, copy=False), False)


def argmax(
    a: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: Any = None,
) -> Tensor:
    """Index of the largest element (the first one among ties), over ``dim`` or flattened."""
    dim, keepdim = resolve("argmax", dim, keepdim, axis, keepdims)
    return _arg("argmax", a, dim, keepdim)


def argmin(
    a: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: Any = None,
) -> Tensor:
    """Index of the smallest element (the first one among ties), over ``dim`` or flattened."""
    dim, keepdim = resolve("argmin", dim, keepdim, axis, keepdims)
    return _arg("argmin", a, dim, keepdim)


def prod(
    a: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: Any = None,
) -> Tensor:
    """Product of the elements over ``dim`` (one int, as in PyTorch) or of all of them."""
    dim, keepdim = resolve("prod", dim, keepdim, axis, keepdims)
    a = _tensor(a)
    if dim is None:
        out = Prod.apply(reshape(a, (-1,)), axis=0, keepdims=False)
        return reshape(out, (1,) * a.ndim) if keepdim else out
    d = normalize_dim(dim, a.ndim, "prod")
    if a.ndim == 0:
        return reshape(a, ())
    return Prod.apply(a, axis=d, keepdims=keepdim)


def cumsum(a: Any, dim: int, *, axis: Any = None) -> Tensor:
    """Running sums along ``dim``; the gradient is the running sum from the other end."""
    dim, _ = resolve("cumsum", dim, False, axis, None)
    a = _tensor(a)
    return Cumsum.apply(a, axis=normalize_dim(dim, a.ndim, "cumsum") if a.ndim else 0)


def norm(
    a: Any,
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    *,
    axis: Any = None,
    keepdims: Any = None,
) -> Tensor:
    """Vector p-norm over ``dim`` (all elements by default); ``p`` in 2/'fro', 1, inf, -inf, or
    any other number as ``(sum |a|^p)^(1/p)``. The 2-norm's gradient at zero is 0, as in PyTorch."""
    dim, keepdim = resolve("norm", dim, keepdim, axis, keepdims)
    a = _tensor(a)
    axes = normalize_dims(dim, a.ndim, "norm")
    if p in ("fro", 2, 2.0):
        return Norm2.apply(a, axes=axes, keepdims=keepdim)
    if p == math.inf:
        return amax(a.abs(), axes, keepdim)
    if p == -math.inf:
        return amin(a.abs(), axes, keepdim)
    if p in (1, 1.0):
        return sum(a.abs(), axes, keepdim)
    if isinstance(p, str) or p == 0:
        raise ValueError(f"norm: unsupported p={p!r}; use 'fro', a positive number or +-inf")
    return sum(a.abs() ** p, axes, keepdim) ** (1.0 / p)


def _logical(name: str, a: Any, dim: Any, keepdim: bool) -> Tensor:
    x = a.data if isinstance(a, Tensor) else array_module(a).asarray(a)
    axes = normalize_dims(dim, x.ndim, name)
    out = getattr(array_module(x), name)(x, axis=axes, keepdims=keepdim)
    return Tensor._from_op(array_module(x).asarray(out), False)


def all(
    a: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
) -> Tensor:
    """True where every element over ``dim`` is nonzero (a bool tensor, no gradient)."""
    dim, keepdim = resolve("all", dim, keepdim, axis, keepdims)
    return _logical("all", a, dim, keepdim)


def any(
    a: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
) -> Tensor:
    """True where some element over ``dim`` is nonzero (a bool tensor, no gradient)."""
    dim, keepdim = resolve("any", dim, keepdim, axis, keepdims)
    return _logical("any", a, dim, keepdim)
