"""Training beyond classification: VAE and language-model losses, and a GAN trainer.

The VAE and the language models train with the ordinary ``Trainer`` step (``loss_fn(model(x),
y)``): only their losses and metrics are new. The GAN needs its own step with two optimizers,
held as one ``OptimizerPair`` so that checkpoints keep both optimizers' state and resume
exactly like any other run.

>>> trainer = st.train.Trainer(vae, st.train.VAELoss(), opt, metrics=st.train.VAE_METRICS)
>>> gan_trainer = st.train.GANTrainer(gan, st.optim.Adam(gan.G.parameters(), lr=2e-4),
...                                   st.optim.Adam(gan.D.parameters(), lr=2e-4))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import nn, ops
from ..backend import array_module
from ..nn import functional as F
from ..tensor import Tensor
from .callbacks import Callback
from .metrics import Metric
from .trainer import Trainer

LN2 = math.log(2.0)


# ----- losses ------------------------------------------------------------------------------------
def vae_terms(output: Any, target: Any) -> tuple[Tensor, Tensor]:
    """Per-example means of the reconstruction term ``-log p(x|z)`` (Bernoulli, summed over
    pixels: ``BCE(logits, x)``) and of ``KL(q(z|x) || N(0, I)) =
    -1/2 sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))``, both in nats."""
    logits, mu, logvar = output
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if target.shape != logits.shape:
        target = target.reshape(logits.shape)
    n = logits.shape[0]
    recon = F.binary_cross_entropy_with_logits(logits, target, reduction="sum") * (1.0 / n)
    kl = (1.0 + logvar - mu * mu - ops.exp(logvar)).sum() * (-0.5 / n)
    return recon, kl


class VAELoss(nn.Module):
    """The negative evidence lower bound per example, ``recon + beta KL`` (see ``vae_terms``);
    ``beta = 1`` is the VAE, ``beta > 1`` the beta-VAE (Higgins et al., 2017).

    >>> loss = st.train.VAELoss()(vae(x), x)
    """

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        if not (isinstance(beta, int | float) and beta >= 0):
            raise ValueError(f"VAELoss: beta must be a number >= 0, got {beta!r}")
        self.beta = float(beta)

    def forward(self, output: Any, target: Any) -> Tensor:
        recon, kl = vae_terms(output, target)
        return recon + kl * self.beta if self.beta != 1.0 else recon + kl


class SequenceCrossEntropy(nn.Module):
    """Next-token cross-entropy of logits (N, T, V) against ids (N, T), mean over all N T
    positions (nats per character; divide by ln 2 for bits per character).

    >>> loss = st.train.SequenceCrossEntropy()(lm(x), y)
    """

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        t = target.data if isinstance(target, Tensor) else np.asarray(target)
        if logits.ndim != 3 or t.shape != logits.shape[:2]:
            raise ValueError(f"SequenceCrossEntropy: logits (N, T, V) and targets (N, T), got "
                             f"{logits.shape} and {t.shape}")
        return ops.cross_entropy(logits.reshape(-1, logits.shape[2]), t.reshape(-1))


# ----- metrics -----------------------------------------------------------------------------------
class _WeightedMean(Metric):
    higher_is_better = False
    _state = ("sum", "count")

    def reset(self) -> None:
        self.sum, self.count = 0.0, 0

    def add(self, value: float, weight: int) -> None:
        self.sum += float(value) * weight
        self.count += weight

    def compute(self) -> float:
        return self.sum / self.count if self.count else float("nan")


class VAETerm(_WeightedMean):
    """Streaming mean per example of one term of the VAE loss: ``"recon"`` or ``"kl"``."""

    def __init__(self, term: str) -> None:
        if term not in ("recon", "kl"):
            raise ValueError(f"VAETerm: term must be 'recon' or 'kl', got {term!r}")
        self.name = term
        super().__init__()

    def update(self, output: Any, target: Any) -> None:
        recon, kl = vae_terms(output, target)
        self.add((recon if self.name == "recon" else kl).item(), output[0].shape[0])


class StepValue(_WeightedMean):
    """Streaming mean of ``output[key]`` where a custom step returns a dict as its output
    (the GAN's ``d_loss``, ``g_loss``, ``d_real``, ``d_fake``), weighted by batch size."""

    def __init__(self, key: str, higher_is_better: bool = False) -> None:
        self.name, self.higher_is_better = key, higher_is_better
        super().__init__()

    def update(self, output: Any, target: Any) -> None:
        self.add(output[self.name], int(output.get("size", 1)))


class NextCharAccuracy(Metric):
    """Fraction of positions whose most likely next character (argmax of (N, T, V) logits)
    is the true one."""

    name = "char_accuracy"
    _state = ("hits", "total")

    def reset(self) -> None:
        self.hits, self.total = 0, 0

    def update(self, output: Any, target: Any) -> None:
        logits = output.data if isinstance(output, Tensor) else np.asarray(output)
        t = target.data if isinstance(target, Tensor) else np.asarray(target)
        self.hits += int((logits.argmax(axis=-1) == t).sum())
        self.total += int(t.size)

    def compute(self) -> float:
        return self.hits / self.total if self.total else 0.0


def vae_metrics() -> list[Metric]:
    """The two terms of the VAE loss, logged per epoch as ``recon`` and ``kl``."""
    return [VAETerm("recon"), VAETerm("kl")]


# ----- the GAN -----------------------------------------------------------------------------------
class OptimizerPair:
    """Two optimizers that a Trainer holds as one: ``g`` (generator) and ``d`` (discriminator).

    ``state_dict`` nests both (so checkpoints resume both exactly); ``param_groups`` lists the
    generator's groups then the discriminator's (``trainer.lr()`` reports the generator's).
    """

    def __init__(self, g: Any, d: Any) -> None:
        self.g, self.d = g, d

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return [*self.g.param_groups, *self.d.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.g.zero_grad(set_to_none)
        self.d.zero_grad(set_to_none)

    def state_dict(self) -> dict[str, Any]:
        return {"g": self.g.state_dict(), "d": self.d.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.g.load_state_dict(state["g"])
        self.d.load_state_dict(state["d"])


class SchedulerPair:
    """One learning-rate scheduler per optimizer of an ``OptimizerPair``, stepped together."""

    def __init__(self, g: Any, d: Any) -> None:
        self.g, self.d = g, d

    def step(self, *args: Any) -> None:
        self.g.step(*args)
        self.d.step(*args)

    def state_dict(self) -> dict[str, Any]:
        return {"g": self.g.state_dict(), "d": self.d.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.g.load_state_dict(state["g"])
        self.d.load_state_dict(state["d"])


def gan_metrics() -> list[Metric]:
    """Both players' losses and the discriminator's mean belief that real / fake is real."""
    return [StepValue("d_loss"), StepValue("g_loss"), StepValue("d_real", True),
            StepValue("d_fake")]


def _mean_sigmoid(logits: Tensor) -> float:
    xp = array_module(logits.data)
    return float((0.5 + 0.5 * xp.tanh(0.5 * logits.data.astype(np.float64))).mean())  # no overflow


class GANTrainer(Trainer):
    """A Trainer whose step alternates the two players of a ``st.models.GAN``:

    1. discriminator: ``L_D = BCE(D(x), 1 - s) + BCE(D(G(z)), 0)`` with ``G(z)`` detached
       (``s``: one-sided label smoothing, Salimans et al. 2016), one step of ``optimizer_d``;
    2. generator (non-saturating): ``L_G = BCE(D(G(z)), 1)`` through the updated ``D``, one
       step of ``optimizer_g``.

    ``z`` comes from the model's seeded ``noise`` generator. The logged ``loss`` is
    ``L_D + L_G``; ``d_loss``, ``g_loss``, ``d_real = mean sigmoid(D(x))`` and ``d_fake``
    are logged as metrics. Other keywords as for ``Trainer`` (no ``loss_fn``; a validation
    loader is not used).

    >>> trainer = st.train.GANTrainer(gan, opt_g, opt_d, callbacks=[...])
    >>> trainer.fit(loader, epochs=20)
    """

    def __init__(self, model: Any, optimizer_g: Any, optimizer_d: Any, *,
                 label_smoothing: float = 0.1, **kwargs: Any) -> None:
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"GANTrainer: label_smoothing must be in [0, 1), got "
                             f"{label_smoothing!r}")
        kwargs.setdefault("metrics", gan_metrics())
        super().__init__(model, None, OptimizerPair(optimizer_g, optimizer_d), **kwargs)
        self.label_smoothing = label_smoothing

    def train_step(self, x: Any, y: Any) -> tuple[float, Any]:
        gan, opt = self.model, self.optimizer
        n = x.shape[0]
        fake = gan.generate(gan.z(n))
        real_logits = gan(x)
        fake_logits = gan(fake.detach())
        ones = np.ones(real_logits.shape, real_logits.dtype)
        bce = F.binary_cross_entropy_with_logits
        opt.d.zero_grad()
        loss_d = bce(real_logits, ones * (1.0 - self.label_smoothing)) + bce(fake_logits, ones * 0)
        loss_d.backward()
        opt.d.step()
        opt.g.zero_grad()
        loss_g = bce(gan(fake), ones)
        loss_g.backward()
        opt.g.step()
        d, g = float(loss_d.item()), float(loss_g.item())
        return d + g, {"d_loss": d, "g_loss": g, "d_real": _mean_sigmoid(real_logits),
                       "d_fake": _mean_sigmoid(fake_logits), "size": n}

    def evaluate(self, loader: Any, metrics: Any = None) -> dict[str, Any]:
        raise ValueError("GANTrainer: a GAN has no validation loss; fit it without val_loader")


# ----- pictures during training ------------------------------------------------------------------
class SampleImages(Callback):
    """After every ``every`` epochs, write ``model.sample(n)`` (a VAE or a GAN) as a PNG grid
    ``dirpath/epoch_{e:03d}.png``. The noise is drawn from a fresh ``Generator(seed)`` each
    time: the same codes every epoch, and the training RNG streams are left untouched."""

    def __init__(self, dirpath: Any, image_shape: tuple[int, int], n: int = 64, seed: int = 0,
                 every: int = 1) -> None:
        from pathlib import Path

        self.dirpath, self.image_shape = Path(dirpath), tuple(image_shape)
        self.n, self.seed, self.every = n, seed, every
        self.written: list[Any] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every:
            return
        from ..autograd import no_grad
        from ..random import Generator
        from .images import save_grid

        model = self.trainer.model
        was_training = model.training
        model.eval()
        try:
            with no_grad():
                images = model.sample(self.n, generator=Generator(self.seed)).numpy()
        finally:
            model.train(was_training)
        path = self.dirpath / f"epoch_{epoch + 1:03d}.png"
        self.written.append(save_grid(images, path, self.image_shape,
                                      title=f"{type(model).__name__} samples, epoch {epoch + 1}"))
