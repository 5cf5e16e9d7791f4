"""``st.nn.functional``: the losses as plain functions of tensors, and ops by PyTorch names.

Every loss takes ``reduction``: ``"mean"`` (the default), ``"sum"`` or ``"none"``
(one value per element or example). All are stable for inputs of +-1e4: no
overflow, no NaN, no RuntimeWarning. Cross-entropy and binary cross-entropy use
the fused ops in ``steepest.ops``; the rest are composed from Tensor ops and need
no derivative rule of their own.

Activations, dropout, convolution and pooling are the ops of ``steepest.ops``,
reachable here too (``F.relu``, ``F.conv2d``, ...) so PyTorch-style code reads the same.

>>> import steepest.nn.functional as F
>>> loss = F.cross_entropy(model(x), labels, label_smoothing=0.1)
>>> loss.backward()
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, ops
from ..backend import array_module
from ..ops import loss as _loss
from ..random import Generator, generator_or_default
from ..tensor import Tensor
from ._interpolate import interpolate as interpolate
from ._pad import pad as pad
from ._pool_options import avg_pool2d as avg_pool2d
from ._pool_options import max_pool2d as max_pool2d
from ._pool_options import max_unpool2d as max_unpool2d

_REDUCTIONS = ("mean", "sum", "none")

# Ops of steepest.ops that PyTorch code calls through F; resolved at call time (see __getattr__).
_FROM_OPS = frozenset({
    "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus", "softmax", "log_softmax",
    "silu", "mish", "hardswish", "hardsigmoid", "hardtanh", "relu6", "selu", "celu", "erf",
    "batch_norm", "linear",
    "conv2d", "adaptive_avg_pool2d",
})  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _FROM_OPS:
        return getattr(ops, name)
    raise AttributeError(f"module 'steepest.nn.functional' has no attribute {name!r}")


# ----- helpers ---------------------------------------------------------------------------------
def _as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if like is None:
        return Tensor(x)
    x = x if hasattr(x, "__cuda_array_interface__") else np.asarray(x, dtype=like.dtype)
    return Tensor(backend.to_device(x, like.device).astype(like.dtype, copy=False))


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def _pair(name: str, input: Any, target: Any, reduction: str) -> tuple[Tensor, Tensor]:
    """Input and target as tensors of the same shape (a silent broadcast is a classic bug)."""
    _check_reduction(name, reduction)
    x = _as_tensor(input)
    y = _as_tensor(target, like=x)
    if x.shape != y.shape:
        raise ValueError(
            f"{name}: input {x.shape} and target {y.shape} must have the same shape "
            "(reshape one of them; broadcasting here is usually a bug)"
        )
    return x, y


# ----- dropout and one-hot ---------------------------------------------------------------------
def dropout(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """PyTorch's ``F.dropout(input, p, training)``; ``inplace`` is accepted and ignored (the
    result is always a new tensor: in-place writes on graph tensors are not supported)."""
    return ops.dropout(input, p, training=training, generator=generator)


def dropout2d(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Zero whole channels: each (sample, channel) plane of an (N, C, H, W) or (C, H, W) input
    is dropped with probability ``p`` and the kept ones scaled by ``1 / (1 - p)`` (Tompson et
    al., 2015). Identity when not ``training``; ``inplace`` as in ``dropout``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be in [0, 1], got {p}")
    x = _as_tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: input must be (N, C, H, W) or (C, H, W), got {x.shape}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    planes = x.shape[:-2] + (1, 1)
    keep = generator_or_default(generator).np.random(planes, dtype=np.float32) >= p
    xp = array_module(x.data)
    mask = xp.asarray(keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p)))
    return x * Tensor(mask)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer labels of any shape -> int64 one-hot vectors along a new last axis;
    ``num_classes=-1`` takes ``max + 1``.

    >>> F.one_hot(st.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    t = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: needs an integer tensor, got {t.dtype}")
    xp = array_module(t)
    if num_classes == -1:
        if t.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(t.max()) + 1
    if t.size and (int(t.min()) < 0 or int(t.max()) >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}), got [{int(t.min())}, {int(t.max())}]"
        )
    out = (t[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._from_op(out, False)


# ----- linear ----------------------------------------------------------------------------------
def embedding(input: Any, weight: Any, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` picked by the integer ids ``input``, in PyTorch's argument order
    (``torch.nn.functional.embedding(input, weight)``); ``st.embedding(weight, ids)`` is the
    same op with the table first.

    >>> F.embedding(st.tensor([[1, 0, 2]]), st.randn(4, 8), padding_idx=0).shape
    (1, 3, 8)
    """
    return ops.embedding(weight, input, padding_idx=padding_idx)


