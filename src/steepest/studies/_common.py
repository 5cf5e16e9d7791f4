"""Shared pieces of the studies: data, small MLPs and one plain training loop.

Every study trains with the same loop (``train``) so their numbers are comparable: per
epoch it records the mean training loss over the epoch's batches, test loss and accuracy,
and the wall-clock seconds spent in the epoch (evaluation excluded).

>>> data = load("synthetic", n_train=200, n_test=100)
>>> model = mlp([784, 32, 10], seed=0)
>>> log = train(model, st.optim.Adam(model.parameters(), 1e-3), data, epochs=1, batch_size=32)
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import nn, optim
from ..data import ArrayDataset, DataLoader
from ..random import Generator, manual_seed
from ..tensor import Tensor

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


def make_optimizer(name: str, params: Any, lr: float, weight_decay: float = 0.0) -> Any:
    """The ten optimizers of the CLI by name (``momentum`` and ``nesterov`` use 0.9)."""
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "nesterov":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    classes = {"adagrad": optim.Adagrad, "rmsprop": optim.RMSprop, "adadelta": optim.Adadelta,
               "adam": optim.Adam, "adamw": optim.AdamW, "nadam": optim.NAdam,
               "lion": optim.Lion}
    if name not in classes:
        raise ValueError(f"studies: unknown optimizer {name!r}")
    return classes[name](params, lr=lr, weight_decay=weight_decay)


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, batch: int = 2000
             ) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` (eval mode) on arrays."""
    from .. import no_grad
    from ..nn import functional as F

    model.eval()
    total, correct = 0.0, 0
    with no_grad():
        for i in range(0, len(y), batch):
            logits = model(Tensor(x[i:i + batch]))
            yb = Tensor(y[i:i + batch])
            total += float(F.cross_entropy(logits, yb, reduction="sum").data)
            correct += int((logits.data.argmax(1) == y[i:i + batch]).sum())
    model.train()
    return total / len(y), correct / len(y)


def finite(value: float) -> float | None:
    """JSON has no NaN/inf: a non-finite number becomes None (reported as 'diverged')."""
    return float(value) if math.isfinite(value) else None


def train(model: nn.Module, opt: Any, data: Data, epochs: int, batch_size: int,
          seed: int = 0, transform: Any = None, l1: float = 0.0, clip: float | None = None,
          record_steps: bool = False, max_steps: int | None = None,
          train_eval: int = 2000) -> dict[str, Any]:
    """Plain mini-batch loop; returns per-epoch lists (train/test loss/acc, seconds).

    Stops early (``diverged=True``) when a batch loss is NaN/inf or above 1e4.
    ``train_eval`` examples of the training set are re-evaluated each epoch for the
    train/test gap.
    """
    from ..nn import functional as F

    loader = DataLoader(ArrayDataset(data.x_train, data.y_train), batch_size=batch_size,
                        shuffle=True, seed=seed, transform=transform)
    params = list(model.parameters())
    log: dict[str, Any] = {"train_loss": [], "test_loss": [], "test_acc": [], "train_acc": [],
                           "epoch_s": [], "steps": [], "diverged": False}
    steps = 0
    for _ in range(epochs):
        losses: list[float] = []
        start = time.perf_counter()
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            if l1:
                loss = loss + l1 * nn.l1_penalty(params)
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(params, clip)
            opt.step()
            value = float(loss.data)
            losses.append(value)
            steps += 1
            if not math.isfinite(value) or value > 1e4:
                log["diverged"] = True
                break
            if max_steps is not None and steps >= max_steps:
                break
        log["epoch_s"].append(time.perf_counter() - start)
        log["train_loss"].append(finite(float(np.mean(losses))))
        if record_steps:
            log["steps"].extend(finite(v) for v in losses)
        if log["diverged"]:
            break
        test_loss, test_acc = evaluate(model, data.x_test, data.y_test)
        _tr_loss, tr_acc = evaluate(model, data.x_train[:train_eval], data.y_train[:train_eval])
        log["test_loss"].append(finite(test_loss))
        log["test_acc"].append(test_acc)
        log["train_acc"].append(tr_acc)
        if max_steps is not None and steps >= max_steps:
            break
    log["total_steps"] = steps
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
