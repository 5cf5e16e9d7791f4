"""Matrix products."""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..tensor import Tensor
from .reduce import sum
from .shape import reshape, swapaxes
from .threads import matmul as _product  # a @ b on steepest's threads (NumPy), else a @ b


class MatMul(Function):
    """``a @ b`` for operands with >= 2 dims; batch dimensions broadcast."""

    def forward(self, a, b):
        return _product(a, b)

    def backward(self, out, g):
        a, b = self.parents
        ga = g @ swapaxes(b, -1, -2) if a.requires_grad else None
        gb = swapaxes(a, -1, -2) @ g if b.requires_grad else None
        return ga, gb


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules: a 1-D operand acts as a row / column, dropped after."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: operands must have >= 1 dimension, got shapes {a.shape} and {b.shape}"
        )
    if a.ndim >= 2 and b.ndim >= 2:
        return MatMul.apply(a, b)
    a2 = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    out = MatMul.apply(a2, b2)
    shape = out.shape
    if a.ndim == 1:
        shape = shape[:-2] + shape[-1:]
    if b.ndim == 1:
        shape = shape[:-1]
    return reshape(out, shape)


class Linear(Function):
    """``y = x W^T + b`` for x (N, in), W (out, in), b (out,): one node for a whole layer.

    Derivative rule, with g = dL/dy (N, out): ``dx = g W``, ``dW = g^T x``, ``db = sum_n g``.
    ``g^T x`` comes out in W's own (out, in) layout, so it adds into ``W.grad`` contiguously.
    """

    def forward(self, x, weight, bias=None):
        y = _product(x, weight.T)  # BLAS reads the transposed operand in place: no copy
        if bias is not None:
            y += bias  # into the fresh product: no second (N, out) array
        return y

    def backward(self, out, g):
        x, w = self.parents[0], self.parents[1]
        gx = _product(g, w) if x.requires_grad else None
        gw = _product(g.T, x) if w.requires_grad else None
        if len(self.parents) == 2:
            return gx, gw
        return gx, gw, sum(g, 0) if self.parents[2].requires_grad else None


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """``x W^T + b`` for W (out, in), as ``torch.nn.functional.linear``; x (..., in).

    >>> w = st.randn(3, 4, requires_grad=True)
    >>> st.linear(st.randn(2, 4), w, st.zeros(3)).shape
    (2, 3)
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input's last dimension must match weight (out, in) = {weight.shape}, "
            f"got input shape {x.shape}"
        )
    if bias is not None:
        bias = bias if isinstance(bias, Tensor) else Tensor(bias)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    params = (weight,) if bias is None else (weight, bias)
    if x.ndim == 2:
        return Linear.apply(x, *params)
    flat = reshape(x, (-1, x.shape[-1]))  # one GEMM, not a broadcast one per leading index
    return reshape(Linear.apply(flat, *params), (*x.shape[:-1], weight.shape[0]))
