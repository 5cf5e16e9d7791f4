"""Matrix products."""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..tensor import Tensor
from .shape import reshape, swapaxes


class MatMul(Function):
    """``a @ b`` for operands with >= 2 dims; batch dimensions broadcast."""

    def forward(self, a, b):
        return a @ b

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
