"""The learning-rate range test (Smith, 2017; the fastai ``lr_find``).

Train a fresh model for ``steps`` batches while the learning rate grows exponentially,
``lr_k = start * (end / start)^(k / (steps - 1))``, and record the loss. The test stops early
once a bias-corrected moving average of the loss, ``a_k = b a_{k-1} + (1 - b) loss_k``,
``a_k / (1 - b^k)``, exceeds 4 times its minimum (divergence). For the plot and the
suggestion the losses are smoothed with a *centered* moving average instead (no lag: a
causal average would shift the curve toward larger learning rates). The suggestion is the lr
where the smoothed loss falls fastest, ``argmin d s / d log(lr)`` (a central difference
over 5% of the sweep), searched before the minimum of ``s`` (past it the loss only rises).

>>> lrs, losses = range_test(model, loss_fn, optimizer, loader, 1e-7, 10.0, 200)
>>> suggest(lrs, smooth(losses))
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from .build import build_loss, build_model, build_optimizer, check_device, task_of
from .config import TrainConfig
from .data import loaders, prepare
from .errors import UsageError
from .generative import choose_batch_size


def _batches(loader: Any) -> Iterator[Any]:
    """The loader's batches, epoch after epoch, for as long as they are wanted."""
    for _ in itertools.count():
        yield from loader


