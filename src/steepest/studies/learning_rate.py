"""Study 3: learning rate vs convergence for SGD and Adam, over orders of magnitude.

MLP 784-128-10, batch 64. "Steps to target" is the first step at which the mean of the last
20 batch losses is at or below the target training loss; a run diverges when a batch loss is
NaN/inf or above 1e4.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import figure, group, last, load, make_optimizer, mlp, train
from .report import Section, line_plot, mean_std, table

TITLE = "3. Learning rate vs convergence"
CLAIM = "Learning rate 0.1: slow convergence; 0.01: moderate; 0.001: fast."
LRS = {"sgd": (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0), "adam": (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)}
TARGET = 0.5
WINDOW = 20


def configs(ctx: Any) -> list[dict[str, Any]]:
    return [{"data": ctx.data, "n_train": ctx.pick(300, 3000, 20000),
             "n_test": ctx.pick(500, 2000, 10000), "epochs": ctx.pick(1, 2, 4),
             "optimizer": o, "lr": lr, "seed": s}
            for o, lrs in LRS.items() for lr in lrs for s in ctx.seed_list()]


def steps_to(losses: list[float | None], target: float) -> int | None:
    """First step whose trailing WINDOW-step mean loss is <= target (None: never)."""
    vals = np.array([np.inf if v is None else v for v in losses], dtype=float)
    for i in range(WINDOW, len(vals) + 1):
        if vals[i - WINDOW:i].mean() <= target:
            return i
    return None


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp([784, 128, 10], seed=cfg["seed"])
    opt = make_optimizer(cfg["optimizer"], model.parameters(), cfg["lr"])
    log = train(model, opt, data, cfg["epochs"], 64, seed=cfg["seed"], record_steps=True)
    log["steps_to_target"] = steps_to(log["steps"], TARGET)
    return log


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    g = group(records, "optimizer", "lr")
    rows, figs, speed, diverge_at = [], [], {}, {}
    for opt in LRS:
        curves = {}
        for lr in LRS[opt]:
            res = g[(opt, lr)]
            reached = [r["steps_to_target"] for r in res if r["steps_to_target"] is not None]
            div = sum(r["diverged"] for r in res)
            if div and opt not in diverge_at:
                diverge_at[opt] = lr
            speed[(opt, lr)] = float(np.mean(reached)) if len(reached) == len(res) else None
            rows.append([opt, f"{lr:g}",
                         mean_std(reached, 0) + (f" ({len(res) - len(reached)}/{len(res)} "
                                                 "never)" if len(reached) < len(res) else "")
                         if reached else "never",
                         mean_std([last(r["train_loss"]) for r in res]),
                         mean_std([last(r["test_acc"]) for r in res], 4), f"{div}/{len(res)}"])
            s = np.array([np.nan if v is None else v for v in res[0]["steps"]], dtype=float)
            k = min(WINDOW, max(1, len(s)))
            smooth = np.convolve(s, np.ones(k) / k, mode="valid")
            curves[f"lr {lr:g}"] = (list(range(k, k + len(smooth))), smooth.tolist())
        path, rel = figure(ctx, f"learning_rate-{opt}")
        line_plot(path, curves, "step", f"training loss ({WINDOW}-step mean, seed 0)",
                  title=opt, logy=True)
        figs.append(rel)
    verdict = judge(speed)
    best = {o: min((lr for lr in LRS[o] if speed.get((o, lr)) is not None),
                   key=lambda lr, o=o: speed[(o, lr)], default=None) for o in LRS}
    why = ("The claim orders 0.001 < 0.01 < 0.1 in steps to converge; measured (steps to a "
           f"{TARGET} training loss): " + "; ".join(
               f"{o}: " + ", ".join(
                   f"{lr:g} -> {speed[(o, lr)]:.0f}" if speed.get((o, lr)) is not None
                   else f"{lr:g} -> never" for lr in (1e-3, 1e-2, 1e-1))
               for o in LRS)
           + ". Fastest: " + ", ".join(f"{o} at lr {best[o]:g}" if best[o] else f"{o}: none"
                                       for o in LRS)
           + ". Divergence first seen at: " + ", ".join(
               f"{o} lr {diverge_at[o]:g}" if o in diverge_at else f"{o}: none in the sweep"
               for o in LRS)
           + ". The right learning rate depends on the optimizer: there is no universal "
             "'smaller is faster'.")
    body = table(["optimizer", "lr", f"steps to loss {TARGET}", "final train loss", "test acc",
                  "diverged"], rows)
    return Section("learning_rate", TITLE, CLAIM, body, verdict, why, figs)


def judge(speed: dict[tuple[str, float], float | None]) -> str:
    """The verdict from the steps each ``(optimizer, lr)`` took to reach the target loss (None:
    never): the claim is 0.001 fastest, then 0.01, then 0.1, with every optimizer."""
    checks = []
    for opt in LRS:
        # None = never reached: the slowest
        order = [speed.get((opt, lr)) for lr in (1e-3, 1e-2, 1e-1)]
        order = [x if x is not None else np.inf for x in order]
        checks.append(order[0] < order[1] < order[2])
    return {len(LRS): "holds", 0: "does not hold"}.get(sum(checks), "partly")
