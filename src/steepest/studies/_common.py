"""Shared pieces of the studies: data, small MLPs, and training through ``st.train``.

Every study trains with the library's one loop (``st.train.Trainer``, wrapped by ``train``)
so their numbers are comparable and the loop they measure is the one users run: per
epoch it records the mean training loss over the epoch's batches, test loss and accuracy,
and the wall-clock seconds spent in the epoch (evaluation excluded).

>>> data = load("synthetic", n_train=200, n_test=100)
>>> model = mlp([784, 32, 10], seed=0)
>>> log = train(model, st.optim.create("adam", model.parameters()), data, epochs=1, batch_size=32)
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import nn, optim
from ..data import ArrayDataset, DataLoader
from ..random import Generator, manual_seed
from ..tensor import Tensor
from ..train import Callback, Trainer
from ..train import evaluate as train_evaluate

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
               "leaky_relu": nn.LeakyReLU}


@dataclass
class Data:
    """Flattened float32 inputs in [0, 1] and int64 labels; ``images`` keeps (N, 1, 28, 28)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_train(self) -> int:
        return len(self.y_train)


@functools.lru_cache(maxsize=2)
def _full(source: str) -> tuple[np.ndarray, ...]:
    if source == "mnist":
        from ..datasets import mnist

        (x, y), (xt, yt) = mnist.load_data()
    elif source == "fashion_mnist":
        from ..datasets import fashion_mnist

        (x, y), (xt, yt) = fashion_mnist.load_data()
    elif source == "synthetic":
        x, y = fake_digits(6000, seed=1)
        xt, yt = fake_digits(2000, seed=2)
    else:
        raise ValueError(f"studies: unknown data source {source!r}; use mnist, fashion_mnist "
                         "or synthetic")
    return x, y, xt, yt


def fake_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A tiny MNIST stand-in for tests: 10 fixed 28x28 blob templates, shifted and noisy (uint8).

    Not linearly trivial (random shifts of up to 3 pixels and pixel noise), but learnable in
    a few hundred steps, so every study runs without downloading anything.
    """
    templates = np.random.default_rng(12345).random((10, 7, 7)) ** 3
    templates = np.kron(templates, np.ones((4, 4)))  # 28x28, blocky strokes
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = templates[y]
    shifts = rng.integers(-3, 4, (n, 2))
    x = np.stack([np.roll(img, tuple(s), axis=(0, 1)) for img, s in zip(x, shifts, strict=True)])
    x = np.clip(x + rng.normal(0.0, 0.25, x.shape), 0.0, 1.0)
    return (x * 255).astype(np.uint8), y.astype(np.int64)


def load(source: str, n_train: int | None = None, n_test: int | None = None,
         images: bool = False) -> Data:
    """The first ``n_train`` / ``n_test`` examples of a source, scaled to [0, 1]."""
    x, y, xt, yt = _full(source)
    x, y, xt, yt = x[:n_train], y[:n_train], xt[:n_test], yt[:n_test]
    shape = (-1, 1, 28, 28) if images else (-1, 784)
    return Data((x.reshape(shape) / np.float32(255)).astype(np.float32), y.astype(np.int64),
                (xt.reshape(shape) / np.float32(255)).astype(np.float32), yt.astype(np.int64))


def init_linear(layer: nn.Linear, scheme: str, gen: Generator) -> None:
    """Re-initialize one Linear layer's weight (bias to 0 except for ``default``)."""
    w = layer.weight
    if scheme == "default":  # PyTorch's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias too
        layer.reset_parameters(gen)
        return
    if scheme == "xavier":
        nn.init.xavier_uniform(w, generator=gen)
    elif scheme == "he":
        nn.init.kaiming_normal(w, nonlinearity="relu", generator=gen)
    elif scheme.startswith("he*"):  # He scaled by a factor: too large on purpose
        nn.init.kaiming_normal(w, nonlinearity="relu", generator=gen)
        w.data *= np.float32(float(scheme[3:]))
    elif scheme == "lecun":
        nn.init.lecun_normal(w, generator=gen)
    elif scheme == "orthogonal":
        nn.init.orthogonal(w, generator=gen)
    elif scheme.startswith("normal"):  # normal0.01 -> N(0, 0.01^2)
        nn.init.normal(w, 0.0, float(scheme[6:]), generator=gen)
    else:
        raise ValueError(f"studies: unknown init scheme {scheme!r}")
    if layer.bias is not None:
        nn.init.zeros(layer.bias)


class ResidualMLPBlock(nn.Module):
    """``x + act(W x + b)``: the identity path keeps gradients flowing through depth."""

    def __init__(self, width: int, act: str, gen: Generator) -> None:
        super().__init__()
        self.linear = nn.Linear(width, width, generator=gen)
        self.act = ACTIVATIONS[act]()

    def forward(self, x: Tensor) -> Tensor:
        return x + self.act(self.linear(x))