def range_test(model: Any, loss_fn: Any, optimizer: Any, loader: Any, start: float, end: float,
               steps: int, beta: float = 0.9, diverge: float = 4.0
               ) -> tuple[np.ndarray, np.ndarray]:
    """``(lrs, losses)`` of the sweep (shorter than ``steps`` if it diverged)."""
    from ..tensor import Tensor
    from ..train.trainer import split_batch

    device = next(iter(model.parameters())).device
    lrs, losses = [], []
    avg, best = 0.0, math.inf
    model.train()
    # divergence is the expected end of a range test: overflow there is information, not a bug
    with np.errstate(over="ignore", invalid="ignore"):
        for k, batch in zip(range(steps), _batches(loader), strict=False):
            lr = start * (end / start) ** (k / max(steps - 1, 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y = (t.to(device) if isinstance(t, Tensor) else t for t in split_batch(batch))
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            value = float(loss.item())
            if not math.isfinite(value):
                break
            loss.backward()
            optimizer.step()
            lrs.append(lr)
            losses.append(value)
            avg = beta * avg + (1 - beta) * value
            current = avg / (1 - beta ** (k + 1))
            best = min(best, current)
            if k > 10 and current > diverge * best:
                break
    return np.array(lrs), np.array(losses)


def smooth(losses: np.ndarray, fraction: float = 0.05) -> np.ndarray:
    """Centered moving average over a window of ``fraction`` of the points (at least 5, odd);
    the window shrinks symmetrically at the ends."""
    n = len(losses)
    half = max(2, int(n * fraction) // 2)
    csum = np.concatenate([[0.0], np.cumsum(losses)])
    idx = np.arange(n)
    width = np.minimum(np.minimum(idx, n - 1 - idx), half)  # symmetric at the edges
    return (csum[idx + width + 1] - csum[idx - width]) / (2 * width + 1)


def suggest(lrs: np.ndarray, smoothed: np.ndarray) -> float | None:
    """The lr of steepest descent of the smoothed loss (None if the sweep is too short or the
    loss never fell)."""
    if len(lrs) < 10:
        return None
    lowest = int(np.argmin(smoothed))
    skip = 2  # the ends of a centered average rest on fewer points
    if lowest <= skip + 1:
        return None
    # the slope over +-k points (about 5% of the sweep), not between neighbours: a short
    # recovery from a spike next to the cliff must not beat the long main descent
    k = max(1, len(lrs) // 20)
    i = np.arange(len(lrs))
    lo, hi = np.maximum(i - k, 0), np.minimum(i + k, len(lrs) - 1)
    log_lr = np.log10(lrs)
    slope = (smoothed[hi] - smoothed[lo]) / (log_lr[hi] - log_lr[lo])
    return float(lrs[skip + int(np.argmin(slope[skip:lowest + 1]))])


def plot(path: Path, lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray,
         suggestion: float | None, title: str) -> bool:
    """Draw the sweep to ``path``; False when matplotlib is missing (one line said so)."""
    from .report import _pyplot

    plt = _pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    ax.plot(lrs, losses, color="tab:blue", alpha=0.3, linewidth=0.8, label="loss")
    ax.plot(lrs, smoothed, color="tab:blue", label="smoothed loss")
    if suggestion is not None:
        ax.axvline(suggestion, color="tab:red", linestyle="--",
                   label=f"steepest descent: {suggestion:.2g}")
    ax.set_xscale("log")
    top = min(float(np.max(smoothed)), 1.5 * float(smoothed[0])) if len(smoothed) else 1.0
    bottom = float(np.min(losses)) if len(losses) else 0.0
    ax.set_ylim(bottom - 0.05 * (top - bottom), top + 0.05 * (top - bottom) + 1e-12)
    ax.set(xlabel="learning rate (log scale)", ylabel="training loss", title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def lr_find_command(cfg: TrainConfig, start: float, end: float, steps: int) -> int:
    for name, value in (("start-lr", start), ("end-lr", end)):
        if not (math.isfinite(value) and value > 0):
            raise UsageError(f"--{name} must be a positive number, got {value!r}")
    if end <= start:
        raise UsageError(f"--end-lr ({end}) must be larger than --start-lr ({start})")
    if steps < 10:
        raise UsageError(f"--steps must be at least 10, got {steps}")
    cfg.validate()
    task = task_of(cfg)
    device = check_device(cfg)
    data = prepare(cfg.dataset, task=task, augment=cfg.augment, subset=cfg.subset,
                   vocab_size=cfg.vocab_size, maxlen=cfg.maxlen)
    choose_batch_size(cfg, data)  # batch_size "auto": the number a training run would use
    model = build_model(cfg, data).to(device)
    optimizer = build_optimizer(cfg, model)
    loss_fn, _ = build_loss(task)
    train_loader, _ = loaders(data, cfg.batch_size, cfg.seed)
    lrs, losses = range_test(model, loss_fn, optimizer, train_loader, start, end, steps)
    if not len(lrs):
        raise UsageError(f"the loss was not finite at the first step (lr {start}); lower "
                         "--start-lr")
    stem = Path(cfg.dataset).stem if cfg.dataset.endswith(".npz") else cfg.dataset
    out = Path(cfg.out) if cfg.out else Path("runs") / (
        f"lr-find-{stem}-{cfg.model}-{datetime.now():%Y%m%d-%H%M%S}")
    out.mkdir(parents=True, exist_ok=True)
    smoothed = smooth(losses)
    suggestion = suggest(lrs, smoothed)
    with (out / "lr_find.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["lr", "loss", "smoothed_loss"])
        w.writerows(zip(lrs.tolist(), losses.tolist(), smoothed.tolist(), strict=True))
    drawn = plot(out / "lr_find.png", lrs, losses, smoothed, suggestion,
                 f"lr range test: {cfg.model} on {stem}, {cfg.optimizer}")
    lowest = float(lrs[int(np.argmin(smoothed))])
    ended = "diverged" if len(lrs) < steps else "finished"
    print(f"{len(lrs)} steps from lr {lrs[0]:.2g} to {lrs[-1]:.2g} ({ended}); lowest smoothed "
          f"loss {smoothed.min():.4f} at lr {lowest:.2g}")
    if suggestion is None:
        print("no suggestion: the loss did not fall over the sweep; widen --start-lr/--end-lr "
              "or add --steps")
    else:
        print(f"suggested lr: {suggestion:.2g} (steepest descent of the smoothed loss)")
    print(f"plot: {out / 'lr_find.png' if drawn else 'none'}   data: {out / 'lr_find.csv'}")
    return 0
