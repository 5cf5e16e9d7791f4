"""Elementwise ops. Each forward sits beside its derivative rule.

Rules return gradients with the broadcast shape of the output; the engine
reduces them to each input's shape (autograd.unbroadcast).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..autograd import Function, OpError
from ..backend import array_module
from ..promotion import floating, promoted
from ..tensor import Tensor
from .threads import MIN_ELEMENTS_PER_UFUNC_BLOCK, ufunc

SPLIT = 2 * MIN_ELEMENTS_PER_UFUNC_BLOCK  # larger results go in blocks on steepest's threads


# ``r if r.dtype is a.dtype and a.ndim``: NumPy and PyTorch agree whenever the result keeps
# the dtype of a first operand with dims (measured: ``.dtype`` of a NumPy scalar, such as a
# shared constant, costs ~180 ns, of an array ~20 ns); other cases go to ``promoted``.
class Add(Function):
    saves_tensors = False

    def forward(self, a, b):
        r = a + b if a.size < SPLIT else ufunc(np.add, a, b, operator.add)
        return r if r.dtype is a.dtype and a.ndim else promoted(r, a, b)

    def backward(self, out, g):
        return g, g


class Sub(Function):
    saves_tensors = False

    def forward(self, a, b):
        r = a - b if a.size < SPLIT else ufunc(np.subtract, a, b, operator.sub)
        return r if r.dtype is a.dtype and a.ndim else promoted(r, a, b)

    def backward(self, out, g):
        return g, -g


class Mul(Function):
    def forward(self, a, b):
        r = a * b if a.size < SPLIT else ufunc(np.multiply, a, b, operator.mul)
        return r if r.dtype is a.dtype and a.ndim else promoted(r, a, b)

    def backward(self, out, g):
        a, b = self.parents
        return (g * b if a.requires_grad else None), (g * a if b.requires_grad else None)


class Div(Function):
    def forward(self, a, b):
        r = a / b
        if r.dtype is a.dtype and a.ndim:
            return r
        a, b = floating(a), floating(b)  # int / int is float, as in PyTorch
        return promoted(a / b, a, b)

    def backward(self, out, g):
        a, b = self.parents
        gb = -g * a / (b * b) if b.requires_grad else None
        return (g / b if a.requires_grad else None), gb


class Neg(Function):
    saves_tensors = False

    def forward(self, a):
        return -a

    def backward(self, out, g):
        return -g


class Pow(Function):
    """``a ** b``, with PyTorch's gradients at the corners: d/da is 0 where b == 0 (even at
    a == 0, where b a^(b-1) would be 0 * inf); d/db is 0 where a == 0 and b >= 0, and
    a^b log a elsewhere (NaN for a negative base, -inf for 0 ** negative)."""

    def forward(self, a, b):
        r = a**b
        return r if r.dtype is a.dtype and a.ndim else promoted(r, a, b)

    def backward(self, out, g):
        a, b = self.parents
        ga = _pow_base_grad(a, b, g) if a.requires_grad else None
        gb = None
        if b.requires_grad:
            flat = (a.data == 0) & (b.data >= 0)  # 0 ** b: no slope in b there
            gb = g * out * where(flat, 1.0, a).log()  # log(1) = 0: no -inf * 0 = NaN
        return ga, gb


def _pow_base_grad(a: Tensor, b: Tensor, g: Tensor) -> Tensor:
    if b.data.ndim == 0 and not b.requires_grad:  # a constant exponent, as in x ** 2
        return g * 0.0 if b.data == 0 else g * b * a ** (b - 1)
    # at a == b == 0 the exponent 1 keeps a ** (b - 1) finite, so b * ... is exactly 0; only
    # there: elsewhere b - 1 must stay, for the second derivative in b
    corner = (a.data == 0) & (b.data == 0)
    return g * b * a ** where(corner, 1.0, b - 1)


class Exp(Function):
    def forward(self, a):
        return array_module(a).exp(floating(a))

    def backward(self, out, g):
        return g * out


class Log(Function):
    def forward(self, a):
        return array_module(a).log(floating(a))

    def backward(self, out, g):
        return g / self.parents[0]


class Sqrt(Function):
    def forward(self, a):
        return array_module(a).sqrt(floating(a))

    def backward(self, out, g):
        return g * 0.5 / out


class Abs(Function):
    def forward(self, a):
        return array_module(a).abs(a)

    def backward(self, out, g):
        return g * sign(self.parents[0])


class Sign(Function):
    """sign(x); its derivative is 0 wherever it exists."""

    def forward(self, a):
        return array_module(a).sign(a)

    def backward(self, out, g):
        return g * 0.0


class Maximum(Function):
    """Elementwise max; where a == b the gradient is split equally between a and b."""

    def forward(self, a, b):
        r = array_module(a, b).maximum(a, b)
        return r if r.dtype is a.dtype and a.ndim else promoted(r, a, b)

    def backward(self, out, g):
        a, b = self.parents
        share = (a.data > b.data) + 0.5 * (a.data == b.data)
        return g * share.astype(g.dtype), g * (1.0 - share).astype(g.dtype)


class Minimum(Function):
    """Elementwise min; where a == b the gradient is split equally between a and b."""

    def forward(self, a, b):
        r = array_module(a, b).minimum(a, b)
        return r if r.dtype is a.dtype and a.ndim else promoted(r, a, b)

    def backward(self, out, g):
        a, b = self.parents
        share = (a.data < b.data) + 0.5 * (a.data == b.data)
        return g * share.astype(g.dtype), g * (1.0 - share).astype(g.dtype)


class Clip(Function):
    """Clamp to [low, high]; the gradient passes where low <= x <= high."""

    def forward(self, a, low=None, high=None):
        self.low, self.high = low, high
        return array_module(a).clip(a, low, high)

    def backward(self, out, g):
        x = self.parents[0].data
        inside = array_module(x).ones_like(x, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return g * inside.astype(g.dtype)


class Where(Function):
    """``cond ? a : b`` with a constant boolean ``cond``."""

    def forward(self, a, b, cond=None):
        self.cond = cond
        r = array_module(a, b).where(cond, a, b)
        return r if r.dtype is a.dtype and a.ndim else promoted(r, a, b)

    def backward(self, out, g):
        zero = 0.0  # a Python float becomes a constant of g's dtype; a float32 NumPy scalar
        # would become a host 0-d array, which a CuPy gradient cannot be mixed with
        return where(self.cond, g, zero), where(self.cond, zero, g)


# ----- public functions ----------------------------------------------------------------------
def add(a: Any, b: Any) -> Tensor:
    return Add.apply(a, b)


def sub(a: Any, b: Any) -> Tensor:
    return Sub.apply(a, b)


def mul(a: Any, b: Any) -> Tensor:
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Tensor:
    return Div.apply(a, b)


def neg(a: Any) -> Tensor:
    return Neg.apply(a)


def pow(a: Any, b: Any) -> Tensor:
    return Pow.apply(a, b)


def exp(a: Any) -> Tensor:
    return Exp.apply(a)


def log(a: Any) -> Tensor:
    return Log.apply(a)


def sqrt(a: Any) -> Tensor:
    return Sqrt.apply(a)


def abs(a: Any) -> Tensor:
    return Abs.apply(a)


def sign(a: Any) -> Tensor:
    return Sign.apply(a)


def maximum(a: Any, b: Any) -> Tensor:
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    return Minimum.apply(a, b)


def clip(a: Any, min: Any = None, max: Any = None) -> Tensor:
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    return Clip.apply(a, low=min, high=max)


def clamp(a: Any, min: Any = None, max: Any = None) -> Tensor:
    """PyTorch's name for ``clip``; tensor bounds go through ``maximum``/``minimum``."""
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        out = a if min is None else maximum(a, min)
        return out if max is None else minimum(out, max)
    return clip(a, min, max)


