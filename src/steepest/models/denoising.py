"""The denoising autoencoder (Vincent et al., 2008): reconstruct clean inputs from noisy ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backend import array_module
from ..random import Generator
from ..tensor import Tensor
from .autoencoder import Autoencoder
from .vae import private_generator


class DenoisingAutoencoder(Autoencoder):
    """An ``Autoencoder`` whose training input is corrupted: ``x~ = m * x + sigma * eps``
    with a masking-noise keep-mask ``m ~ Bernoulli(1 - drop)`` and Gaussian ``eps``, clipped to
    [0, 1]; the loss still compares ``model(x)`` with the clean ``x``. Evaluation mode leaves
    the input clean. The noise comes from the model's own seeded ``noise`` generator.

    >>> dae = st.models.DenoisingAutoencoder(784, hidden=(256,), latent=32, sigma=0.3)
    >>> dae(st.rand(8, 1, 28, 28)).shape
    (8, 1, 28, 28)
    """

    def __init__(
        self, in_features: int = 784, hidden: Sequence[int] | int = (256,), latent: int = 32,
        activation: str = "relu", output: str = "sigmoid", sigma: float = 0.3,
        drop: float = 0.2, dtype: Any = None, generator: Generator | None = None,
    ) -> None:
        super().__init__(in_features, hidden, latent, activation, output, dtype, generator)
        if not (isinstance(sigma, int | float) and sigma >= 0 and 0 <= drop < 1):
            raise ValueError(f"DenoisingAutoencoder: need sigma >= 0 and drop in [0, 1), got "
                             f"sigma={sigma!r}, drop={drop!r}")
        self.sigma, self.drop = float(sigma), float(drop)
        self.noise = private_generator(generator)

    def corrupt(self, x: Tensor, generator: Generator | None = None) -> Tensor:
        """A noisy copy of ``x`` (no gradient flows into the noise)."""
        data = x.data
        xp = array_module(data)
        rng = (generator or self.noise).for_array(xp)  # on a GPU: the device stream
        keep = rng.random(data.shape) >= self.drop
        noisy = data * keep + self.sigma * rng.standard_normal(data.shape)
        return Tensor(xp.clip(noisy, 0.0, 1.0).astype(data.dtype))

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(self.corrupt(x) if self.training else x)

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}, drop={self.drop}"
