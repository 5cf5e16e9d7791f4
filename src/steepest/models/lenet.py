"""LeNet-5 (LeCun et al., 1998): the convolutional network that read cheques."""

from __future__ import annotations

from typing import Any

from .. import nn
from ..random import Generator
from ._common import make_activation, positive_int

_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class LeNet5(nn.Sequential):
    """``conv5x5(6) -> act -> pool2 -> conv5x5(16) -> act -> pool2 -> fc120 -> act -> fc84 ->
    act -> fc(num_classes)``.

    The original takes 32x32 images; a 28x28 input (MNIST) gets 2 pixels of zero padding in
    the first convolution, so both reach the 16x5x5 feature map. The defaults are the modern
    reading (ReLU, max pooling); ``activation="tanh", pool="avg"`` is closer to 1998.
    ``batch_norm=True`` puts a BatchNorm2d after each convolution (Ioffe & Szegedy, 2015;
    the convolutions then drop their bias): it reaches 99.2% on MNIST in fewer epochs
    (``bench/bench_time_to_accuracy.py``). Parameters for one input channel and 10 classes:
    156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 (61,728 with batch norm).

    >>> model = st.models.LeNet5(in_channels=1, num_classes=10, image_size=28)
    >>> model(st.randn(8, 1, 28, 28)).shape
    (8, 10)
    """

    def __init__(
        self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28,
        activation: str = "relu", pool: str = "max", batch_norm: bool = False,
        dtype: Any = None, generator: Generator | None = None,
    ) -> None:
        where = "LeNet5"
        in_channels = positive_int(in_channels, "in_channels", where)
        num_classes = positive_int(num_classes, "num_classes", where)
        if image_size not in (28, 32):
            raise ValueError(f"{where}: image_size must be 28 or 32, got {image_size!r}")
        if pool not in _POOLS:
            raise ValueError(f"{where}: pool must be 'max' or 'avg', got {pool!r}")
        if not isinstance(batch_norm, bool):
            raise TypeError(f"{where}: batch_norm must be True or False, got {batch_norm!r}")
        padding = (32 - image_size) // 2  # 28x28 -> padded to 32x32 in effect

        def conv(cin: int, cout: int, pad: int) -> list[nn.Module]:
            c = nn.Conv2d(cin, cout, 5, padding=pad, bias=not batch_norm, dtype=dtype,
                          generator=generator)  # fmt: skip
            return [c, nn.BatchNorm2d(cout, dtype=dtype)] if batch_norm else [c]

        fc = lambda fin, fout: nn.Linear(fin, fout, dtype=dtype, generator=generator)  # noqa: E731
        act = lambda: make_activation(activation, where)  # noqa: E731
        super().__init__(
            *conv(in_channels, 6, padding), act(), _POOLS[pool](2),
            *conv(6, 16, 0), act(), _POOLS[pool](2),
            nn.Flatten(),
            fc(16 * 5 * 5, 120), act(),
            fc(120, 84), act(),
            fc(84, num_classes),
        )
        self.in_channels, self.num_classes, self.image_size = in_channels, num_classes, image_size