# ----- regression losses -----------------------------------------------------------------------
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: ``l_i = (x_i - y_i)^2``.

    >>> F.mse_loss(st.tensor([1.0, 2.0]), st.tensor([0.0, 0.0]))  # (1 + 4) / 2
    tensor(2.5)
    """
    x, y = _pair("mse_loss", input, target, reduction)
    d = x - y
    return _reduce(d * d, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: ``l_i = |x_i - y_i|`` (subgradient 0 at equality)."""
    x, y = _pair("l1_loss", input, target, reduction)
    return _reduce((x - y).abs(), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss: ``0.5 d^2`` where ``|d| <= delta``, ``delta (|d| - 0.5 delta)`` beyond,
    with ``d = x - y``.

    Written as ``0.5 q^2 + delta (|d| - q)`` with ``q = min(|d|, delta)``: one expression, no
    branch, and nothing squared beyond ``delta`` (no overflow for large errors).
    """
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x, y = _pair("huber_loss", input, target, reduction)
    a = (x - y).abs()
    q = ops.minimum(a, delta)
    return _reduce(0.5 * q * q + delta * (a - q), reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ``0.5 d^2 / beta`` where ``|d| < beta``, ``|d| - 0.5 beta`` beyond; equal to
    ``huber_loss(delta=beta) / beta``, and to ``l1_loss`` when ``beta = 0``."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    return huber_loss(input, target, reduction, delta=beta) * (1.0 / beta)


# ----- classification losses -------------------------------------------------------------------
def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits (N, C), (N, C, d...) or (C,) against integer labels
    ((N,), (N, d...), ()) or class probabilities (the logits' shape), as PyTorch.

    With class weights ``w`` and smoothing ``e``, example i with label t costs
    ``(1 - e) w_t (-log p_t) + (e / C) sum_c w_c (-log p_c)`` with ``p = softmax(x_i)``;
    labels equal to ``ignore_index`` cost 0. ``"mean"`` divides the sum by ``sum_i w_{t_i}``
    over the labels not ignored (their count without weights); ``"none"`` keeps the labels'
    shape. Probability targets ``q`` cost ``-sum_c w_c q'_c log p_c`` with
    ``q' = (1 - e) q + e / C``, and ``"mean"`` divides by the number of examples.
    """
    return ops.cross_entropy(
        input,
        target,
        weight=weight,
        label_smoothing=label_smoothing,
        reduction=reduction,
        ignore_index=ignore_index,
    )


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C), (N, C, d...) or (C,):
    ``l_i = -w_t x_{i,t}``, 0 where the label equals ``ignore_index``.

    ``"mean"`` divides by the summed weights of the labels not ignored, as in
    ``cross_entropy``; ``"none"`` keeps the labels' shape;
    ``nll_loss(log_softmax(x), t)`` equals ``cross_entropy(x, t)``.
    """
    _check_reduction("nll_loss", reduction)
    x = _as_tensor(input)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if x.ndim < 1:
        raise ValueError(f"nll_loss: input needs shape (N, C), got {x.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold integer class labels, got {t.dtype}")
    unbatched = x.ndim == 1
    if unbatched:
        x, t = x.reshape(1, -1), t.reshape(1)
    c = x.shape[1]
    want = (x.shape[0], *x.shape[2:])
    if t.shape != want:
        raise ValueError(f"nll_loss: input {x.shape} needs labels of shape {want}, got {t.shape}")
    if x.ndim > 2:  # class axis last, then one row per position
        x = x.permute((0, *range(2, x.ndim), 1)).reshape(-1, c)
    xp = array_module(x.data)
    t, valid = _loss._labels(xp.asarray(t).reshape(-1), c, ignore_index, "nll_loss")
    w = None
    if weight is not None:
        w = xp.asarray(weight.data if isinstance(weight, Tensor) else np.asarray(weight))
        if w.shape != (c,):
            raise ValueError(f"nll_loss: weight needs shape ({c},), got {w.shape}")
    scale = xp.ones(t.shape, dtype=x.dtype) if w is None else w[t].astype(x.dtype)
    if valid is not None:
        scale = scale * valid
    losses = -x[xp.arange(x.shape[0]), t] * scale
    if reduction == "none":
        return losses.reshape(() if unbatched else want)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() * _loss._inverse_total(t, valid, w)


def binary_cross_entropy(
    input: Any, target: Any, weight: Any = None, *, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of probabilities in [0, 1]:
    ``l_i = -w_i [y_i log x_i + (1 - y_i) log(1 - x_i)]``, logs clamped at -100 as PyTorch.
    On raw scores use ``binary_cross_entropy_with_logits`` (stable where x saturates)."""
    x, y = _pair("binary_cross_entropy", input, target, reduction)
    return ops.binary_cross_entropy(x, y, weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Sigmoid then binary cross-entropy, fused so it never takes log(0):

    ``l_i = -w_i [p y_i log s(x_i) + (1 - y_i) log(1 - s(x_i))]`` with ``p = pos_weight``
    (1 if None), a weight on the positive class (broadcast over the last axis, one per class),
    and ``w = weight`` (1 if None) broadcast to the input.
    """
    x, y = _pair("binary_cross_entropy_with_logits", input, target, reduction)
    pw = None if pos_weight is None else _as_tensor(pos_weight, like=x)
    return ops.binary_cross_entropy_with_logits(
        x, y, pos_weight=pw, reduction=reduction, weight=weight
    )


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence ``KL(target || q)`` with ``input = log q`` (log-probabilities), as PyTorch:

    ``l_i = y_i (log y_i - x_i)`` (0 where y_i = 0), or ``e^{y_i} (y_i - x_i)`` when
    ``log_target``. ``"mean"`` averages over all elements; ``"batchmean"`` divides the sum by
    the batch size, which is the KL divergence per example.
    """
    if reduction not in (*_REDUCTIONS, "batchmean"):
        raise ValueError(
            f"kl_div: reduction must be one of {(*_REDUCTIONS, 'batchmean')}, got {reduction!r}"
        )
    x, y = _pair("kl_div", input, target, "none")
    if log_target:
        losses = y.exp() * (y - x)
    else:
        # y log y with 0 log 0 = 0: the log is taken of a stand-in 1 where y = 0
        safe = ops.where(y.data > 0, y, 1.0)
        losses = y * safe.log() - y * x
    if reduction == "batchmean":
        return losses.sum() * (1.0 / x.shape[0]) if x.ndim else losses.sum()
    return _reduce(losses, reduction)
