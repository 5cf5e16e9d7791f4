"""Loggers: CSV and JSON-lines files, TensorBoard event files, and per-layer gradient norms.

All of them survive a resume: on a run continued from a checkpoint they drop whatever the
killed run wrote after that checkpoint, so each epoch (and step) appears exactly once.

>>> callbacks = [st.train.CSVLogger("run/metrics.csv"), st.train.GradientStats(every_n_steps=50)]
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from .callbacks import Callback
from .checkpoint import atomic_write_bytes


def _scalars(logs: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (logs or {}).items()
            if v is None or (isinstance(v, int | float) and not isinstance(v, bool))}


class CSVLogger(Callback):
    """One row per epoch (``epoch`` 0-based, then every scalar log) in ``path``.

    The file is rewritten from the trainer's History after each epoch (atomically), so a
    column that appears later, a resumed run or an epoch finished after a stop all give a
    consistent table. Non-scalar logs (a confusion matrix) are left out.
    """

    order = 95  # after the History record: the table is the history

    def __init__(self, path: str | Path, separator: str = ",") -> None:
        self.path, self.separator = Path(path), separator

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.trainer.resumed and len(self.trainer.history):
            self._write()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._write()

    def _write(self) -> None:
        h = self.trainer.history
        keys = [k for k, values in h.history.items()
                if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                       for v in values)]
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=self.separator, lineterminator="\n")
        w.writerow(["epoch", *keys])
        for i, e in enumerate(h.epoch):
            w.writerow([e, *("" if h.history[k][i] is None else repr(h.history[k][i])
                             for k in keys)])
        atomic_write_bytes(self.path, buf.getvalue().encode())


class JSONLinesLogger(Callback):
    """One JSON object per line in ``path``: ``{"type": "epoch", "epoch", "step", logs...}``
    after each epoch and, with ``every_n_steps``, ``{"type": "batch", "epoch", "batch",
    "step", "loss", "lr"}`` every that many steps. NaN and infinities are written as
    ``NaN``/``Infinity`` (Python's JSON)."""

    order = 50

    def __init__(self, path: str | Path, every_n_steps: int | None = None) -> None:
        if every_n_steps is not None and (not isinstance(every_n_steps, int) or every_n_steps < 1):
            raise ValueError(f"JSONLinesLogger: every_n_steps must be an int >= 1 or None, got "
                             f"{every_n_steps!r}")
        self.path, self.every_n_steps = Path(path), every_n_steps

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kept: list[str] = []
        if self.trainer.resumed and self.path.exists():
            for line in self.path.read_text().splitlines():
                try:  # a line cut by a kill does not parse and is dropped
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict) and self._keep(record):
                    kept.append(line + "\n")
        atomic_write_bytes(self.path, "".join(kept).encode())

    def _keep(self, record: dict[str, Any]) -> bool:
        """Whether a record of the killed run precedes the checkpoint this run resumes from."""
        if record.get("type") == "epoch":  # an epoch not completed at the checkpoint is redone
            return record.get("epoch", math.inf) < self.trainer.epoch
        return record.get("step", math.inf) <= self.trainer.step

    def _append(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        t = self.trainer
        if self.every_n_steps and t.step % self.every_n_steps == 0:
            self._append({"type": "batch", "epoch": t.epoch, "batch": batch, "step": t.step,
                          "loss": (logs or {}).get("loss"), "lr": t.lr()})

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._append({"type": "epoch", "epoch": epoch, "step": self.trainer.step,
                      **_scalars(logs)})


class TensorBoard(Callback):
    """Scalars as TensorBoard event files in ``log_dir`` (needs ``tensorboardX``).

    Epoch logs go to ``epoch/<name>``; with ``every_n_steps``, the batch loss and learning rate
    to ``batch/loss`` and ``batch/lr``. Everything is plotted against the global step, so a
    resumed run can purge the events written after its checkpoint.
    """

    order = 50

    def __init__(self, log_dir: str | Path, every_n_steps: int | None = None) -> None:
        try:
            import tensorboardX  # noqa: F401 - checked here so the error comes at construction
        except ImportError:
            raise ImportError("TensorBoard logging needs tensorboardX, which is not installed: "
                              "pip install 'steepest[tensorboard]' (or pip install tensorboardX)"
                              ) from None
        self.log_dir, self.every_n_steps = Path(log_dir), every_n_steps
        self.writer: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        from tensorboardX import SummaryWriter

        purge = self.trainer.step + 1 if self.trainer.resumed else None
        self.writer = SummaryWriter(str(self.log_dir), purge_step=purge)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        t = self.trainer
        if self.every_n_steps and t.step % self.every_n_steps == 0:
            self.writer.add_scalar("batch/loss", float((logs or {})["loss"]), t.step)
            lr = t.lr()
            if lr is not None:
                self.writer.add_scalar("batch/lr", lr, t.step)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for key, value in _scalars(logs).items():
            if value is not None:
                self.writer.add_scalar(f"epoch/{key}", float(value), self.trainer.step)
        self.writer.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class GradientStats(Callback):
    r"""Per-layer gradient norms :math:`\|g_p\|_2`, to see vanishing or exploding gradients.

    Every ``every_n_steps`` steps it records ``{"step", "epoch", "total", "norms": {name:
    norm}, "mean_abs": {name: mean |g|}, "max_abs": {name: max |g|}, "vanishing": [...],
    "exploding": [...]}`` (layers whose norm is below ``vanishing`` or above ``exploding``)
    in ``self.records`` and, with ``path``, as a JSON line. Each epoch's logs get
    ``grad_norm``, the mean global norm over its recorded steps. ``flow()`` gives each
    layer's mean and max |g| over training; with ``plot``, the gradient-flow picture
    (``st.viz.gradient_flow``) is drawn there at the end of training.

    >>> stats = st.train.GradientStats(every_n_steps=10, plot="run/gradient-flow.png")
    >>> st.train.fit(..., callbacks=[stats]); stats.records[-1]["norms"]
    """

    def __init__(self, every_n_steps: int = 1, path: str | Path | None = None,
                 vanishing: float = 1e-7, exploding: float = 1e3, keep: int = 10_000,
                 plot: str | Path | None = None) -> None:
        if not isinstance(every_n_steps, int) or every_n_steps < 1:
            raise ValueError(f"GradientStats: every_n_steps must be an int >= 1, got "
                             f"{every_n_steps!r}")
        self.every_n_steps, self.vanishing, self.exploding = every_n_steps, vanishing, exploding
        self.path, self.keep = (Path(path) if path else None), keep
        self.plot = Path(plot) if plot else None
        self._ndim: dict[str, int] = {}  # parameter ranks: flow() leaves out 1-D biases
        self.records: list[dict[str, Any]] = []
        self._sum, self._count = 0.0, 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._sum, self._count = 0.0, 0
        if self.path is not None:
            kept = []
            if self.trainer.resumed and self.path.exists():
                for line in self.path.read_text().splitlines():
                    try:
                        if json.loads(line)["step"] <= self.trainer.step:
                            kept.append(line + "\n")
                    except (json.JSONDecodeError, KeyError, TypeError):
                        continue
            atomic_write_bytes(self.path, "".join(kept).encode())

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._sum, self._count = 0.0, 0

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        t = self.trainer
        if t.step % self.every_n_steps:
            return
        norms = t.grad_norms()
        total = t.grad_norm()
        mean_abs, max_abs = {}, {}
        for name, p in t.model.named_parameters():
            self._ndim[name] = p.ndim
            if p.grad is not None and p.grad.data.size:
                g = abs(p.grad.data)
                mean_abs[name], max_abs[name] = float(g.mean()), float(g.max())
        record = {
            "step": t.step, "epoch": t.epoch, "total": total, "norms": dict(norms),
            "mean_abs": mean_abs, "max_abs": max_abs,
            "vanishing": [k for k, v in norms.items() if v < self.vanishing],
            "exploding": [k for k, v in norms.items() if not v <= self.exploding],
        }  # fmt: skip
        self.records.append(record)
        del self.records[: -self.keep]
        if math.isfinite(total):
            self._sum += total
            self._count += 1
        if self.path is not None:
            with self.path.open("a") as f:
                f.write(json.dumps(record) + "\n")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None and self._count:
            logs["grad_norm"] = self._sum / self._count

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.plot is not None and any(r.get("mean_abs") for r in self.records):
            from ..viz.gradflow import gradient_flow

            gradient_flow(self, self.plot)

    def flow(self, weights_only: bool = True) -> dict[str, dict[str, float]]:
        """``{layer: {"mean", "max"}}``: mean |g| averaged, max |g| maximized over the kept
        records, layers in forward order; ``weights_only`` skips biases and norm shifts (1-D),
        as the classic gradient-flow plot does."""
        sums: dict[str, list[float]] = {}
        for r in self.records:
            for k, v in r.get("mean_abs", {}).items():
                acc = sums.setdefault(k, [0.0, 0.0, -math.inf])
                acc[0], acc[1] = acc[0] + v, acc[1] + 1
                acc[2] = max(acc[2], r["max_abs"][k])
        return {k: {"mean": s / n, "max": m} for k, (s, n, m) in sums.items()
                if not weights_only or self._ndim.get(k, 2) > 1}  # fmt: skip

    def summary(self) -> dict[str, dict[str, float]]:
        """``{layer: {"min", "max", "last"}}`` over the kept records."""
        out: dict[str, dict[str, float]] = {}
        for r in self.records:
            for k, v in r["norms"].items():
                s = out.setdefault(k, {"min": v, "max": v, "last": v})
                s["min"], s["max"], s["last"] = min(s["min"], v), max(s["max"], v), v
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"sum": self._sum, "count": self._count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._sum, self._count = state["sum"], state["count"]
