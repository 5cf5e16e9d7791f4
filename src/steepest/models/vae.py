"""Variational autoencoder (Kingma & Welling, 2014) with MLP encoder and decoder."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from .. import nn, ops
from ..creation import randn
from ..random import Generator, default_generator
from ..tensor import Tensor
from ._common import int_tuple, positive_int
from .mlp import MLP


class VAEOutput(NamedTuple):
    """What ``VAE.forward`` returns: decoder logits (shaped like the input) and q(z|x)."""

    logits: Tensor
    mu: Tensor
    logvar: Tensor


def private_generator(generator: Generator | None) -> Generator:
    """``generator``, or a new one seeded from the default generator (so ``st.manual_seed``
    fixes it); a model attribute, so checkpoints save and restore its state."""
    if generator is not None:
        return generator
    return Generator(int(default_generator.np.integers(2**63)))


class VAE(nn.Module):
    """``q(z|x) = N(mu(x), diag(exp(logvar(x))))``, ``p(x|z) = Bernoulli(sigmoid(dec(z)))``.

    Training mode draws ``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)`` from the
    model's own seeded ``noise`` generator (the reparameterization trick: the sample is a
    differentiable function of ``mu`` and ``logvar``); evaluation mode uses ``z = mu``.
    ``forward`` returns ``VAEOutput(logits, mu, logvar)``; ``st.train.VAELoss`` turns it into
    the negative ELBO. Parameters: the encoder MLP ``in -> hidden -> 2 latent`` and the
    decoder MLP ``latent -> reversed(hidden) -> in``.

    >>> vae = st.models.VAE(784, hidden=(256,), latent=2)
    >>> out = vae(st.rand(8, 1, 28, 28)); out.logits.shape, out.mu.shape
    ((8, 1, 28, 28), (8, 2))
    """

    def __init__(
        self, in_features: int = 784, hidden: Sequence[int] | int = (512,), latent: int = 2,
        activation: str = "relu", dtype: Any = None, generator: Generator | None = None,
    ) -> None:
        super().__init__()
        where = "VAE"
        self.in_features = positive_int(in_features, "in_features", where)
        self.latent = positive_int(latent, "latent", where)
        widths = int_tuple(hidden, "hidden", where, allow_empty=True)
        kw = {"activation": activation, "dtype": dtype, "generator": generator}
        self.encoder = MLP(in_features, widths, 2 * latent, **kw)
        self.decoder = MLP(latent, widths[::-1], in_features, **kw)
        self.noise = private_generator(generator)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(mu, logvar)``, each (N, latent)."""
        h = self.encoder(x)
        return h[:, : self.latent], h[:, self.latent :]

    def decode(self, z: Tensor) -> Tensor:
        """Decoder logits (N, in_features); ``sigmoid`` of them is the mean image."""
        return self.decoder(z)

    def reparameterize(self, mu: Tensor, logvar: Tensor) -> Tensor:
        if not self.training:
            return mu
        eps = randn(*mu.shape, generator=self.noise, dtype=mu.dtype, device=mu.device)
        return mu + ops.exp(logvar * 0.5) * eps

    def forward(self, x: Tensor) -> VAEOutput:
        if math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(f"VAE: each example must have {self.in_features} values, got input "
                             f"shape {x.shape}")
        mu, logvar = self.encode(x)
        logits = self.decode(self.reparameterize(mu, logvar)).reshape(x.shape)
        return VAEOutput(logits, mu, logvar)

    def sample(self, n: int, generator: Generator | None = None) -> Tensor:
        """``n`` mean images ``sigmoid(dec(z))``, ``z ~ N(0, I)``, flat (n, in_features)."""
        w = self.decoder[-1].weight
        z = randn(n, self.latent, generator=generator, dtype=w.dtype, device=w.device)
        return ops.sigmoid(self.decode(z))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, latent={self.latent}"
