"""Losses that need care to be stable: fused cross-entropy, binary cross-entropy with logits."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .activation import softmax, softplus
from .reduce import mean, sum
from .shape import permute, reshape

_REDUCTIONS = ("mean", "sum", "none")


class CrossEntropy(Function):
    """Softmax cross-entropy of logits (N, C) against integer labels (N,), per example.

    With class weights w and label smoothing e, example i with label t costs

        l_i = (1 - e) w_t (-log p_t) + (e / C) sum_c w_c (-log p_c),   p = softmax(z_i)

    and its gradient is

        dl_i/dz = p ((1 - e) w_t + (e / C) sum_c w_c) - (1 - e) w_t onehot_t - (e / C) w.
    """

    def forward(self, logits, target=None, weight=None, smoothing=0.0):
        xp = array_module(logits)
        n, c = logits.shape
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        w = xp.ones(c, dtype=logits.dtype) if weight is None else weight.astype(logits.dtype)
        w_t = w[target]
        loss = (1.0 - smoothing) * w_t * -logp[xp.arange(n), target]
        if smoothing:
            loss = loss + (smoothing / c) * -(logp * w).sum(axis=1)
        # the constant parts of the gradient, kept for backward
        self.scale = (1.0 - smoothing) * w_t + (smoothing / c) * w.sum()
        self.offset = (smoothing / c) * xp.broadcast_to(w, logits.shape).copy()
        self.offset[xp.arange(n), target] += (1.0 - smoothing) * w_t
        return loss

    def backward(self, out, g):
        logits = self.parents[0]
        dz = softmax(logits, axis=1) * self.scale[:, None] - self.offset
        return dz * reshape(g, (-1, 1))


def cross_entropy(
    logits: Any,
    target: Any,
    weight: Any = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> Tensor:
    """Cross-entropy of raw scores ``logits`` (N, C) or (N, C, d1, ...) against integer labels.

    ``reduction='mean'`` divides by the summed weights of the labels (by N without weights),
    as PyTorch does. Stable for logits of any size: no overflow, no NaN.

    >>> logits = st.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
    >>> loss = st.cross_entropy(logits, [0])
    >>> loss.backward()
    """
    logits = logits if isinstance(logits, Tensor) else Tensor(logits)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
        )
    if logits.ndim < 2:
        raise ValueError(f"cross_entropy: logits need shape (N, C), got {logits.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class labels, got {t.dtype}")
    c = logits.shape[1]
    if logits.ndim > 2:  # (N, C, d...) -> (N*d..., C), as PyTorch accepts for sequences and images
        axes = (0, *range(2, logits.ndim), 1)
        logits = reshape(permute(logits, axes), (-1, c))
        t = t.reshape(-1)
    if t.shape != (logits.shape[0],):
        raise ValueError(
            f"cross_entropy: logits {logits.shape} need {logits.shape[0]} labels, got {t.shape}"
        )
    if t.size and (t.min() < 0 or t.max() >= c):
        raise ValueError(f"cross_entropy: labels must lie in [0, {c}), got [{t.min()}, {t.max()}]")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    w = None
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        if w.shape != (c,):
            raise ValueError(f"cross_entropy: weight needs shape ({c},), got {w.shape}")
    losses = CrossEntropy.apply(logits, target=t, weight=w, smoothing=float(label_smoothing))
    if reduction == "none":
        return losses
    if reduction == "sum":
        return sum(losses)
    if w is None:
        return mean(losses)
    return sum(losses) * (1.0 / float(w[t].sum()))


def binary_cross_entropy_with_logits(
    logits: Any, target: Any, pos_weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable expression.

        l = (1 - y) x + (1 + (pw - 1) y) softplus(-x)

    equal to ``-[pw y log s(x) + (1 - y) log(1 - s(x))]`` without ever forming log(0).
    """
    x = logits if isinstance(logits, Tensor) else Tensor(logits)
    y = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=x.dtype))
    if y.shape != x.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target {y.shape} vs logits {x.shape}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"binary_cross_entropy_with_logits: unknown reduction {reduction!r}")
    log_weight = 1.0 if pos_weight is None else (pos_weight - 1.0) * y + 1.0
    losses = (1.0 - y) * x + log_weight * softplus(-x)
    if reduction == "none":
        return losses
    return sum(losses) if reduction == "sum" else mean(losses)
