"""Normalization layers: BatchNorm1d / BatchNorm2d (batch statistics) and LayerNorm.

Batch norm runs the fused op ``steepest.ops.batch_norm`` (its derivative rule written out,
the gradient flowing through the batch mean and variance as well as through ``x``);
LayerNorm is composed from Tensor ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import empty_parameter, float_dtype


class _BatchNorm(Module):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias``, per channel (axis 1).

    Training: mean and (biased) variance of the batch, over every axis but the channel
    axis; the running statistics move towards them,
    ``running = (1 - momentum) running + momentum batch`` (the running variance takes the
    unbiased batch variance, n / (n - 1) times the biased one), or to the cumulative
    average when ``momentum=None``. Evaluation: the running statistics (batch statistics
    again if ``track_running_stats=False``).

    Defaults (PyTorch's): weight 1, bias 0, running mean 0, running var 1, eps 1e-5,
    momentum 0.1; ``dtype`` defaults to ``st.default_dtype()``.
    """

    _input_ndims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if num_features <= 0:
            raise ValueError(
                f"{type(self).__name__}: num_features must be positive, got {num_features}"
            )
        if eps <= 0:
            raise ValueError(f"{type(self).__name__}: eps must be positive, got {eps}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(
                f"{type(self).__name__}: momentum must be in [0, 1] or None, got {momentum}"
            )
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = init.ones(empty_parameter((num_features,), dtype)) if affine else None
        self.bias = empty_parameter((num_features,), dtype) if affine else None
        if track_running_stats:
            dt = float_dtype(dtype)
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dt)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self._input_ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected input with "
                f"{' or '.join(map(str, self._input_ndims))} dimensions and {self.num_features} "
                f"channels on axis 1, got shape {x.shape}"
            )
        if not self.training and self.track_running_stats:  # evaluation: the running statistics
            return ops.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, eps=self.eps
            )
        n = x.numel() // self.num_features
        if self.training and n <= 1:
            raise ValueError(
                f"{type(self).__name__}: training needs more than 1 value per channel, got "
                f"input shape {x.shape} (use eval() for single examples)"
            )
        running, momentum = (None, None), 0.0
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
            else:
                momentum = self.momentum
            running = (self.running_mean, self.running_var)
        return ops.batch_norm(
            x, *running, self.weight, self.bias, training=True, momentum=momentum, eps=self.eps
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization (Ioffe & Szegedy, 2015) of (N, C) or (N, C, L) inputs.

    >>> bn = st.nn.BatchNorm1d(16)
    >>> y = bn(st.randn(32, 16))   # training: batch statistics, running stats updated
    >>> bn.eval(); y = bn(st.randn(1, 16))  # evaluation: running statistics
    """

    __doc__ = (__doc__ or "") + (_BatchNorm.__doc__ or "")
    _input_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) images, one mean and variance per channel.

    >>> bn = st.nn.BatchNorm2d(8)
    >>> bn(st.randn(4, 8, 5, 5)).shape
    (4, 8, 5, 5)
    """

    __doc__ = (__doc__ or "") + (_BatchNorm.__doc__ or "")
    _input_ndims = (4,)


class LayerNorm(Module):
    """Layer normalization (Ba et al., 2016) over the last ``len(normalized_shape)`` axes:

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the biased variance; the same
    computation in training and evaluation. Defaults: weight 1, bias 0, eps 1e-5.

    >>> ln = st.nn.LayerNorm(16)
    >>> ln(st.randn(4, 10, 16)).shape
    (4, 10, 16)
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        if not shape or any(n <= 0 for n in shape):
            raise ValueError(
                f"LayerNorm: normalized_shape must be positive sizes, got {normalized_shape}"
            )
        if eps <= 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps}")
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        self.weight = init.ones(empty_parameter(shape, dtype)) if elementwise_affine else None
        self.bias = empty_parameter(shape, dtype) if elementwise_affine and bias else None

    def forward(self, x: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k :] != self.normalized_shape:
            raise ValueError(
                f"LayerNorm: input's last dimensions must be {self.normalized_shape}, "
                f"got shape {x.shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(axes, keepdims=True)
        var = x.var(axes, keepdim=True, correction=0)  # LayerNorm divides by n, not n - 1
        y = (x - mean) / (var + self.eps).sqrt()
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        shape = self.normalized_shape
        return f"{shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
