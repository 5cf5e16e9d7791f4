"""A small ResNet for 32x32 images (He et al., 2016, section 4.2: the CIFAR-10 networks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import nn, ops
from ..random import Generator
from ..tensor import Tensor
from ._common import int_tuple, positive_int


class ResNet(nn.Module):
    """``conv3x3(w0) -> BN -> relu -> stages -> global average pool -> fc(num_classes)``.

    Stage ``s`` holds ``blocks`` residual blocks ``relu(F(x) + shortcut(x))`` of width
    ``widths[s]``; every stage after the first halves the resolution (stride 2 in its first
    block, with a 1x1 projection shortcut). With ``blocks = n`` and widths (16, 32, 64) this is
    the paper's ResNet-(6n+2): ``n = 3`` is ResNet-20 (0.27M parameters). The default
    ``blocks = 1`` (ResNet-8, 78K parameters) is sized for a CPU.

    >>> model = st.models.ResNet(blocks=1)
    >>> model(st.randn(2, 3, 32, 32)).shape
    (2, 10)
    """

    def __init__(
        self, in_channels: int = 3, num_classes: int = 10, blocks: int = 1,
        widths: Sequence[int] = (16, 32, 64), dtype: Any = None,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        where = "ResNet"
        in_channels = positive_int(in_channels, "in_channels", where)
        num_classes = positive_int(num_classes, "num_classes", where)
        blocks = positive_int(blocks, "blocks", where)
        widths = int_tuple(widths, "widths", where)
        self.stem = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False, dtype=dtype,
                              generator=generator)
        self.bn = nn.BatchNorm2d(widths[0], dtype=dtype)
        layers = []
        width = widths[0]
        for s, out in enumerate(widths):
            for b in range(blocks):
                stride = 2 if s > 0 and b == 0 else 1
                layers.append(nn.ResidualBlock(width, out, stride=stride, dtype=dtype,
                                               generator=generator))
                width = out
        self.stages = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, num_classes, dtype=dtype, generator=generator)
        self.in_channels, self.num_classes, self.blocks, self.widths = (
            in_channels, num_classes, blocks, widths)

    def forward(self, x: Tensor) -> Tensor:
        h = ops.relu(self.bn(self.stem(x)))
        h = self.pool(self.stages(h))
        return self.fc(h.flatten(1))

    def extra_repr(self) -> str:
        return f"blocks={self.blocks}, widths={self.widths}"