def mlp(sizes: list[int], act: str = "relu", seed: int = 0, dropout: float = 0.0,
        batch_norm: bool = False, init: str = "default", residual: bool = False) -> nn.Module:
    """``Linear -> (BN) -> act -> (Dropout)`` per hidden layer, then a Linear to logits.

    ``residual`` turns every square hidden layer into a ``ResidualMLPBlock``.
    """
    manual_seed(seed)
    gen = Generator(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        last = i == len(sizes) - 2
        if residual and a == b and not last:
            layers.append(ResidualMLPBlock(a, act, gen))
            continue
        layers.append(nn.Linear(a, b, generator=gen))
        if last:
            break
        if batch_norm:
            layers.append(nn.BatchNorm1d(b))
        layers.append(ACTIVATIONS[act]())
        if dropout:
            layers.append(nn.Dropout(dropout, generator=gen))
    for m in layers:
        target = m.linear if isinstance(m, ResidualMLPBlock) else m
        if isinstance(target, nn.Linear):
            init_linear(target, init, gen)
    return nn.Sequential(*layers)


def make_optimizer(name: str, params: Any, lr: float, weight_decay: float = 0.0,
                   **overrides: Any) -> Any:
    """``optim.create`` with the studies' convention: no weight decay unless asked for (the
    registry's AdamW would otherwise decay by its default 1e-2)."""
    return optim.create(name, params, lr=lr, weight_decay=weight_decay, **overrides)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, batch: int = 2000
             ) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on arrays, through ``st.train.evaluate``."""
    loader = DataLoader(ArrayDataset(x, y), batch_size=batch)
    out = train_evaluate(model, nn.CrossEntropyLoss(), loader, metrics=["accuracy"])
    return out["loss"], out["accuracy"]


def finite(value: float) -> float | None:
    """JSON has no NaN/inf: a non-finite number becomes None (reported as 'diverged')."""
    return float(value) if math.isfinite(value) else None


class _StudyLog(Callback):
    """Keeps a study's per-epoch record while ``st.train``'s Trainer runs the loop.

    Stops the run (``diverged``) when a batch loss is NaN/inf or above 1e4; at each epoch end
    it stops the clock, then evaluates the test set and ``train_eval`` training examples.
    """

    def __init__(self, data: Data, record_steps: bool, train_eval: int) -> None:
        self.data, self.record_steps, self.train_eval = data, record_steps, train_eval
        self.log: dict[str, Any] = {"train_loss": [], "test_loss": [], "test_acc": [],
                                    "train_acc": [], "epoch_s": [], "steps": [],
                                    "diverged": False}
        self._losses: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._losses = []
        self._start = time.perf_counter()

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        value = float(logs["loss"]) if logs else math.nan
        self._losses.append(value)
        if not math.isfinite(value) or value > 1e4:
            self.log["diverged"] = True
            self.trainer.stop("diverged", f"batch loss {value}")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        log, d = self.log, self.data
        log["epoch_s"].append(time.perf_counter() - self._start)
        log["train_loss"].append(finite(float(np.mean(self._losses))))
        if self.record_steps:
            log["steps"].extend(finite(v) for v in self._losses)
        if log["diverged"]:
            return
        test_loss, test_acc = evaluate(self.trainer.model, d.x_test, d.y_test)
        n = self.train_eval
        _tr_loss, tr_acc = evaluate(self.trainer.model, d.x_train[:n], d.y_train[:n])
        log["test_loss"].append(finite(test_loss))
        log["test_acc"].append(test_acc)
        log["train_acc"].append(tr_acc)


def train(model: nn.Module, opt: Any, data: Data, epochs: int, batch_size: int,
          seed: int = 0, transform: Any = None, l1: float = 0.0,
          record_steps: bool = False, max_steps: int | None = None,
          train_eval: int = 2000, callbacks: Sequence[Callback] = ()) -> dict[str, Any]:
    """Mini-batch training by ``st.train``'s Trainer; returns per-epoch lists (train/test
    loss/acc, seconds).

    Stops early (``diverged=True``) when a batch loss is NaN/inf or above 1e4. ``l1`` adds
    ``l1 * sum|w|`` to the loss. ``train_eval`` examples of the training set are re-evaluated
    each epoch for the train/test gap.
    """
    loader = DataLoader(ArrayDataset(data.x_train, data.y_train), batch_size=batch_size,
                        shuffle=True, seed=seed, transform=transform)
    params = list(model.parameters())
    cross_entropy = nn.CrossEntropyLoss()

    def loss_fn(output: Tensor, target: Tensor) -> Tensor:
        loss = cross_entropy(output, target)
        return loss + l1 * nn.l1_penalty(params) if l1 else loss

    record = _StudyLog(data, record_steps, train_eval)
    # metrics=(): the record evaluates once per epoch, not per batch; NaN is the record's stop
    trainer = Trainer(model, loss_fn, opt, metrics=(), callbacks=[record, *callbacks],
                      progress=False, terminate_on_nan=False)
    trainer.fit(loader, epochs=epochs, max_steps=max_steps)
    log = record.log
    log["total_steps"] = trainer.step
    log["train_s"] = float(sum(log["epoch_s"]))
    return log


def group(records: list[dict[str, Any]], *keys: str) -> dict[tuple, list[dict[str, Any]]]:
    """Results grouped by config values (seeds pooled), in first-seen order."""
    out: dict[tuple, list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault(tuple(r["config"][k] for k in keys), []).append(r["result"])
    return out


def last(values: list[Any]) -> Any:
    """The last entry of a per-epoch list, None when the list is empty (diverged at once)."""
    return values[-1] if values else None


def figure(ctx: Any, name: str) -> tuple[Any, str]:
    """(absolute path to write, path relative to the report) of one PNG."""
    return ctx.out / "figures" / f"{name}.png", f"figures/{name}.png"


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The Linear layers of a model built by ``mlp``, input side first."""
    found = []
    for m in list(model):
        if isinstance(m, ResidualMLPBlock):
            found.append(m.linear)
        elif isinstance(m, nn.Linear):
            found.append(m)
    return found
