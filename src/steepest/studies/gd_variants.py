"""Study 1: batch vs stochastic vs mini-batch gradient descent (one optimizer, three batches).

Same MLP (784-64-10, ReLU), same data, plain SGD; only the batch differs: the whole
training set (batch GD, one step per epoch), one example (SGD), or 64 (mini-batch). Batch GD
also runs 20x the epochs, to see whether it stalls ("stuck") or keeps descending.
"""

from __future__ import annotations

from typing import Any

from ._common import figure, group, last, load, make_optimizer, mlp, train
from .report import Section, line_plot, mean, mean_std, table

TITLE = "1. Batch vs stochastic vs mini-batch gradient descent"
CLAIM = ("GD is simple but can get stuck in local minima; SGD is efficient for large datasets "
         "but may converge to less optimal solutions; mini-batch balances efficiency and "
         "stability.")
# (label, batch size (0 = whole set), lr, epoch multiplier): lrs are the usual stable choices
VARIANTS = (("batch GD", 0, 0.5, 1), ("stochastic GD", 1, 0.01, 1), ("mini-batch GD", 64, 0.1, 1),
            ("batch GD, 20x epochs", 0, 0.5, 20))


def configs(ctx: Any) -> list[dict[str, Any]]:
    n = ctx.pick(300, 2000, 10000)
    epochs = ctx.pick(2, 3, 10)
    return [{"data": ctx.data, "n_train": n, "n_test": ctx.pick(500, 2000, 10000),
             "variant": label, "batch_size": bs or n, "lr": lr, "epochs": epochs * mult,
             "seed": s}
            for label, bs, lr, mult in VARIANTS for s in ctx.seed_list()]


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp([784, 64, 10], seed=cfg["seed"])
    opt = make_optimizer("sgd", model.parameters(), cfg["lr"])
    return train(model, opt, data, cfg["epochs"], cfg["batch_size"], seed=cfg["seed"])


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    g = group(records, "variant")
    rows, acc, per_epoch, loss_curves, time_curves = [], {}, {}, {}, {}
    for (label,), res in g.items():
        cfg = next(r["config"] for r in records if r["config"]["variant"] == label)
        acc[label] = mean([last(r["test_acc"]) for r in res])
        per_epoch[label] = mean([r["train_s"] / max(1, len(r["epoch_s"])) for r in res])
        rows.append([label, cfg["batch_size"], cfg["lr"], cfg["epochs"], res[0]["total_steps"],
                     mean_std([last(r["train_loss"]) for r in res]),
                     mean_std([last(r["test_loss"]) for r in res]),
                     mean_std([last(r["test_acc"]) for r in res], 4),
                     mean_std([r["train_s"] / max(1, len(r["epoch_s"])) for r in res], 2),
                     mean_std([r["train_s"] for r in res], 1)])
        curve = res[0]["test_loss"]
        loss_curves[label] = (list(range(1, len(curve) + 1)), curve)
        time_curves[label] = ([sum(res[0]["epoch_s"][:i + 1]) for i in range(len(curve))], curve)
    p1, r1 = figure(ctx, "gd_variants-epochs")
    p2, r2 = figure(ctx, "gd_variants-seconds")
    line_plot(p1, loss_curves, "epoch", "test loss (seed 0)", logx=True, logy=True)
    line_plot(p2, time_curves, "training seconds", "test loss (seed 0)", logx=True, logy=True)

    long = [r for r in g[("batch GD, 20x epochs",)] if r["train_loss"]]
    drop = mean([1 - r["train_loss"][-1] / r["train_loss"][len(r["train_loss"]) // 2]
                 for r in long])
    # "balances": time for SGD (seed means, per epoch) to reach mini-batch's final accuracy
    mb_res, sgd_res = g[("mini-batch GD",)], g[("stochastic GD",)]
    mb_time = mean([r["train_s"] for r in mb_res])
    target = acc["mini-batch GD"]
    sgd_accs = [mean([r["test_acc"][e] for r in sgd_res if len(r["test_acc"]) > e])
                for e in range(max(len(r["test_acc"]) for r in sgd_res))]
    sgd_cum = [mean([sum(r["epoch_s"][:e + 1]) for r in sgd_res])
               for e in range(len(sgd_accs))]
    hit = next((e for e, a in enumerate(sgd_accs) if a >= target), None)
    sgd_time = sgd_cum[hit] if hit is not None else None
    verdict, gd_stuck, sgd_worse, mb_balanced = judge(drop, acc, mb_time, sgd_time)
    why = (f"GD: batch GD {'stalled' if gd_stuck else 'did not get stuck'}: over the second "
           f"half of its 20x-epoch run its training loss fell another {100 * drop:.1f} %; "
           "with the same epochs as the others it is far behind because it takes one step per "
           f"epoch. SGD: {acc['stochastic GD']:.4f} test accuracy vs {acc['mini-batch GD']:.4f} "
           f"for mini-batch after the same epochs ({'worse' if sgd_worse else 'not worse'}), "
           f"but at {per_epoch['stochastic GD']:.2f} s vs {per_epoch['mini-batch GD']:.2f} s "
           "per epoch. Mini-batch: it reached its final accuracy "
           f"{target:.4f} in {mb_time:.1f} s; SGD "
           + (f"needed {sgd_time:.1f} s ({hit + 1} epoch(s)) to get there"
              if sgd_time is not None else "never got there")
           + f", so mini-batch {'is' if mb_balanced else 'is not'} the efficient middle "
             "ground on this machine.")
    body = table(["variant", "batch", "lr", "epochs", "steps", "train loss", "test loss",
                  "test acc", "s/epoch", "train s"], rows)
    return Section("gd_variants", TITLE, CLAIM, body, verdict, why, [r1, r2])


def judge(drop: float, acc: dict[str, float], mb_time: float, sgd_time: float | None
          ) -> tuple[str, bool, bool, bool]:
    """``(verdict, gd_stuck, sgd_worse, mb_balanced)`` from the claim's three parts: batch GD
    stalls (its loss fell < 1 % over the second half of its long run, ``drop``), SGD ends
    worse than mini-batch (test accuracy ``acc``), and mini-batch reaches its accuracy in
    ``mb_time`` seconds, sooner than SGD (``sgd_time``, None: never)."""
    gd_stuck = drop < 0.01
    sgd_worse = acc["stochastic GD"] < acc["mini-batch GD"] - 0.005
    mb_balanced = sgd_time is None or mb_time < sgd_time
    n_true = sum([gd_stuck, sgd_worse, mb_balanced])
    verdict = {3: "holds", 0: "does not hold"}.get(n_true, "partly")
    return verdict, gd_stuck, sgd_worse, mb_balanced
