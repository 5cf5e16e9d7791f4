"""The gradient-flow picture: per layer, the mean and the max |gradient| over training.

Layers run input first along the x axis, on a log scale: a staircase falling towards the
input is vanishing gradients, one rising is exploding gradients. The numbers come from
``st.train.GradientStats`` (its ``flow()``) or any ``{layer: {"mean": m, "max": M}}``.

>>> stats = st.train.GradientStats(every_n_steps=10)
>>> st.train.fit(..., callbacks=[stats])
>>> st.viz.gradient_flow(stats, "gradient-flow.png")
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..atomic import atomic_writer


def _flow(source: Any) -> dict[str, dict[str, float]]:
    flow = source.flow() if hasattr(source, "flow") else dict(source)
    if not flow:
        raise ValueError(
            "gradient_flow: no gradients were recorded (did training run a step with "
            "GradientStats attached?)"
        )
    return flow


def _bar(value: float, floor: float) -> float:
    return max(value, floor) if math.isfinite(value) else math.nan  # inf/NaN: no bar, not a crash


def gradient_flow(source: Any, path: str | Path | None = None, title: str | None = None,
                  ax: Any = None) -> Any:  # fmt: skip
    """Draw mean and max |grad| per layer (bars, log scale); save to ``path`` if given.

    ``source``: a ``GradientStats`` or ``{layer: {"mean", "max"}}`` (layers in forward order).
    Returns the matplotlib Figure.
    """
    flow = _flow(source)
    import matplotlib

    if ax is None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(flow)
    floor = 1e-12  # a zero gradient still gets a visible stub on the log axis
    means = [_bar(flow[n]["mean"], floor) for n in names]
    maxes = [_bar(flow[n]["max"], floor) for n in names]
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(names) + 1.5), 3.8), dpi=110)
    else:
        fig = ax.figure
    xs = range(len(names))
    ax.bar(xs, maxes, color="#9ecae1", label="max |grad|", width=0.8)
    ax.bar(xs, means, color="#08519c", label="mean |grad|", width=0.45)
    ax.set_yscale("log")
    ax.set_xticks(list(xs), names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("|gradient| over training")
    ax.set_xlabel("layer (input first)")
    ax.set_title(title or "Gradient flow", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    if path is not None:
        with atomic_writer(path) as f:  # a killed run never leaves half a PNG
            fig.savefig(f, format=Path(path).suffix.lstrip(".") or "png")
        plt.close(fig)
    return fig