def masked_fill(a: Any, mask: Any, value: Any) -> Tensor:
    """``a`` with ``value`` wherever the boolean ``mask`` (broadcast to ``a``) is true."""
    m = mask.data if isinstance(mask, Tensor) else mask
    if getattr(m, "dtype", None) is None or m.dtype.kind != "b":
        raise TypeError(f"masked_fill: mask must be a bool tensor, got {getattr(m, 'dtype', m)}")
    a = a if isinstance(a, Tensor) else Tensor(a)
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(
            f"masked_fill: value must be a number or a 0-d tensor, got {value.shape}"
        )
    out = where(m, value, a)
    if out.shape != a.shape:
        raise RuntimeError(
            f"masked_fill: mask of shape {m.shape} is bigger than the input {a.shape}"
        )
    return out


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elements of ``a`` where ``cond`` is true, else of ``b``; ``cond`` gets no gradient."""
    c = cond.data if isinstance(cond, Tensor) else cond
    return Where.apply(a, b, cond=c)


# ----- comparisons: boolean results, no gradient -------------------------------------------
def _compare(name: str, a: Any, b: Any) -> Tensor:
    x = a.data if isinstance(a, Tensor) else a
    y = b.data if isinstance(b, Tensor) else b
    try:
        return Tensor._from_op(getattr(array_module(x, y), name)(x, y), False)
    except ValueError as e:
        shapes = f"{getattr(x, 'shape', ())} and {getattr(y, 'shape', ())}"
        raise OpError(f"{name}: shapes {shapes}: {e}") from e


def eq(a: Any, b: Any) -> Tensor:
    return _compare("equal", a, b)


def ne(a: Any, b: Any) -> Tensor:
    return _compare("not_equal", a, b)


def lt(a: Any, b: Any) -> Tensor:
    return _compare("less", a, b)


def le(a: Any, b: Any) -> Tensor:
    return _compare("less_equal", a, b)


def gt(a: Any, b: Any) -> Tensor:
    return _compare("greater", a, b)


def ge(a: Any, b: Any) -> Tensor:
    return _compare("greater_equal", a, b)
