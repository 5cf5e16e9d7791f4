"""The shared set-up of the regularization and dropout studies (not a study itself).

MLP 784-256-256-10 (ReLU), SGD with momentum 0.9 (lr 0.05), batch 64, on a small training
subset so that a network this size can overfit and regularization has something to do.
"""

from __future__ import annotations

from typing import Any

from ._common import load, make_optimizer, mlp, train


def sizes(ctx: Any) -> dict[str, Any]:
    return {"data": ctx.data, "n_train": ctx.pick(500, 2000, 10000),
            "n_test": ctx.pick(500, 2000, 10000), "epochs": ctx.pick(2, 5, 30)}


def run_one(cfg: dict[str, Any], dropout: float = 0.0, l1: float = 0.0,
            weight_decay: float = 0.0) -> dict[str, Any]:
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp([784, 256, 256, 10], seed=cfg["seed"], dropout=dropout)
    opt = make_optimizer("momentum", model.parameters(), 0.05, weight_decay=weight_decay)
    return train(model, opt, data, cfg["epochs"], 64, seed=cfg["seed"], l1=l1,
                 train_eval=cfg["n_train"])
