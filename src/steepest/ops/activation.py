"""Activations, each stable for inputs up to +-1e4: no overflow, no NaN, no RuntimeWarning."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import array_module
from ..promotion import floating
from ..tensor import Tensor
from . import _aligned, fused, threads
from ._dims import normalize_dim, resolve
from .elementwise import exp, where
from .reduce import sum
from .special import erf
from .threads import ufunc


class ReLU(Function):
    def forward(self, a):
        return ufunc(np.maximum, a, 0, lambda a, b: array_module(a).maximum(a, b))

    def backward(self, out, g):
        return ReLUGrad.apply(g, x=self.parents[0].data)


class ReLUGrad(Function):
    """dx = g * (x > 0): ReLU's rule as an op, linear in g (its own rule is itself)."""

    def forward(self, g, x=None):
        self.x = x
        # below 256K values the NumPy form is as quick: the compiled call costs ~25 us to set up
        runs = _runs(g, x) if g.size >= 1 << 18 else None
        run = fused.get("relu_backward", g, x) if runs is not None else None
        if run is None:
            return g * (x > 0).astype(g.dtype)  # faster than np.where here
        out = _aligned.empty_like(x)  # x's layout
        (n0, n1, length), (g0, g1), (x0, x1) = runs
        pg, px, pd = (fused.pointer(a) for a in (g, x, out))
        pieces = min(threads.get_num_threads(), g.size // threads.MIN_ELEMENTS_PER_UFUNC_BLOCK)
        item = g.itemsize

        def block(lo: int, hi: int) -> None:
            """Outer rows lo <= i < hi; with one outer row, runs lo <= j < hi; with one run,
            its values lo <= k < hi."""
            if n0 > 1:
                i, j, k, shape = lo, 0, 0, (hi - lo, n1, length)
            elif n1 > 1:
                i, j, k, shape = 0, lo, 0, (1, hi - lo, length)
            else:
                i, j, k, shape = 0, 0, lo, (1, 1, hi - lo)
            g_at, x_at = (i * g0 + j * g1 + k) * item, (i * x0 + j * x1 + k) * item
            run(pg + g_at, px + x_at, pd + x_at, *shape, g0, g1, x0, x1)

        spans = threads.ranges(n0 if n0 > 1 else n1 if n1 > 1 else length, max(1, pieces))
        threads.run([lambda s=s: block(*s) for s in spans])
        return out

    def backward(self, out, gg):
        return ReLUGrad.apply(gg, x=self.x)


def _runs(g: Any, x: Any) -> tuple | None:
    """g and x (NumPy, one shape and dtype; x dense, positive strides) as n0 x n1 runs of
    contiguous values: ((n0, n1, run), g's outer strides, x's outer strides), in elements;
    None if they do not fit that (then the NumPy form runs)."""
    if type(g) is not np.ndarray or type(x) is not np.ndarray or g.shape != x.shape:
        return None
    if g.dtype != x.dtype or min(g.strides, default=1) <= 0 or x.size == 0:
        return None
    order = _aligned.memory_order(x)
    if order is None:
        return None
    item = x.itemsize
    merged: list[tuple[int, int, int]] = []  # (size, g stride, x stride), innermost first
    for i in reversed(order):
        size, gs, xs = x.shape[i], g.strides[i] // item, x.strides[i] // item
        if size == 1:
            continue
        if merged and gs == merged[-1][1] * merged[-1][0] and xs == merged[-1][2] * merged[-1][0]:
            inner = merged.pop()  # this axis continues the inner one: one longer axis
            merged.append((inner[0] * size, inner[1], inner[2]))
        else:
            merged.append((size, gs, xs))
    merged += [(1, 0, 0)] * (3 - len(merged))
    if len(merged) > 3 or merged[0][1:] != (1, 1):
        return None
    (run, _, _), (n1, g1, x1), (n0, g0, x0) = merged
    return (n0, n1, run), (g0, g1), (x0, x1)


class Sigmoid(Function):
    def forward(self, a):
        # 1/(1+e^-x) overflows e^-x for x << 0; the tanh form never does
        a = floating(a)  # sigmoid of ints is float32, as in PyTorch
        return 0.5 * (array_module(a).tanh(0.5 * a) + 1)

    def backward(self, out, g):
        return g * out * (1.0 - out)


class Tanh(Function):
    def forward(self, a):
        return array_module(a).tanh(floating(a))

    def backward(self, out, g):
        return g * (1.0 - out * out)


class Softplus(Function):
    """``log(1 + e^x)`` as logaddexp(0, x): large x neither overflows nor rounds to inf."""

    def forward(self, a):
        return array_module(a).logaddexp(0, floating(a))

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
    """``x`` for x > 0, ``negative_slope * x`` otherwise; the slope at 0 is ``negative_slope``
    (PyTorch's convention)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return where(x > 0, x, x * negative_slope)


def _negative_part(x: Tensor) -> Tensor:
    """``min(x, 0)`` whose derivative at 0 is 1 (the branch x <= 0 owns the kink, as PyTorch's
    elu/selu/celu); ``minimum`` would split it 0.5/0.5. Keeps exp of it from overflowing."""
    return where(x > 0, 0.0, x)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for x > 0, ``alpha (e^x - 1)`` otherwise; the derivative at 0 is ``alpha``
    (PyTorch's convention: the x <= 0 branch)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return where(x > 0, x, (exp(_negative_part(x)) - 1.0) * alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Any) -> Tensor:
    """``scale * elu(x, alpha)`` with Klambauer et al.'s (2017) self-normalizing constants
    ``alpha = 1.6733, scale = 1.0507``; the derivative at 0 is ``scale * alpha``."""
    return elu(x, _SELU_ALPHA) * _SELU_SCALE


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for x > 0, ``alpha (e^(x / alpha) - 1)`` otherwise (Barron, 2017): C1 for any
    alpha, so the derivative at 0 is 1."""
    if alpha == 0:
        raise ValueError("celu: alpha must be non-zero")
    x = x if isinstance(x, Tensor) else Tensor(x)
    return where(x > 0, x, (exp(_negative_part(x) * (1.0 / alpha)) - 1.0) * alpha)


def _corners(x: Tensor, low: float, low_value: float, high_value: float) -> Any:
    """A constant array of x's dtype: ``low_value`` where x <= low, else ``high_value``."""
    return array_module(x.data).where(x.data <= low, low_value, high_value).astype(x.dtype)


def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``x`` clamped to [min_val, max_val]; the derivative is 1 strictly inside, 0 at and
    beyond the corners (PyTorch's convention; ``st.clip`` passes the gradient at them)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must be <= max_val {max_val}")
    x = x if isinstance(x, Tensor) else Tensor(x)
    inside = (x.data > min_val) & (x.data < max_val)
    return where(inside, x, _corners(x, min_val, min_val, max_val))


def relu6(x: Any) -> Tensor:
    """``min(max(x, 0), 6)``; derivative 1 on (0, 6), 0 elsewhere (at 0 and 6 too)."""
    return hardtanh(x, 0.0, 6.0)


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit (Hendrycks & Gimpel, 2016), ``x Phi(x)`` with Phi the
    standard normal CDF:

    * ``approximate="none"`` (default, as PyTorch): ``0.5 x (1 + erf(x / sqrt(2)))``, exact;
    * ``approximate="tanh"``: ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` (GPT-2, BERT),
      within 5e-4 of the exact form and much cheaper here (NumPy has no erf kernel).
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if approximate == "tanh":
        inner = (x + 0.044715 * x * x * x) * math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + tanh(inner))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1.0 + erf(x * math.sqrt(0.5)))


def silu(x: Any) -> Tensor:
    """``x * sigmoid(x)`` (swish; Elfwing et al., 2018): smooth, so no kink convention."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return x * sigmoid(x)


def mish(x: Any) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra, 2019); softplus is stable, so no overflow."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return x * tanh(softplus(x))


def hardsigmoid(x: Any) -> Tensor:
    """``clamp(x / 6 + 1/2, 0, 1)``; derivative 1/6 strictly inside (-3, 3), 0 at +-3 and beyond
    (PyTorch's convention)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    inside = (x.data > -3.0) & (x.data < 3.0)
    return where(inside, x * (1.0 / 6.0) + 0.5, _corners(x, -3.0, 0.0, 1.0))


def hardswish(x: Any) -> Tensor:
    """``x * relu6(x + 3) / 6`` (Howard et al., 2019); derivative 0 for x <= -3, ``x/3 + 1/2``
    inside, 1 for x >= 3 (PyTorch's convention at both corners)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    inside = x * (x + 3.0) * (1.0 / 6.0)
    return where(x.data <= -3.0, x * 0.0, where(x.data >= 3.0, x, inside))


def sigmoid(x: Any) -> Tensor:
    return Sigmoid.apply(x)


def tanh(x: Any) -> Tensor:
    return Tanh.apply(x)


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + e^(beta x)) / beta``, and ``x`` itself where ``beta x > threshold`` (as PyTorch,
    whose gradient there is 1); stable for any x."""
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta}")
    x = x if isinstance(x, Tensor) else Tensor(x)
    if beta == 1.0:
        scaled, smooth = x, Softplus.apply(x)
    else:
        scaled = x * beta
        smooth = Softplus.apply(scaled) * (1.0 / beta)
    if threshold is None or not bool((scaled.data > threshold).any()):
        return smooth
    return where(scaled.data > threshold, x, smooth)


def softmax(x: Any, dim: int | None = None, *, axis: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (the last dim when not given)."""
    return Softmax.apply(x, axis=_softmax_axis("softmax", x, dim, axis))


def log_softmax(x: Any, dim: int | None = None, *, axis: Any = None) -> Tensor:
    """``log(softmax(x, dim))``, computed without forming the softmax."""
    return LogSoftmax.apply(x, axis=_softmax_axis("log_softmax", x, dim, axis))
