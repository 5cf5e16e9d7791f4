"""A fully connected autoencoder: compress to a small code, reconstruct the input."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import nn
from ..random import Generator
from ..tensor import Tensor
from ._common import int_tuple, positive_int
from .mlp import MLP

_OUTPUTS = {"sigmoid": nn.Sigmoid, "none": None}


class Autoencoder(nn.Module):
    """``x_hat = out(decoder(encoder(x)))`` with both halves MLPs, mirrored:

    encoder ``in -> hidden... -> latent``, decoder ``latent -> reversed(hidden)... -> in``; the
    reconstruction has the input's shape. Train it with ``MSELoss()(model(x), x)``.
    ``output="sigmoid"`` (default) suits inputs in [0, 1] such as scaled pixels; ``"none"``
    leaves the output linear. Parameters: those of the two MLPs.

    >>> ae = st.models.Autoencoder(784, hidden=(256,), latent=32)
    >>> ae(st.rand(8, 1, 28, 28)).shape, ae.encode(st.rand(8, 784)).shape
    ((8, 1, 28, 28), (8, 32))
    """

    def __init__(
        self, in_features: int = 784, hidden: Sequence[int] | int = (256,), latent: int = 32,
        activation: str = "relu", output: str = "sigmoid", dtype: Any = None,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        where = "Autoencoder"
        in_features = positive_int(in_features, "in_features", where)
        latent = positive_int(latent, "latent", where)
        widths = int_tuple(hidden, "hidden", where, allow_empty=True)
        if output not in _OUTPUTS:
            raise ValueError(f"{where}: output must be 'sigmoid' or 'none', got {output!r}")
        kw = {"activation": activation, "dtype": dtype, "generator": generator}
        self.encoder = MLP(in_features, widths, latent, **kw)
        self.decoder = MLP(latent, widths[::-1], in_features, **kw)
        self.out = _OUTPUTS[output]() if _OUTPUTS[output] else nn.Identity()
        self.in_features, self.latent = in_features, latent

    def encode(self, x: Tensor) -> Tensor:
        """The code ``z`` of shape (N, latent)."""
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """A flat reconstruction (N, in_features) from codes."""
        return self.out(self.decoder(z))

    def forward(self, x: Tensor) -> Tensor:
        if math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(f"Autoencoder: each example must have {self.in_features} values, "
                             f"got input shape {x.shape}")
        return self.decode(self.encode(x)).reshape(x.shape)
