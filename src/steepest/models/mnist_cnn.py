"""The classic MNIST convnet of the Keras examples (about 99.2% test accuracy)."""

from __future__ import annotations

from typing import Any

from .. import nn
from ..random import Generator
from ._common import positive_int, probability


class MnistCNN(nn.Sequential):
    """``conv3x3(32) -> relu -> conv3x3(64) -> relu -> maxpool2 -> dropout -> flatten ->
    fc128 -> relu -> dropout -> fc(num_classes)``.

    No padding, so a 28x28 image becomes 26 -> 24 -> 12 and the flattened features number
    ``64 * 12 * 12 = 9,216``. ``dropout`` is the pair (after pooling, before the last layer),
    default (0.25, 0.5); one number sets both. Parameters for MNIST: 320 + 18,496 +
    1,179,776 + 1,290 = 1,199,882.

    >>> model = st.models.MnistCNN()
    >>> model(st.randn(4, 1, 28, 28)).shape
    (4, 10)
    """

    def __init__(
        self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28,
        dropout: float | tuple[float, float] = (0.25, 0.5), dtype: Any = None,
        generator: Generator | None = None,
    ) -> None:
        where = "MnistCNN"
        in_channels = positive_int(in_channels, "in_channels", where)
        num_classes = positive_int(num_classes, "num_classes", where)
        image_size = positive_int(image_size, "image_size", where)
        if image_size < 6:
            raise ValueError(f"{where}: image_size must be at least 6, got {image_size}")
        p1, p2 = (dropout, dropout) if isinstance(dropout, int | float) else tuple(dropout)
        p1, p2 = probability(p1, "dropout", where), probability(p2, "dropout", where)
        side = (image_size - 4) // 2  # two 3x3 valid convolutions, then 2x2 pooling
        kw = {"dtype": dtype, "generator": generator}
        super().__init__(
            nn.Conv2d(in_channels, 32, 3, **kw), nn.ReLU(),
            nn.Conv2d(32, 64, 3, **kw), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(p1, generator=generator),
            nn.Flatten(),
            nn.Linear(64 * side * side, 128, **kw), nn.ReLU(), nn.Dropout(p2, generator=generator),
            nn.Linear(128, num_classes, **kw),
        )
        self.in_channels, self.num_classes, self.image_size = in_channels, num_classes, image_size
