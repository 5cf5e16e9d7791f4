"""Losses that need care to be stable: fused cross-entropy, binary cross-entropy with logits."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .activation import log_softmax, softmax, softplus
from .elementwise import maximum, where
from .reduce import mean, sum
from .shape import permute, reshape

_REDUCTIONS = ("mean", "sum", "none")


class CrossEntropy(Function):
    """Softmax cross-entropy of logits (M, C) against integer labels (M,), per row.

    With class weights w and label smoothing e, row i with label t costs

        l_i = v_i [(1 - e) w_t (-log p_t) + (e / C) sum_c w_c (-log p_c)],   p = softmax(z_i)

    (v_i = 0 for an ignored row, else 1), and its gradient is

        dl_i/dz = v_i [p ((1 - e) w_t + (e / C) sum_c w_c) - (1 - e) w_t onehot_t - (e / C) w].
    """

    def forward(self, logits, target=None, weight=None, smoothing=0.0, valid=None):
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
        if valid is not None:  # ignored rows: no loss, no gradient
            keep = valid.astype(logits.dtype)
            loss, self.scale = loss * keep, self.scale * keep
            self.offset *= keep[:, None]
        return loss

    def backward(self, out, g):
        logits = self.parents[0]
        dz = softmax(logits, axis=1) * self.scale[:, None] - self.offset
        return dz * reshape(g, (-1, 1))


def _class_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C): one row per position, classes along the row."""
    c = x.shape[1]
    return reshape(permute(x, 0, *range(2, x.ndim), 1), (-1, c))


def _prob_target_loss(
    logits: Tensor, target: Tensor, w: Any, smoothing: float, reduction: str, shape: tuple
) -> Tensor:
    """Cross-entropy against class probabilities, as PyTorch: ``l = -sum_c w_c q_c log p_c``
    with ``q = (1 - e) target + e / C``; ``"mean"`` divides by the number of rows (not by the
    weights)."""
    c = logits.shape[1]
    q = target if not smoothing else target * (1.0 - smoothing) + smoothing / c
    logp = log_softmax(logits, axis=1)
    terms = logp * q if w is None else logp * q * Tensor(w.astype(logits.dtype))
    losses = -sum(terms, 1)
    if reduction == "none":
        return reshape(losses, shape)
    return sum(losses) if reduction == "sum" else mean(losses)


def cross_entropy(
    logits: Any,
    target: Any,
    weight: Any = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
    ignore_index: int = -100,
) -> Tensor:
    """Cross-entropy of raw scores ``logits`` (N, C), (N, C, d1, ...) or unbatched (C,) against
    integer labels (N,), (N, d1, ...), () or class probabilities of the logits' shape.

    Labels equal to ``ignore_index`` cost nothing and get no gradient. ``reduction='none'`` gives
    one loss per label, shaped as the labels; ``'mean'`` divides the sum by the summed weights of
    the labels that are not ignored (their count without weights), as PyTorch does; with
    probability targets it divides by the number of rows. Stable for logits of any size.

    >>> logits = st.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
    >>> loss = st.cross_entropy(logits, [0])
    >>> loss.backward()
    """
    logits = logits if isinstance(logits, Tensor) else Tensor(logits)
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
        )
    if logits.ndim < 1:
        raise ValueError(f"cross_entropy: logits need shape (N, C), got {logits.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    unbatched = logits.ndim == 1
    if unbatched:
        logits = reshape(logits, (1, -1))
    c = logits.shape[1]
    w = None
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        if w.shape != (c,):
            raise ValueError(f"cross_entropy: weight needs shape ({c},), got {w.shape}")
    xp = array_module(logits.data)
    if not isinstance(target, Tensor):  # a list or an array: onto the logits' device
        t = backend.asarray_on(target, logits.device)
        target = Tensor(t.astype(logits.dtype, copy=False) if t.dtype.kind == "f" else t)
    if target.dtype.kind == "f":  # class probabilities
        q = target
        if unbatched:
            q = reshape(q, (1, -1))
        if q.shape != logits.shape:
            raise ValueError(
                f"cross_entropy: probability targets need the logits' shape {logits.shape}, "
                f"got {q.shape}"
            )
        shape = () if unbatched else (logits.shape[0], *logits.shape[2:])
        if logits.ndim > 2:
            logits, q = _class_last(logits), _class_last(q)
        w = None if w is None else xp.asarray(w)
        return _prob_target_loss(logits, q, w, float(label_smoothing), reduction, shape)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: target must hold integer class labels or float class probabilities, "
            f"got {t.dtype}"
        )
    if unbatched:
        t = t.reshape(1)
    want = (logits.shape[0], *logits.shape[2:])
    if t.shape != want:
        raise ValueError(
            f"cross_entropy: logits {logits.shape} need labels of shape {want}, got {t.shape}"
        )
    if logits.ndim > 2:  # (N, C, d...) -> (N*d..., C), as PyTorch accepts for sequences and images
        logits = _class_last(logits)
    t = xp.asarray(t).reshape(-1)  # on the logits' device
    w = None if w is None else xp.asarray(w)
    t, valid = _labels(t, c, ignore_index, "cross_entropy")
    losses = CrossEntropy.apply(
        logits, target=t, weight=w, smoothing=float(label_smoothing), valid=valid
    )
    if reduction == "none":
        return reshape(losses, () if unbatched else want)
    if reduction == "sum":
        return sum(losses)
    if w is None and valid is None:  # one op instead of two: this is every training step
        return mean(losses)
    return sum(losses) * _inverse_total(t, valid, w)


