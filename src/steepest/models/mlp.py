"""Multilayer perceptron: the fully connected network of every textbook."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import nn
from ..random import Generator
from ._common import int_tuple, make_activation, positive_int, probability


class MLP(nn.Sequential):
    """``Flatten -> [Linear -> (BatchNorm1d) -> act -> (Dropout)] x len(hidden) -> Linear``.

    Each hidden layer computes ``h = act(BN(W h_prev + b))``; the last layer returns logits
    ``W h + b`` (no softmax: the loss takes logits). Inputs of any shape ``(N, ...)`` are
    flattened to ``(N, in_features)`` first, so MNIST images go in as they are. With
    ``batch_norm`` the hidden Linear layers have no bias (BatchNorm's shift replaces it).

    Parameters: ``sum_i (d_i + 1) d_{i+1}`` over consecutive widths ``d = (in, *hidden, out)``
    (minus the hidden biases and plus ``2 d_i`` per BatchNorm when it is on).

    >>> model = st.models.MLP(784, hidden=(512, 256), num_classes=10)
    >>> model(st.randn(32, 1, 28, 28)).shape
    (32, 10)
    """

    def __init__(
        self, in_features: int = 784, hidden: Sequence[int] | int = (512, 256),
        num_classes: int = 10, activation: str = "relu", dropout: float = 0.0,
        batch_norm: bool = False, dtype: Any = None, generator: Generator | None = None,
    ) -> None:
        where = "MLP"
        in_features = positive_int(in_features, "in_features", where)
        widths = int_tuple(hidden, "hidden", where, allow_empty=True)
        num_classes = positive_int(num_classes, "num_classes", where)
        dropout = probability(dropout, "dropout", where)
        layers: list[nn.Module] = [nn.Flatten()]
        fan_in = in_features
        for width in widths:
            layers.append(nn.Linear(fan_in, width, bias=not batch_norm, dtype=dtype,
                                    generator=generator))
            if batch_norm:
                layers.append(nn.BatchNorm1d(width, dtype=dtype))
            layers.append(make_activation(activation, where))
            if dropout:
                layers.append(nn.Dropout(dropout, generator=generator))
            fan_in = width
        layers.append(nn.Linear(fan_in, num_classes, dtype=dtype, generator=generator))
        super().__init__(*layers)
        self.in_features, self.hidden, self.num_classes = in_features, widths, num_classes

    def forward(self, x: Any) -> Any:
        if math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(
                f"MLP: each example must have {self.in_features} values, got input shape "
                f"{x.shape}"
            )
        return super().forward(x)

