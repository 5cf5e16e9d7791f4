"""Study 5: architecture size vs training time (and accuracy) for MLPs on MNIST.

Adam lr 1e-3, batch 128, the same epochs for every size; time per epoch is wall-clock
training time (forward, backward, update), evaluation excluded.
"""

from __future__ import annotations

from typing import Any

from ._common import figure, group, last, load, make_optimizer, mlp, train
from .report import Section, line_plot, mean, mean_std, table

TITLE = "5. Architecture size vs training time"
CLAIM = "Small network: 10 minutes; medium: 25 minutes; large: 50 minutes (training time)."
SIZES = {"small": [784, 32, 10], "medium": [784, 256, 10], "large": [784, 1024, 1024, 10],
         "deep": [784, 256, 256, 256, 256, 10]}
CLAIMED = {"small": 10, "medium": 25, "large": 50}


def configs(ctx: Any) -> list[dict[str, Any]]:
    return [{"data": ctx.data, "n_train": ctx.pick(500, 8000, 60000),
             "n_test": ctx.pick(500, 2000, 10000), "epochs": ctx.pick(1, 1, 3), "size": k,
             "seed": s} for k in SIZES for s in ctx.seed_list()]


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp(SIZES[cfg["size"]], seed=cfg["seed"])
    log = train(model, make_optimizer("adam", model.parameters(), 1e-3), data, cfg["epochs"],
                128, seed=cfg["seed"])
    log["params"] = sum(p.data.size for p in model.parameters())
    return log


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    g = group(records, "size")
    rows, t, params = [], {}, {}
    for k in SIZES:
        res = g[(k,)]
        per_epoch = [r["train_s"] / len(r["epoch_s"]) for r in res]
        t[k], params[k] = mean(per_epoch), res[0]["params"]
        rows.append([k, "-".join(map(str, SIZES[k])), f"{params[k]:,}",
                     CLAIMED.get(k, ""), mean_std(per_epoch, 2), "",
                     mean_std([last(r["test_acc"]) for r in res], 4)])
    for row in rows:
        row[5] = f"{t[row[0]] / t['small']:.1f}x"
    path, rel = figure(ctx, "architecture-time")
    line_plot(path, {"s/epoch": ([params[k] for k in SIZES], [t[k] for k in SIZES])},
              "parameters", "seconds per epoch", logx=True, logy=True)
    verdict, monotone, (r_med, r_large) = judge(t)
    why = (f"Bigger networks do take longer ({'monotone' if monotone else 'not monotone'} "
           f"in size), but the claimed ratios (1 : 2.5 : 5) are not a law: measured "
           f"1 : {r_med:.1f} : {r_large:.1f} for {params['small']:,} : {params['medium']:,} : "
           f"{params['large']:,} parameters; seconds per epoch per million parameters: "
           + ", ".join(f"{k} {t[k] / params[k] * 1e6:.2f}" for k in SIZES)
           + " (a falling figure means fixed per-step overhead dominates the small networks). "
           "Absolute times here are seconds, not minutes: the claim names no data or "
           "hardware.")
    body = table(["size", "widths", "parameters", "claimed min", "s/epoch", "vs small",
                  "test acc"], rows)
    return Section("architecture", TITLE, CLAIM, body, verdict, why, [rel])


def judge(seconds: dict[str, float]) -> tuple[str, bool, tuple[float, float]]:
    """``(verdict, monotone, (medium/small, large/small))`` from the seconds per epoch of each
    size: bigger must be slower, and the ratios within 2x of the claimed 2.5x and 5x."""
    r_med, r_large = seconds["medium"] / seconds["small"], seconds["large"] / seconds["small"]
    monotone = seconds["small"] < seconds["medium"] < seconds["large"]
    close = 1.25 <= r_med <= 5 and 2.5 <= r_large <= 10
    verdict = "does not hold" if not monotone else ("holds" if close else "partly")
    return verdict, monotone, (r_med, r_large)
