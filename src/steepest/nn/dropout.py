"""Dropout: randomly zero activations during training (Srivastava et al., 2014)."""

from __future__ import annotations

from .. import ops
from ..random import Generator
from ..tensor import Tensor
from . import functional as F
from .module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` while training and scale the survivors by
    ``1 / (1 - p)`` (inverted dropout); the identity in evaluation mode.

    ``generator`` (default: the global one, ``st.manual_seed``) makes the masks reproducible.

    >>> drop = st.nn.Dropout(0.5, generator=st.Generator(0))
    >>> y = drop(st.ones(4, 4))       # entries are 0 or 2
    >>> drop.eval(); drop(st.ones(2))  # unchanged
    """

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p, self.generator = p, generator

    def forward(self, x: Tensor) -> Tensor:
        return ops.dropout(x, self.p, training=self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Module):
    """Zero whole channels with probability ``p`` while training, scaling the kept ones by
    ``1 / (1 - p)``; the identity in evaluation mode (see ``F.dropout2d``).

    >>> st.nn.Dropout2d(0.25)(st.ones(2, 8, 4, 4))  # each (sample, channel) plane all 0 or 4/3
    """

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout2d: p must be in [0, 1], got {p}")
        self.p, self.generator = p, generator

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout2d(x, self.p, training=self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"
