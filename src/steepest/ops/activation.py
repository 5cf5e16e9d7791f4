"""Activations, each stable for inputs up to +-1e4: no overflow, no NaN, no RuntimeWarning."""

from __future__ import annotations

import math
from typing import Any

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from ._dims import normalize_dim, resolve
from .elementwise import exp, minimum, where
from .reduce import sum


class ReLU(Function):
    def forward(self, a):
        return array_module(a).maximum(a, 0)

    def backward(self, out, g):
        return g * (self.parents[0].data > 0).astype(g.dtype)  # faster than np.where here


class Sigmoid(Function):
    def forward(self, a):
        # 1/(1+e^-x) overflows e^-x for x << 0; the tanh form never does
        return 0.5 * (array_module(a).tanh(0.5 * a) + 1)

    def backward(self, out, g):
        return g * out * (1.0 - out)


class Tanh(Function):
    def forward(self, a):
        return array_module(a).tanh(a)

    def backward(self, out, g):
        return g * (1.0 - out * out)


class Softplus(Function):
    """``log(1 + e^x)`` as logaddexp(0, x): large x neither overflows nor rounds to inf."""

    def forward(self, a):
        return array_module(a).logaddexp(0, a)

    def backward(self, out, g):
        return g * sigmoid(self.parents[0])


class Softmax(Function):
    def forward(self, a, axis=-1):
        self.axis = axis  # a checked dim; () for a 0-d tensor, whose softmax is 1
        xp = array_module(a)
        e = xp.exp(a - a.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def backward(self, out, g):
        return out * (g - sum(g * out, self.axis, keepdim=True))


class LogSoftmax(Function):
    def forward(self, a, axis=-1):
        self.axis = axis
        xp = array_module(a)
        shifted = a - a.max(axis=axis, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(self, out, g):
        return g - exp(out) * sum(g, self.axis, keepdim=True)


def _softmax_axis(op: str, x: Any, dim: Any, axis: Any) -> Any:
    dim, _ = resolve(op, dim, False, axis, None)
    ndim = x.ndim if isinstance(x, Tensor) else array_module(x).ndim(x)
    d = normalize_dim(-1 if dim is None else dim, ndim, op)
    return d if d < ndim else ()


def relu(x: Any) -> Tensor:
    """``max(x, 0)``; the derivative at 0 is taken as 0."""
    return ReLU.apply(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    return where(x > 0, x, x * negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for x > 0, ``alpha (e^x - 1)`` otherwise (exp of min(x, 0): no overflow)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return where(x > 0, x, (exp(minimum(x, 0.0)) - 1.0) * alpha)


def gelu(x: Any) -> Tensor:
    """GELU, tanh form: ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` (as GPT-2, BERT)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    inner = (x + 0.044715 * x * x * x) * math.sqrt(2.0 / math.pi)
    return 0.5 * x * (1.0 + tanh(inner))


def sigmoid(x: Any) -> Tensor:
    return Sigmoid.apply(x)


def tanh(x: Any) -> Tensor:
    return Tanh.apply(x)


def softplus(x: Any) -> Tensor:
    return Softplus.apply(x)


def softmax(x: Any, dim: int | None = None, *, axis: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (the last dim when not given)."""
    return Softmax.apply(x, axis=_softmax_axis("softmax", x, dim, axis))


def log_softmax(x: Any, dim: int | None = None, *, axis: Any = None) -> Tensor:
    """``log(softmax(x, dim))``, computed without forming the softmax."""
    return LogSoftmax.apply(x, axis=_softmax_axis("log_softmax", x, dim, axis))
