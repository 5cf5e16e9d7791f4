"""What ``steepest train`` changes when it runs as N ranks: one hook, ``distribute``.

* the optimizer averages gradients over ranks (``DistributedOptimizer``, model buffers
  broadcast from rank 0 after each step);
* the training loader yields this rank's share of each *global* batch (``--batch-size`` is
  the global batch, so a recipe means the same at any process count); the test loader is
  sharded too, and each rank evaluates only its share;
* epoch metrics are reduced over ranks (``ReduceMetrics``: means weighted by examples), so
  every rank, early stopping and the logs see the same numbers;
* only rank 0 prints and writes (progress bar, metrics.csv, log.jsonl, checkpoints, samples).
"""

from __future__ import annotations

from typing import Any

from ..train.callbacks import Callback, CallbackList
from . import _comm
from .ddp import DistributedOptimizer
from .sampler import ShardedLoader

# Callbacks that write files or the terminal: rank 0's alone.
_WRITERS = ("ProgressBar", "CSVLogger", "JSONLinesLogger", "ModelCheckpoint", "SampleImages",
            "TensorBoardLogger")


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


def distribute(session: Any) -> Any:
    """Make a ``cli.train_cmd.Session`` train as this rank of the MPI world (in place)."""
    from ..cli.errors import UsageError

    world = _comm.world_size()
    if world == 1:
        return session
    if session.task == "gan":
        raise UsageError("--processes: GAN training (two optimizers) is not data-parallel yet")
    if session.cfg.batch_size < world:
        raise UsageError(f"--batch-size {session.cfg.batch_size} is the global batch: it must "
                         f"be at least the number of processes ({world})")
    trainer = session.trainer
    trainer.optimizer = DistributedOptimizer(trainer.optimizer, trainer.model)
    session.train_loader = ShardedLoader(session.train_loader, trainer.optimizer)
    val_count = 0
    if session.test_loader is not None:
        session.test_loader = ShardedLoader(session.test_loader, drop_small_last=False)
        val_count = session.test_loader.num_examples()
    main = _comm.is_main()
    kept = [cb for cb in trainer.callbacks if main or type(cb).__name__ not in _WRITERS]
    reduce = ReduceMetrics(val_count, session.train_loader)
    trainer.callbacks = CallbackList([*kept, reduce], trainer=trainer)
    return session
