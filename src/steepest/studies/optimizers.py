"""Study 10: the ten optimizers on the same budget (same model, data, batches, epochs).

Each at its registry default learning rate (``steepest.optim.registry``, also the CLI's): SGD 0.1,
momentum and Nesterov 0.01 (momentum 0.9), Adagrad 0.01, RMSprop 1e-3, Adadelta 1.0, Adam and
AdamW 1e-3, NAdam 2e-3, Lion 1e-4. MLP 784-128-10, batch 64.
"""

from __future__ import annotations

from typing import Any

from .. import optim
from ._common import figure, group, last, load, make_optimizer, mlp, train
from .report import Section, line_plot, mean, mean_std, table

# The ten of the claim, by registry name (not optim.names(): a name registered at run time
# would not exist in the worker processes)
NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
         "nadam", "lion")
TITLE = "10. Optimizers on the same budget"
CLAIM = ("Optimizers on the same budget: SGD, momentum, Nesterov, AdaGrad, RMSProp, Adadelta, "
         "Adam, AdamW, NAdam, Lion (the texts compare them qualitatively, with no numbers).")


def configs(ctx: Any) -> list[dict[str, Any]]:
    return [{"data": ctx.data, "n_train": ctx.pick(300, 3000, 20000),
             "n_test": ctx.pick(500, 2000, 10000), "epochs": ctx.pick(1, 2, 5),
             "optimizer": o, "lr": lr, "seed": s}
            for o in NAMES for lr in [optim.spec(o).default_lr] for s in ctx.seed_list()]


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp([784, 128, 10], seed=cfg["seed"])
    opt = make_optimizer(cfg["optimizer"], model.parameters(), cfg["lr"])
    return train(model, opt, data, cfg["epochs"], 64, seed=cfg["seed"])


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    g = group(records, "optimizer", "lr")
    ranked = sorted(g.items(), key=lambda kv: -mean([last(r["test_acc"]) for r in kv[1]]))
    rows, curves = [], {}
    for (o, lr), res in ranked:
        rows.append([o, f"{lr:g}", mean_std([last(r["train_loss"]) for r in res]),
                     mean_std([last(r["test_loss"]) for r in res]),
                     mean_std([last(r["test_acc"]) for r in res], 4),
                     mean_std([r["train_s"] for r in res], 2)])
        curves[o] = (list(range(1, len(res[0]["test_loss"]) + 1)), res[0]["test_loss"])
    path, rel = figure(ctx, "optimizers-test-loss")
    line_plot(path, curves, "epoch", "test loss (seed 0)", logy=True)
    (top, _), (bottom, _) = ranked[0][0], ranked[-1][0]
    times = {o: mean([r["train_s"] for r in res]) for (o, _), res in ranked}
    a_top = mean([last(r["test_acc"]) for r in ranked[0][1]])
    a_bot = mean([last(r["test_acc"]) for r in ranked[-1][1]])
    why = (f"Same model, data order and epochs; ranked by test accuracy: best {top} "
           f"({a_top:.4f}), worst {bottom} ({a_bot:.4f}). Each ran at one default learning "
           "rate, so this ranks optimizer *and* default together; study 3 shows how much the "
           "learning rate alone moves the result. Training time, slowest over fastest: "
           f"{max(times.values()) / min(times.values()):.2f}x ({max(times, key=times.get)} vs "
           f"{min(times, key=times.get)}): the update is cheap next to forward and backward.")
    body = table(["optimizer", "lr", "train loss", "test loss", "test acc", "train s"], rows)
    return Section("optimizers", TITLE, CLAIM, body, "measured", why, [rel])
