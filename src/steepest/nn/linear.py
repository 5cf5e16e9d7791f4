"""Linear (fully connected) layer and the Identity layer."""

from __future__ import annotations

import math
from typing import Any

from ..random import Generator
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import empty_parameter


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. a residual block's shortcut)."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Linear(Module):
    """``y = x W^T + b`` with ``W`` of shape (out_features, in_features), as in PyTorch.

    Defaults (PyTorch's): ``W ~ kaiming_uniform(a=sqrt(5))``, i.e. U(-1/sqrt(in), 1/sqrt(in)),
    and ``b ~ U(-1/sqrt(in), 1/sqrt(in))``. ``dtype`` defaults to ``st.default_dtype()``.

    >>> layer = st.nn.Linear(4, 2)
    >>> layer(st.randn(8, 4)).shape
    (8, 2)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = None,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(
                f"Linear: in_features and out_features must be positive, got {in_features}, "
                f"{out_features}"
            )
        self.in_features, self.out_features = in_features, out_features
        self.weight = empty_parameter((out_features, in_features), dtype)
        self.bias = empty_parameter((out_features,), dtype) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        init.kaiming_uniform(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform(self.bias, -bound, bound, generator)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): input's last dimension must be "
                f"{self.in_features}, got shape {x.shape}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
