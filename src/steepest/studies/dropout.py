"""Study 9: dropout rate vs accuracy (same set-up as the regularization study)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import figure, group, last
from ._regularize import run_one, sizes
from .report import Section, line_plot, mean, mean_std, table

TITLE = "9. Dropout rate vs accuracy"
CLAIM = "Dropout 0.2: 0.89, 0.5: 0.91, 0.8: 0.87 (accuracy)."
RATES = (0.0, 0.2, 0.5, 0.8)


def configs(ctx: Any) -> list[dict[str, Any]]:
    return [{**sizes(ctx), "p": p, "seed": s} for p in RATES for s in ctx.seed_list()]


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    return run_one(cfg, dropout=cfg["p"])


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    g = group(records, "p")
    rows, acc = [], {}
    for p in RATES:
        res = g[(p,)]
        acc[p] = mean([last(r["test_acc"]) for r in res])
        rows.append([p, mean_std([last(r["train_acc"]) for r in res], 4),
                     mean_std([last(r["test_acc"]) for r in res], 4),
                     mean_std([last(r["train_acc"]) - last(r["test_acc"]) for r in res], 4)])
    path, rel = figure(ctx, "dropout-accuracy")
    line_plot(path, {"test accuracy": (list(RATES), [acc[p] for p in RATES])}, "dropout p",
              "test accuracy (mean over seeds)")
    best = max(RATES, key=lambda p: acc[p])
    verdict = judge(acc)
    why = ("The claim: 0.5 best, then 0.2, then 0.8. Measured: " + ", ".join(
        f"p={p} {acc[p]:.4f}" for p in RATES) + f"; best p = {best}. "
        + ("p = 0.8 is the worst of the four. " if acc[0.8] < min(acc[0.0], acc[0.2], acc[0.5])
           else "")
        + "One network and one training length were measured (a small training subset, "
          "so the network can overfit).")
    spread = max(float(np.std([last(r["test_acc"]) for r in g[(p,)]], ddof=1))
                 if len(g[(p,)]) > 1 else 0.0 for p in RATES)
    why += f" The largest seed standard deviation of test accuracy is {spread:.4f}."
    body = table(["p", "train acc", "test acc", "gap"], rows)
    return Section("dropout", TITLE, CLAIM, body, verdict, why, [rel])


def judge(acc: dict[float, float]) -> str:
    """The verdict from the test accuracy at each dropout rate: the claim ranks p = 0.5 best,
    then 0.2, then 0.8; "partly" when 0.5 still beats 0.8."""
    shape = acc[0.5] > acc[0.2] > acc[0.8]
    mid_best = acc[0.5] > max(acc[0.2], acc[0.8])
    return "holds" if shape else ("partly" if mid_best or acc[0.8] < acc[0.5] else
                                  "does not hold")
