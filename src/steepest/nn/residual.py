"""The basic residual block of ResNet (He et al., 2016)."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..random import Generator
from ..tensor import Tensor
from .container import Sequential
from .conv import Conv2d
from .linear import Identity
from .module import Module
from .normalization import BatchNorm2d


class ResidualBlock(Module):
    """``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``, both convolutions 3x3.

    ``conv1`` has stride ``stride``; the shortcut is the identity when the shape is kept,
    otherwise a 1x1 convolution with that stride followed by BatchNorm (a projection).
    The convolutions have no bias (the BatchNorm after each makes it redundant).

    >>> block = st.nn.ResidualBlock(16, 32, stride=2)
    >>> block(st.randn(2, 16, 8, 8)).shape
    (2, 32, 4, 4)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        dtype: Any = None,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        self.conv1 = Conv2d(
            in_channels,
            out_channels,
            3,
            stride=stride,
            padding=1,
            bias=False,
            dtype=dtype,
            generator=generator,
        )
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype)
        self.conv2 = Conv2d(
            out_channels, out_channels, 3, padding=1, bias=False, dtype=dtype, generator=generator
        )
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype)
        if stride != 1 or in_channels != out_channels:
            self.shortcut: Module = Sequential(
                Conv2d(
                    in_channels,
                    out_channels,
                    1,
                    stride=stride,
                    bias=False,
                    dtype=dtype,
                    generator=generator,
                ),
                BatchNorm2d(out_channels, dtype=dtype),
            )
        else:
            self.shortcut = Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = ops.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return ops.relu(h + self.shortcut(x))
