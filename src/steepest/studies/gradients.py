"""Study 11: vanishing and exploding gradients in deep (20-50 layer) MLPs, and the remedies.

Networks of ``depth`` hidden layers of equal width. For each we measure the gradient norm of
every Linear weight on one fixed batch at initialization (input layer first), then train
with SGD + momentum 0.9 (lr 0.01, batch 128) for a fixed number of steps and report the
final training loss and test accuracy. ``default`` is PyTorch's Linear init
U(+-1/sqrt(fan_in)); ``1.5x He`` is He-normal times 1.5 (too large on purpose: each ReLU
layer multiplies the signal by about 1.5).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..nn import functional as F
from ..tensor import Tensor
from ._common import figure, group, last, linear_layers, load, make_optimizer, mlp, train
from .report import Section, line_plot, mean, mean_std, table

TITLE = "11. Vanishing and exploding gradients"
CLAIM = ("Deep sigmoid/tanh networks suffer from vanishing gradients and badly initialized "
         "deep networks from exploding ones; Xavier/He initialization, batch normalization, "
         "residual connections and gradient clipping fix this.")
# name -> (activation, init, batch_norm, residual, clip)
SETUPS = {
    "sigmoid, default init": ("sigmoid", "default", False, False, None),
    "sigmoid, Xavier": ("sigmoid", "xavier", False, False, None),
    "tanh, default init": ("tanh", "default", False, False, None),
    "tanh, Xavier": ("tanh", "xavier", False, False, None),
    "ReLU, default init": ("relu", "default", False, False, None),
    "ReLU, He": ("relu", "he", False, False, None),
    "sigmoid, Xavier + batch norm": ("sigmoid", "xavier", True, False, None),
    "ReLU, He + batch norm": ("relu", "he", True, False, None),
    "sigmoid, default + residual": ("sigmoid", "default", False, True, None),
    "ReLU, default + residual": ("relu", "default", False, True, None),
    "ReLU, 1.5x He (exploding)": ("relu", "he*1.5", False, False, None),
    "ReLU, 1.5x He + clip norm 1": ("relu", "he*1.5", False, False, 1.0),
}


def configs(ctx: Any) -> list[dict[str, Any]]:
    return [{"data": ctx.data, "n_train": ctx.pick(500, 2000, 10000),
             "n_test": ctx.pick(500, 1000, 5000), "width": ctx.pick(16, 32, 64),
             "depth": d, "steps": ctx.pick(10, 30, 300), "setup": name, "seed": s}
            for d in ctx.pick([20], [20], [20, 50]) for name in SETUPS
            for s in ctx.seed_list(2)]


def grad_norms(model: Any, x: np.ndarray, y: np.ndarray) -> list[float | None]:
    """Frobenius norm of d loss / d W for every Linear weight, input layer first."""
    model.zero_grad()
    F.cross_entropy(model(Tensor(x)), Tensor(y)).backward()
    out = []
    for layer in linear_layers(model):
        g = layer.weight.grad
        v = float(np.linalg.norm(g.data)) if g is not None else 0.0
        out.append(v if math.isfinite(v) else None)
    model.zero_grad()
    return out


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    act, init, bn, residual, clip = SETUPS[cfg["setup"]]
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp([784] + [cfg["width"]] * cfg["depth"] + [10], act=act, seed=cfg["seed"],
                batch_norm=bn, init=init, residual=residual)
    xb, yb = data.x_train[:256], data.y_train[:256]
    before = grad_norms(model, xb, yb)
    opt = make_optimizer("momentum", model.parameters(), 0.01)
    epochs = math.ceil(cfg["steps"] * 128 / data.n_train)
    log = train(model, opt, data, epochs, 128, seed=cfg["seed"], clip=clip,
                max_steps=cfg["steps"], train_eval=500)
    log["init_grad_norms"] = before
    log["final_grad_norms"] = grad_norms(model, xb, yb) if not log["diverged"] else []
    return log


def _ratio(norms: list[float | None]) -> float | None:
    """first-layer / last-layer gradient norm (1 = balanced, << 1 vanishing, >> 1 exploding)."""
    if not norms or norms[0] is None or not norms[-1]:
        return None
    return norms[0] / norms[-1]


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    g = group(records, "depth", "setup")
    depths = sorted({d for d, _ in g})
    rows, ratio, loss, figs = [], {}, {}, []
    for d in depths:
        curves = {}
        for name in SETUPS:
            res = g[(d, name)]
            ratios = [_ratio(r["init_grad_norms"]) for r in res]
            ratio[(d, name)] = mean(ratios)
            loss[(d, name)] = mean([last(r["train_loss"]) if not r["diverged"] else None
                                    for r in res])
            rows.append([d, name, f"{mean([r['init_grad_norms'][0] for r in res]):.2e}",
                         f"{mean([r['init_grad_norms'][-1] for r in res]):.2e}",
                         f"{ratio[(d, name)]:.2e}",
                         mean_std([None if r["diverged"] else last(r["train_loss"])
                                   for r in res]),
                         mean_std([last(r["test_acc"]) for r in res], 4)])
            norms = res[0]["init_grad_norms"]
            curves[name] = (list(range(1, len(norms) + 1)), norms)
        path, rel = figure(ctx, f"gradients-depth{d}")
        line_plot(path, curves, "layer (1 = input side)", "||dL/dW|| at initialization",
                  title=f"{d} hidden layers", logy=True)
        figs.append(rel)
    d = depths[-1]

    def lg(name: str) -> float:
        r = ratio[(d, name)]
        return abs(math.log10(r)) if r and math.isfinite(r) and r > 0 else math.inf

    vanishes = lg("sigmoid, default init") >= 3
    init_helps = (lg("sigmoid, Xavier") < lg("sigmoid, default init")
                  and lg("ReLU, He") <= lg("ReLU, default init"))
    sig = loss[(d, "sigmoid, Xavier")]
    # "trains": final loss clearly below chance level ln(10) = 2.303 for 10 classes
    chance = 0.9 * math.log(10)
    rescued = min(loss[(d, "sigmoid, Xavier + batch norm")],
                  loss[(d, "sigmoid, default + residual")])
    fixes = rescued < chance and rescued < (sig if math.isfinite(sig) else math.inf) - 0.1
    unclipped, clipped = loss[(d, "ReLU, 1.5x He (exploding)")], \
        loss[(d, "ReLU, 1.5x He + clip norm 1")]
    clip_helps = clipped < chance and (not math.isfinite(unclipped) or clipped < unclipped)
    n = sum([vanishes, init_helps, fixes, clip_helps])
    verdict = {4: "holds", 0: "does not hold"}.get(n, "partly")
    rescue = "one of them makes it train" if fixes else "neither gets clearly below chance"
    clip_text = ("lets it train" if clip_helps else "avoids the NaN, but the loss stays high"
                 if math.isfinite(clipped) else "does not help")
    why = (f"At depth {d}: first/last-layer gradient ratio at init "
           + ", ".join(f"{k} {ratio[(d, k)]:.1e}" for k in (
               "sigmoid, default init", "sigmoid, Xavier", "tanh, Xavier", "ReLU, default init",
               "ReLU, He", "ReLU, 1.5x He (exploding)"))
           + f" ({'vanishing' if vanishes else 'no strong vanishing'} for sigmoid with the "
           f"default init; better initialization {'helps' if init_helps else 'does not help'})."
           f" Final training loss: sigmoid+Xavier {sig:.3f}, + batch norm "
           f"{loss[(d, 'sigmoid, Xavier + batch norm')]:.3f}, residual sigmoid "
           f"{loss[(d, 'sigmoid, default + residual')]:.3f} "
           f"({rescue}); 1.5x He without "
           f"clipping {unclipped:.3f}, with clipping {clipped:.3f} "
           f"(nan = diverged; clipping {clip_text}).")
    body = table(["depth", "set-up", "||g|| layer 1", "||g|| last", "ratio", "final train loss",
                  "test acc"], rows)
    return Section("gradients", TITLE, CLAIM, body, verdict, why, figs)
