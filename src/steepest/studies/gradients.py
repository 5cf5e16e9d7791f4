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

from .. import optim
from ..nn import functional as F
from ..tensor import Tensor
from ..train import GradientStats
from ..viz import gradient_flow
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
    clipping = [optim.ClipGradNorm(clip)] if clip is not None else []
    opt = make_optimizer("momentum", model.parameters(), 0.01, transforms=clipping)
    epochs = math.ceil(cfg["steps"] * 128 / data.n_train)
    stats = GradientStats(every_n_steps=max(1, cfg["steps"] // 20))  # the gradient-flow picture
    log = train(model, opt, data, epochs, 128, seed=cfg["seed"],
                max_steps=cfg["steps"], train_eval=500, callbacks=[stats])
    log["grad_flow"] = {k: v for k, v in stats.flow().items()
                        if math.isfinite(v["mean"]) and math.isfinite(v["max"])}  # fmt: skip
    log["init_grad_norms"] = before
    log["final_grad_norms"] = grad_norms(model, xb, yb) if not log["diverged"] else []
    return log


FLOW_SETUPS = ("sigmoid, default init", "ReLU, He", "sigmoid, Xavier + batch norm")


def _flow_figure(path: Any, flows: dict[str, dict[str, dict[str, float]]], depth: int) -> None:
    """Mean and max |dL/dW| per layer over training (st.viz.gradient_flow), one panel each."""
    from .report import pyplot

    plt = pyplot()
    fig, axes = plt.subplots(1, len(flows), figsize=(5.0 * len(flows), 3.8), sharey=True)
    for ax, (name, flow) in zip(axes, flows.items(), strict=True):
        gradient_flow(flow, ax=ax, title=f"{name}, {depth} hidden layers")
        ax.set_xticks(ax.get_xticks(), [str(i + 1) for i in range(len(flow))], rotation=0)
        ax.set_xlabel("Linear layer (1 = input side)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
        flows = {name: g[(d, name)][0].get("grad_flow") for name in FLOW_SETUPS}
        if all(flows.values()):  # results cached before the picture existed have none
            path, rel = figure(ctx, f"gradient-flow-depth{d}")
            _flow_figure(path, flows, d)
            figs.append(rel)
    # the claim speaks of 20-50 layers: check it at every measured depth
    sentences = []
    for d in depths:
        c = depth_checks(ratio, loss, d)
        vanishes, xavier_helps, he_helps = c["vanishes"], c["xavier_helps"], c["he_helps"]
        fixes, clip_helps = c["fixes"], c["clip_helps"]
        sig = loss[(d, "sigmoid, Xavier")]
        bn, res = loss[(d, "sigmoid, Xavier + batch norm")], \
            loss[(d, "sigmoid, default + residual")]
        unclipped, clipped = loss[(d, "ReLU, 1.5x He (exploding)")], \
            loss[(d, "ReLU, 1.5x He + clip norm 1")]
        zero = [k for k in ("sigmoid, default init", "sigmoid, Xavier")
                if ratio[(d, k)] == 0.0]
        sentences.append(
            f"Depth {d}: first/last-layer gradient ratio at init "
            + ", ".join(f"{k} {ratio[(d, k)]:.1e}" for k in (
                "sigmoid, default init", "sigmoid, Xavier", "tanh, Xavier",
                "ReLU, default init", "ReLU, He", "ReLU, 1.5x He (exploding)"))
            + (f" (0 = the first layer's gradient underflowed float32 for {', '.join(zero)})"
               if zero else "")
            + f": {'vanishing' if vanishes else 'no strong vanishing'} for sigmoid with the "
            f"default init; Xavier {'brings' if xavier_helps else 'does not bring'} sigmoid's "
            f"ratio closer to 1, He {'brings' if he_helps else 'does not bring'} ReLU's. "
            f"Final training loss: sigmoid+Xavier {sig:.3f}, with batch norm {bn:.3f}, "
            f"residual sigmoid {res:.3f} ({'trainable' if fixes else 'no clear rescue'}); "
            f"1.5x He without clipping {unclipped:.3f}, with clipping {clipped:.3f} "
            f"(clipping {'lets it train' if clip_helps else 'does not make it train'}).")
    verdict = judge(ratio, loss, depths)
    why = (" ".join(sentences) + " nan = diverged (a batch loss NaN/inf or above 1e4); "
           "'trains' means a final loss below 0.9 ln 10 = 2.07.")
    body = table(["depth", "set-up", "||g|| layer 1", "||g|| last", "ratio", "final train loss",
                  "test acc"], rows)
    return Section("gradients", TITLE, CLAIM, body, verdict, why, figs)


CHANCE = 0.9 * math.log(10)  # "trains": a final loss clearly below chance level ln(10)


def depth_checks(ratio: dict[tuple[int, str], float], loss: dict[tuple[int, str], float],
                 d: int) -> dict[str, bool]:
    """The claim's parts at depth ``d``, from each set-up's first/last-layer gradient-norm
    ``ratio`` at initialization and its final training ``loss`` (NaN: diverged)."""
    def lg(name: str) -> float:
        r = ratio[(d, name)]
        return abs(math.log10(r)) if r and math.isfinite(r) and r > 0 else math.inf

    xavier_helps = lg("sigmoid, Xavier") < lg("sigmoid, default init")
    he_helps = lg("ReLU, He") <= lg("ReLU, default init")
    sig = loss[(d, "sigmoid, Xavier")]
    rescued = min(v for v in (loss[(d, "sigmoid, Xavier + batch norm")],
                              loss[(d, "sigmoid, default + residual")], math.inf)
                  if math.isfinite(v))
    unclipped = loss[(d, "ReLU, 1.5x He (exploding)")]
    clipped = loss[(d, "ReLU, 1.5x He + clip norm 1")]
    return {
        "vanishes": lg("sigmoid, default init") >= 3,
        "xavier_helps": xavier_helps,
        "he_helps": he_helps,
        "init_helps": xavier_helps and he_helps,
        "fixes": rescued < CHANCE and rescued < (sig if math.isfinite(sig) else math.inf) - 0.1,
        "clip_helps": clipped < CHANCE and (not math.isfinite(unclipped) or clipped < unclipped),
    }


def judge(ratio: dict[tuple[int, str], float], loss: dict[tuple[int, str], float],
          depths: list[int]) -> str:
    """The verdict over every measured depth: vanishing for sigmoid, init, normalization or
    residuals, and clipping each doing what the claim says."""
    keys = ("vanishes", "init_helps", "fixes", "clip_helps")
    checks = [depth_checks(ratio, loss, d)[k] for d in depths for k in keys]
    return "holds" if all(checks) else "does not hold" if not any(checks) else "partly"