def _labels(t: Any, c: int, ignore_index: int, op: str) -> tuple[Any, Any]:
    """Flat labels with ignored ones replaced by 0 (a safe index), and the mask of kept ones
    (None when nothing is ignored); labels outside [0, C) that are not ignored are an error."""
    ignored = t == ignore_index
    valid = None if not bool(ignored.any()) else ~ignored
    checked = t if valid is None else t[valid]
    if checked.size and (int(checked.min()) < 0 or int(checked.max()) >= c):
        raise ValueError(
            f"{op}: labels must lie in [0, {c}) or equal ignore_index={ignore_index}, "
            f"got [{int(checked.min())}, {int(checked.max())}]"
        )
    return (t if valid is None else array_module(t).where(valid, t, 0)), valid


def _inverse_total(t: Any, valid: Any, w: Any) -> float:
    """1 / (the summed weights of the kept labels), PyTorch's "mean" divisor; NaN if none kept."""
    kept = t if valid is None else t[valid]
    total = float(kept.size) if w is None else float(w[kept].sum())
    return 1.0 / total if total else float("nan")


def _clamped_log(t: Tensor) -> Tensor:
    """``max(log t, -100)`` as PyTorch's binary cross-entropy takes it; log of 0 is never formed."""
    positive = t.data > 0
    return maximum(where(positive, where(positive, t, 1.0).log(), -100.0), -100.0)


def _clamped_log_array(a: Any) -> Any:
    xp = array_module(a)
    out = xp.full_like(a, -100.0)
    positive = a > 0
    out[positive] = xp.maximum(xp.log(a[positive]), -100.0)
    return out


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's EPSILON in its BCE backward, a float


class BinaryCrossEntropy(Function):
    """``l = -w [y log x + (1 - y) log(1 - x)]`` on probabilities x, logs clamped at -100.

    Rules as PyTorch's: ``dl/dx = w (x - y) / max(x (1 - x), eps)`` with PyTorch's eps (1e-12
    rounded to float32), finite at x = 0 or 1; ``dl/dy = w [log(1 - x) - log x]`` with the logs
    clamped at -100 (PyTorch leaves them unclamped: +-inf where x is exactly 0 or 1).
    """

    def forward(self, x, y, weight=None):
        self.weight = weight
        loss = -(y * _clamped_log_array(x) + (1 - y) * _clamped_log_array(1 - x))
        return (loss if weight is None else loss * weight).astype(x.dtype, copy=False)

    def backward(self, out, g):
        x, y = self.parents
        gw = g if self.weight is None else g * self.weight
        gx = gw * (x - y) / maximum(x * (1.0 - x), _BCE_EPS) if x.requires_grad else None
        gy = gw * (_clamped_log(1.0 - x) - _clamped_log(x)) if y.requires_grad else None
        return gx, gy


def binary_cross_entropy(
    input: Any, target: Any, weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against targets of its shape:
    ``l_i = -w_i [y_i log x_i + (1 - y_i) log(1 - x_i)]``, each log clamped at -100 as PyTorch
    (so x = 0 or 1 gives a finite loss). Prefer ``binary_cross_entropy_with_logits`` on raw
    scores: it never saturates.

    >>> st.binary_cross_entropy(st.tensor([0.9, 0.2]), st.tensor([1.0, 0.0]))
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    y = target if isinstance(target, Tensor) else Tensor(
        backend.asarray_on(target, x.device, x.dtype))  # a list or array: onto x's device
    if reduction not in _REDUCTIONS:
        raise ValueError(f"binary_cross_entropy: reduction must be one of {_REDUCTIONS}")
    if y.shape != x.shape:
        raise ValueError(
            f"binary_cross_entropy: target {y.shape} must have the input's shape {x.shape}"
        )
    xp = array_module(x.data)
    if x.data.size and not bool(((x.data >= 0) & (x.data <= 1)).all()):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]")
    w = None
    if weight is not None:
        w = xp.asarray(weight.data if isinstance(weight, Tensor) else np.asarray(weight))
        w = xp.broadcast_to(w.astype(x.dtype), x.shape)  # PyTorch: weight broadcasts to input
    losses = BinaryCrossEntropy.apply(x, y, weight=w)
    if reduction == "none":
        return losses
    return sum(losses) if reduction == "sum" else mean(losses)


def binary_cross_entropy_with_logits(
    logits: Any, target: Any, pos_weight: Any = None, reduction: str = "mean", weight: Any = None
) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable expression.

        l = w [(1 - y) x + (1 + (pw - 1) y) softplus(-x)]

    equal to ``-w [pw y log s(x) + (1 - y) log(1 - s(x))]`` without ever forming log(0);
    ``weight`` w (broadcast to the logits) rescales each element, ``pos_weight`` pw the positives.
    """
    x = logits if isinstance(logits, Tensor) else Tensor(logits)
    y = target if isinstance(target, Tensor) else Tensor(
        backend.asarray_on(target, x.device, x.dtype))  # a list or array: onto x's device
    if y.shape != x.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target {y.shape} vs logits {x.shape}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"binary_cross_entropy_with_logits: unknown reduction {reduction!r}")
    log_weight = 1.0 if pos_weight is None else (pos_weight - 1.0) * y + 1.0
    losses = (1.0 - y) * x + log_weight * softplus(-x)
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        losses = losses * Tensor(array_module(x.data).asarray(w).astype(x.dtype))
    if reduction == "none":
        return losses
    return sum(losses) if reduction == "sum" else mean(losses)
