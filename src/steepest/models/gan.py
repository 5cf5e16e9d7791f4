"""A generative adversarial network (Goodfellow et al., 2014) of two MLPs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import nn
from ..creation import randn
from ..random import Generator
from ..tensor import Tensor
from ._common import int_tuple, positive_int, probability
from .vae import private_generator


class GAN(nn.Module):
    """Generator ``G: z -> x`` and discriminator ``D: x -> logit`` for data in [0, 1].

    ``G(z) = sigmoid(MLP(z))`` with ``z ~ N(0, I_latent)``; ``D(x) = MLP(2 x - 1)`` with
    LeakyReLU(0.2) and dropout, one logit per example ("x is real"). Train them against each
    other with ``st.train.GANTrainer`` (two optimizers, alternating steps); ``forward(x)`` is
    ``D(x)``, ``sample(n)`` draws from ``G``. Noise for training comes from the model's own
    seeded ``noise`` generator, which checkpoints save.

    >>> gan = st.models.GAN(784, latent=64)
    >>> gan.sample(16).shape, gan(st.rand(4, 1, 28, 28)).shape
    ((16, 784), (4, 1))
    """

    def __init__(
        self, in_features: int = 784, latent: int = 64, hidden: Sequence[int] | int = (256, 512),
        dropout: float = 0.3, dtype: Any = None, generator: Generator | None = None,
    ) -> None:
        super().__init__()
        where = "GAN"
        self.in_features = positive_int(in_features, "in_features", where)
        self.latent = positive_int(latent, "latent", where)
        widths = int_tuple(hidden, "hidden", where)
        p = probability(dropout, "dropout", where)
        kw = {"dtype": dtype, "generator": generator}
        g_layers: list[nn.Module] = []
        fan_in = latent
        for width in widths:
            g_layers += [nn.Linear(fan_in, width, **kw), nn.LeakyReLU(0.2)]
            fan_in = width
        g_layers += [nn.Linear(fan_in, in_features, **kw), nn.Sigmoid()]
        self.G = nn.Sequential(*g_layers)
        d_layers: list[nn.Module] = [nn.Flatten()]
        fan_in = in_features
        for width in widths[::-1]:
            d_layers += [nn.Linear(fan_in, width, **kw), nn.LeakyReLU(0.2)]
            if p:
                d_layers.append(nn.Dropout(p, generator=generator))
            fan_in = width
        d_layers.append(nn.Linear(fan_in, 1, **kw))
        self.D = nn.Sequential(*d_layers)
        self.noise = private_generator(generator)

    def forward(self, x: Tensor) -> Tensor:
        """The discriminator's logits (N, 1) for images or features ``x`` in [0, 1]."""
        if math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(f"GAN: each example must have {self.in_features} values, got input "
                             f"shape {x.shape}")
        return self.D(x * 2.0 - 1.0)

    def z(self, n: int, generator: Generator | None = None) -> Tensor:
        """``n`` latent codes from ``generator`` (default: the model's ``noise``)."""
        w = self.G[0].weight
        return randn(n, self.latent, generator=generator or self.noise, dtype=w.dtype,
                     device=w.device)

    def generate(self, z: Tensor) -> Tensor:
        """``G(z)``: flat samples (N, in_features) in [0, 1]."""
        return self.G(z)

    def sample(self, n: int, generator: Generator | None = None) -> Tensor:
        return self.G(self.z(n, generator))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, latent={self.latent}"

