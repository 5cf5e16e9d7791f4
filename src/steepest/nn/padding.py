"""Padding layers: ``F.pad`` over the last two dims with a fixed amount and mode, as PyTorch's
ZeroPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d and CircularPad2d.

``padding`` is an int (all four sides) or ``(left, right, top, bottom)``.

>>> st.nn.ReflectionPad2d(1)(st.randn(1, 3, 8, 8)).shape
(1, 3, 10, 10)
"""

from __future__ import annotations

import operator
from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module


def _four(padding: Any, name: str) -> tuple[int, int, int, int]:
    try:
        if isinstance(padding, int):
            return (operator.index(padding),) * 4  # type: ignore[return-value]
        four = tuple(operator.index(p) for p in padding)
    except TypeError:
        four = ()
    if len(four) != 4:
        raise ValueError(f"{name}: padding must be an int or (left, right, top, bottom), got "
                         f"{padding!r}")  # fmt: skip
    return four  # type: ignore[return-value]


class _Pad2d(Module):
    mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _four(padding, type(self).__name__)

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x, self.padding, mode=self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad2d(_Pad2d):
    """Pad with ``value``."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = float(value)

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x, self.padding, value=self.value)

    def extra_repr(self) -> str:
        return f"{self.padding}, value={self.value}"


class ZeroPad2d(_Pad2d):
    """Pad with zeros."""


class ReflectionPad2d(_Pad2d):
    """Mirror without repeating the edge: ``dcb|abcd|cba``."""

    mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """Repeat the edge: ``aaa|abcd|ddd``."""

    mode = "replicate"


class CircularPad2d(_Pad2d):
    """Wrap around: ``bcd|abcd|abc``."""

    mode = "circular"
