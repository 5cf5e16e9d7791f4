"""Batch norm over the global batch: statistics summed over ranks at every training step.

``DistributedOptimizer`` keeps PyTorch DDP's default, *local* statistics: each rank
normalises its shard with the shard's own mean and variance, which changes the model's
function when shards are small. ``SyncBatchNorm`` sums ``(sum x, sum x^2, count)`` per channel
over ranks in one Allreduce, so N ranks compute exactly what one process computes on the
whole global batch (forward, running statistics and, through ``all_reduce``'s rule,
gradients), at the cost of one small Allreduce per layer per forward and one per backward.

    mean = S / n,   var = Q / n - mean^2,   y = (x - mean) / sqrt(var + eps) * weight + bias

where ``S = sum_ranks sum_local x`` and ``Q`` likewise of ``x^2``, ``n`` the global count.
The running variance takes the unbiased ``var * n / (n - 1)``, as ``BatchNorm`` does.
Gradients are exact when every rank holds the same number of examples (a global batch
divisible by N); for an uneven last batch they weight the ranks equally, as PyTorch's does.

>>> model = st.distributed.SyncBatchNorm.convert_sync_batchnorm(model)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, no_grad
from ..nn.module import Module
from ..nn.normalization import BatchNorm1d, BatchNorm2d, _BatchNorm
from ..ops import batch_norm, cat
from ..tensor import Tensor
from . import _comm


class AllReduceSum(Function):
    """``y = sum over ranks of x`` (every rank gets y). With the total loss a sum over ranks,
    each rank's gradient of x is the sum of every rank's gradient of y: an all-reduce again."""

    rule = "dL/dx = sum over ranks of g (an all-reduce of the upstream gradient)"

    def forward(self, x: Any) -> Any:
        return _comm.allreduce_sum_(np.array(x, copy=True))

    def backward(self, out: Tensor, grad: Tensor) -> tuple[Tensor]:
        return (AllReduceSum.apply(grad),)


def all_reduce(x: Tensor) -> Tensor:
    """Differentiable sum of ``x`` over ranks (the identity in a world of one)."""
    return AllReduceSum.apply(x)


class SyncBatchNorm(_BatchNorm):
    """``BatchNorm1d``/``BatchNorm2d`` with statistics over all ranks' examples (any input of
    2, 3 or 4 dimensions, channels on axis 1)."""

    _input_ndims = (2, 3, 4)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self._input_ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"SyncBatchNorm({self.num_features}): expected input with 2, 3 or 4 dimensions "
                f"and {self.num_features} channels on axis 1, got shape {x.shape}"
            )
        if not self.training and self.track_running_stats:
            return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              eps=self.eps)
        axes = (0, *range(2, x.ndim))
        count = Tensor(np.array([x.data.size // self.num_features], dtype=x.dtype))
        packed = all_reduce(cat([x.sum(axes), (x * x).sum(axes), count]))
        c = self.num_features
        n = float(packed.data[2 * c])
        if n <= 1:
            raise ValueError(f"SyncBatchNorm: training needs more than 1 value per channel over "
                             f"all ranks, got {int(n)}")
        mean = packed[:c] / n
        var = packed[c : 2 * c] / n - mean * mean
        shape = (1, c) + (1,) * (x.ndim - 2)
        y = (x - mean.reshape(shape)) / (var.reshape(shape) + self.eps) ** 0.5
        if self.weight is not None:
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        if self.track_running_stats:
            self._update_running(mean.data, var.data * n / (n - 1))
        return y

    def _update_running(self, mean: Any, unbiased: Any) -> None:
        with no_grad():
            self.num_batches_tracked.data += 1
            m = (1.0 / float(self.num_batches_tracked.data) if self.momentum is None
                 else self.momentum)
            self.running_mean.data[...] = (1 - m) * self.running_mean.data + m * mean
            self.running_var.data[...] = (1 - m) * self.running_var.data + m * unbiased

    @classmethod
    def convert_sync_batchnorm(cls, module: Module) -> Module:
        """Replace every BatchNorm1d/2d inside ``module`` (in place) by a SyncBatchNorm that
        shares its parameters and buffers; returns ``module`` (or the replacement itself)."""
        if isinstance(module, BatchNorm1d | BatchNorm2d):
            return cls._from(module)
        for m in list(module.modules()):
            for name, value in list(vars(m).items()):
                if isinstance(value, BatchNorm1d | BatchNorm2d):
                    setattr(m, name, cls._from(value))
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        if isinstance(item, BatchNorm1d | BatchNorm2d):
                            value[i] = cls._from(item)
                elif isinstance(value, dict) and name != "_forward_hooks":
                    for key, item in list(value.items()):
                        if isinstance(item, BatchNorm1d | BatchNorm2d):
                            value[key] = cls._from(item)
        return module

    @classmethod
    def _from(cls, bn: _BatchNorm) -> SyncBatchNorm:
        new = cls.__new__(cls)
        new.__dict__.update(bn.__dict__)  # the same Parameters, buffers and settings
        return new
