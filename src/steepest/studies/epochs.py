"""Study 2: epochs vs loss: the training and test loss after each epoch.

MLP 784-128-10 (ReLU), Adam (lr 1e-3), batch 128; the training loss is the mean over the
epoch's batches (what a progress bar prints), the test loss is measured after the epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import figure, load, make_optimizer, mlp, train
from .report import Section, line_plot, mean, mean_std, table

TITLE = "2. Epochs vs loss"
CLAIM = "Epoch 1: 0.452, 2: 0.291, 3: 0.183, 4: 0.109 (loss)."
CLAIMED = (0.452, 0.291, 0.183, 0.109)


def configs(ctx: Any) -> list[dict[str, Any]]:
    return [{"data": ctx.data, "n_train": ctx.pick(500, 10000, 60000),
             "n_test": ctx.pick(500, 2000, 10000), "epochs": ctx.pick(4, 4, 15), "seed": s}
            for s in ctx.seed_list()]


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp([784, 128, 10], seed=cfg["seed"])
    opt = make_optimizer("adam", model.parameters(), 1e-3)
    return train(model, opt, data, cfg["epochs"], 128, seed=cfg["seed"])


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    res = [r["result"] for r in records]
    epochs = min(len(r["train_loss"]) for r in res)
    rows, tr, te = [], [], []
    for e in range(epochs):
        tr.append(mean([r["train_loss"][e] for r in res]))
        te.append(mean([r["test_loss"][e] for r in res]))
        rows.append([e + 1, CLAIMED[e] if e < len(CLAIMED) else "",
                     mean_std([r["train_loss"][e] for r in res]),
                     mean_std([r["test_loss"][e] for r in res]),
                     mean_std([r["test_acc"][e] for r in res], 4),
                     mean_std([r["epoch_s"][e] for r in res], 2)])
    xs = list(range(1, epochs + 1))
    path, rel = figure(ctx, "epochs-loss")
    line_plot(path, {"train loss (mean of epoch's batches)": (xs, tr), "test loss": (xs, te),
                     "claimed": (xs[:4], list(CLAIMED[:epochs]))}, "epoch", "cross-entropy",
              logy=True,
              bands={"train loss (mean of epoch's batches)":
                     [float(np.std([r["train_loss"][e] for r in res])) for e in range(epochs)]})
    k = min(4, epochs)
    verdict, falls, rel_err = judge(tr)
    best = int(np.argmin(te)) + 1
    why = (f"The training loss {'falls' if falls else 'does not fall'} every epoch "
           f"({', '.join(f'{v:.3f}' for v in tr[:k])} for epochs 1-{k}); the claimed values "
           f"differ from the measured ones by up to {100 * rel_err:.0f} % (the claim names no "
           "model, data or optimizer, so only the shape is testable). "
           f"The test loss is lowest after epoch {best} of {epochs}"
           + (": beyond it more epochs overfit." if best < epochs else "."))
    body = table(["epoch", "claimed loss", "train loss", "test loss", "test acc", "s/epoch"],
                 rows)
    return Section("epochs", TITLE, CLAIM, body, verdict, why, [rel])


def judge(train_loss: list[float]) -> tuple[str, bool, float]:
    """``(verdict, falls, rel_err)`` from the mean training loss of each epoch: does it fall
    every epoch (of the first four), and how far from the claimed values is it at most."""
    k = min(4, len(train_loss))
    falls = all(train_loss[i + 1] < train_loss[i] for i in range(k - 1))
    rel_err = max(abs(train_loss[i] - CLAIMED[i]) / CLAIMED[i] for i in range(k))
    verdict = "does not hold" if not falls else ("holds" if rel_err <= 0.25 else "partly")
    return verdict, falls, rel_err
