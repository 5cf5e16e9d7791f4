"""What a run leaves behind besides its checkpoints: curves as PNG and a summary.md.

matplotlib is imported here only, lazily, with the Agg backend (no display needed), so
``import steepest`` and ``steepest --help`` stay fast.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from .._optional import available, missing
from ..atomic import atomic_write_bytes


def _pyplot() -> Any:
    """matplotlib.pyplot, or None (after one line on stderr) when it is not installed."""
    if not available("matplotlib"):
        missing("matplotlib", "no plots drawn")
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def read_metrics(path: Path) -> dict[str, list[float | None]]:
    """metrics.csv as ``{column: values}``, numbers as floats and empty cells as None."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    columns: dict[str, list[float | None]] = {}
    for row in rows:
        for key, text in row.items():
            columns.setdefault(key, []).append(float(text) if text not in ("", None) else None)
    return columns


def read_steps(path: Path) -> tuple[list[int], list[float]]:
    """``(step, loss)`` of the batch records of a JSON-lines log (none if it is absent)."""
    steps, losses = [], []
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            loss = record.get("loss")
            if record.get("type") == "batch" and isinstance(loss, int | float) \
                    and math.isfinite(loss):
                steps.append(int(record["step"]))
                losses.append(float(loss))
    return steps, losses


def _smooth(values: list[float], beta: float = 0.9) -> list[float]:
    """Bias-corrected exponential moving average (what a progress bar's loss shows)."""
    out, avg = [], 0.0
    for k, v in enumerate(values, 1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta**k))
    return out


def _curve(ax: Any, x: list[float], values: list[float | None], **style: Any) -> None:
    if not values:  # a column the run does not have (no validation loader: no val_loss)
        return
    points = [(a, b) for a, b in zip(x, values, strict=True) if b is not None and math.isfinite(b)]
    if points:
        ax.plot(*zip(*points, strict=True), **style)


def plot_run(run_dir: Path, metric: str, steps_per_epoch: int | None = None) -> list[Path]:
    """loss.png (per-step training loss, per-epoch train and validation loss) and
    ``<metric>.png`` (per epoch); returns the files written."""
    path = run_dir / "metrics.csv"
    columns = read_metrics(path) if path.is_file() else {}  # none before the first epoch ends
    steps, step_loss = read_steps(run_dir / "log.jsonl")
    if not columns.get("epoch") and not steps:
        return []
    plt = _pyplot()
    if plt is None:
        return []
    epochs = [e + 1 for e in columns.get("epoch", [])]  # type: ignore[operator]
    written = []

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    players = loss_columns(columns)
    if players != ["loss"]:  # a GAN: its batch "loss" is the sum of two opposed losses
        steps = []
    if steps:  # put the steps on the epoch axis: step s of n per epoch is at s / n
        per_epoch = steps_per_epoch or (max(steps) / max(epochs) if epochs else max(steps))
        x = [s / per_epoch for s in steps]
        ax.plot(x, step_loss, color="tab:blue", alpha=0.2, linewidth=0.8)
        ax.plot(x, _smooth(step_loss), color="tab:blue", linewidth=1.2,
                label="train loss (batches, smoothed)")
    # an epoch's mean training loss belongs to the middle of that epoch
    for name, color in zip(players, ("tab:blue", "tab:green"), strict=False):
        _curve(ax, [e - 0.5 for e in epochs], columns.get(name, []), color=color, marker="o",
               linestyle="none" if name == "loss" else "-", label=f"train {name} (epoch mean)")
    _curve(ax, epochs, columns.get("val_loss", []), color="tab:orange", marker="o",
           label="validation loss")
    ax.set(xlabel="epoch", ylabel="loss", title=f"{run_dir.name}: loss")
    if all(v is None or v > 0 for name in players for v in columns.get(name, [])):
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(run_dir / "loss.png")
    plt.close(fig)
    written.append(run_dir / "loss.png")

    if metric in columns:
        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
        _curve(ax, epochs, columns[metric], color="tab:blue", marker="o", label=f"train {metric}")
        _curve(ax, epochs, columns.get(f"val_{metric}", []), color="tab:orange", marker="o",
               label=f"validation {metric}")
        ax.set(xlabel="epoch", ylabel=metric, title=f"{run_dir.name}: {metric}")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(run_dir / f"{metric}.png")
        plt.close(fig)
        written.append(run_dir / f"{metric}.png")
    return written


def loss_columns(columns: dict[str, Any]) -> list[str]:
    """The training losses loss.png shows: a GAN's two players apart (their sum says
    nothing), else the loss."""
    if "d_loss" in columns and "g_loss" in columns:
        return ["d_loss", "g_loss"]
    return ["loss"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.3g}"
    return str(value)


def write_summary(run_dir: Path, *, command: str, cfg: dict[str, Any], final: dict[str, Any],
                  seconds: float, params: int, epochs_done: int, stop: str | None,
                  plots: list[Path], val_examples: int = 0,
                  test: dict[str, Any] | None = None, batch_why: str | None = None) -> Path:
    """A short human-readable summary.md of the run: the last epoch's training and validation
    values, and the test split's (evaluated once, at the end) apart."""
    from .. import __version__

    rows = "\n".join(f"| {k} | {_fmt(v)} |" for k, v in final.items()
                     if isinstance(v, int | float) and not isinstance(v, bool))
    recipe = ", ".join(f"{k}={v}" for k, v in cfg.items()
                       if v not in (None, {}) and k not in ("out", "quiet"))
    images = "\n".join(f"![{p.stem}]({p.name})" for p in plots)
    split = (f"val_ = the validation split, {val_examples} examples held out of the training "
             "data" if val_examples else "no validation split")
    if test is not None:
        test_rows = "\n".join(f"| {k} | {_fmt(v)} |" for k, v in test.items()
                              if k not in ("checkpoint", "epoch", "examples"))
        chosen = "validation" if val_examples else "training"
        test_text = (f"Evaluated once, after training: {test['checkpoint']} (epoch "
                     f"{test['epoch']}, chosen on the {chosen} split) on {test['examples']} "
                     f"test examples.\n\n| metric | value |\n"
                     f"| --- | --- |\n{test_rows}")
    else:
        test_text = "Not evaluated (no test split, or no checkpoint to evaluate)."
    batch_line = f"\n- batch size: {cfg.get('batch_size')} ({batch_why})" if batch_why else ""
    text = f"""# {run_dir.name}

- command: `{command}`
- recipe: {recipe}{batch_line}
- parameters: {params:,}
- epochs: {epochs_done}{f" (stopped: {stop})" if stop else ""}
- wall time: {seconds:.1f} s
- steepest {__version__}

## Final metrics (last epoch; {split})

| metric | value |
| --- | --- |
{rows}

## Test split

{test_text}

## Files

config.toml (run it again with `steepest train --config`), metrics.csv (one row per epoch),
log.jsonl (batch losses), checkpoints/last.safetensors and best.safetensors
(`steepest eval`, `steepest resume`), {", ".join(p.name for p in plots)}.

{images}
"""
    path = run_dir / "summary.md"
    atomic_write_bytes(path, text.encode())
    return path
