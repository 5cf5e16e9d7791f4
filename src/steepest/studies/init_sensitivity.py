"""Study 12: initialization sensitivity: many seeds x init schemes, the spread of the result.

MLP 784-128-64-10 (ReLU), SGD + momentum 0.9 (lr 0.01), batch 64. The seed sets the initial
weights *and* the data order, as in practice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import figure, group, last, load, make_optimizer, mlp, train
from .report import Section, mean, mean_std, pyplot, table

TITLE = "12. Initialization sensitivity"
CLAIM = ("Training depends on the initialization: results vary with the random seed and the "
         "init scheme (the texts assert it without numbers).")
SCHEMES = ("default", "xavier", "he", "orthogonal", "normal0.01", "normal1.0")


def configs(ctx: Any) -> list[dict[str, Any]]:
    seeds = range(max(ctx.seeds, ctx.pick(2, 3, 10)))
    return [{"data": ctx.data, "n_train": ctx.pick(300, 2000, 10000),
             "n_test": ctx.pick(500, 2000, 10000), "epochs": ctx.pick(1, 2, 5), "init": i,
             "seed": s} for i in SCHEMES for s in seeds]


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp([784, 128, 64, 10], seed=cfg["seed"], init=cfg["init"])
    opt = make_optimizer("momentum", model.parameters(), 0.01)
    return train(model, opt, data, cfg["epochs"], 64, seed=cfg["seed"])


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    g = group(records, "init")
    rows, accs = [], {}
    for (i,), res in g.items():
        a = [last(r["test_acc"]) for r in res]
        ok = [v for v in a if v is not None]
        accs[i] = ok
        rows.append([i, len(res), mean_std(a, 4), f"{min(ok):.4f}" if ok else "-",
                     f"{max(ok):.4f}" if ok else "-",
                     mean_std([last(r["train_loss"]) for r in res]),
                     sum(r["diverged"] for r in res)])
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for k, i in enumerate(SCHEMES):
        ax.scatter([k] * len(accs[i]), accs[i], s=14, alpha=0.7)
    ax.set_xticks(range(len(SCHEMES)), SCHEMES, fontsize=8)
    ax.set_ylabel("test accuracy (one dot per seed)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path, rel = figure(ctx, "init_sensitivity")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    verdict, good, within, across = judge(accs)
    means = {i: mean(accs[i]) for i in SCHEMES if accs[i]}
    good_means = [means[i] for i in good]
    good_range = max(good_means) - min(good_means) if good_means else 0.0
    why = (f"Across seeds, the largest standard deviation of test accuracy among the schemes "
           f"that train (> 0.5 accuracy: {', '.join(good) or 'none'}) is {within:.4f}; across "
           f"all schemes the mean accuracy ranges over {across:.4f} (from "
           f"{min(means, key=means.get)} {min(means.values()):.4f} to "
           f"{max(means, key=means.get)} {max(means.values()):.4f}), and over {good_range:.4f} "
           "among the schemes that train. A badly scaled scheme costs far more than an unlucky "
           "seed." if across > 5 * within else
           f"Seed spread (std up to {within:.4f}) is comparable to the differences between "
           f"schemes ({across:.4f}).")
    body = table(["init", "seeds", "test acc", "min", "max", "train loss", "diverged"], rows)
    return Section("init_sensitivity", TITLE, CLAIM, body, verdict, why, [rel])


def judge(accs: dict[str, list[float]]) -> tuple[str, list[str], float, float]:
    """``(verdict, schemes that train, within, across)`` from each scheme's test accuracy per
    seed: the claim holds when the spread across schemes dwarfs the spread across seeds."""
    good = [i for i in SCHEMES if accs[i] and mean(accs[i]) > 0.5]
    within = max((float(np.std(accs[i], ddof=1)) for i in good if len(accs[i]) > 1),
                 default=0.0)
    means = [mean(accs[i]) for i in SCHEMES if accs[i]]
    across = max(means) - min(means)
    verdict = "holds" if across > 5 * within or within > 0.01 else "partly"
    return verdict, good, within, across
