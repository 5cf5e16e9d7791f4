"""Dropout: randomly zero activations during training (Srivastava et al., 2014)."""

from __future__ import annotations

from .. import ops
from ..random import Generator
from ..tensor import Tensor
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
