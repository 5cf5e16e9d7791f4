"""``ReduceMetrics``: epoch metrics averaged over ranks, so every rank sees the same logs."""

from __future__ import annotations

from typing import Any

from ..train.callbacks import Callback
from . import _comm


class ReduceMetrics(Callback):
    """At each epoch's end, replace the rank-local epoch means by the mean over all ranks'
    examples (one allreduce of a few floats). Means of per-example values (loss, accuracy,
    MSE) come out exact; precision/recall/F1 are averaged weighted by examples."""

    order = -1000  # before early stopping, the history and the loggers read the logs

    def __init__(self, val_count: int = 0, train_loader: Any = None) -> None:
        self.val_count = val_count
        self.train_loader = train_loader

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # the progress bar's samples/s: the global batch, all ranks' work
        size = getattr(self.train_loader, "last_global_size", None)
        if logs is not None and size is not None:
            logs["size"] = size

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None or _comm.world_size() == 1:
            return
        count = self.trainer._loss.count  # examples this rank trained on this epoch
        keys = sorted(k for k, v in logs.items() if k != "lr" and isinstance(v, float | int))
        values = []
        for k in keys:
            n = self.val_count if k.startswith("val_") else count
            values += [n, logs[k] * n if n else 0.0]
        sums = _comm.allreduce_floats(values)
        for i, k in enumerate(keys):
            n, total = sums[2 * i], sums[2 * i + 1]
            logs[k] = total / n if n else float("nan")
