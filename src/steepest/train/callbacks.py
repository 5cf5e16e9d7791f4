"""Callbacks: a base class with do-nothing hooks, and one dispatcher that calls them in order.

A callback overrides the hooks it needs. Each receives the trainer (``self.trainer``: model,
optimizer, epoch, step, history, ``stop()``) and a ``logs`` dict:

=====================  ===================================================================
on_train_begin(logs)   before the first epoch (also when resuming from a checkpoint)
on_epoch_begin(e)      before the first batch of epoch ``e`` (0-based)
on_batch_begin(b)      before batch ``b`` of the epoch: ``logs = {"batch", "size"}``
on_batch_end(b, logs)  after the optimizer step: ``logs = {"loss", "size", "batch"}``
on_epoch_end(e, logs)  epoch means of loss and metrics, ``val_*`` values, ``lr``; a callback
                       may add keys (they reach History, the loggers and the checkpoint)
on_train_end(logs)     after the last epoch, or after a stop
=====================  ===================================================================

Callbacks run in ascending ``order`` (stable: equal orders keep the user's order):
TerminateOnNaN (-10) first, then controls such as EarlyStopping and schedulers (0), then the
streaming loggers and the progress bar (JSONLinesLogger, TensorBoard, ProgressBar: 50), then
the history record (90), then CSVLogger (95: it writes the table from that history), then
ModelCheckpoint (100), so a checkpoint holds the state after every other callback has run.
``state_dict()`` returns what a resumed run needs (JSON values and arrays).

>>> class PrintLoss(st.train.Callback):
...     def on_epoch_end(self, epoch, logs):
...         print(epoch, logs["loss"])
>>> st.train.fit(model, loss_fn, optimizer, loader, callbacks=[PrintLoss()])
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .trainer import Trainer

HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_begin", "on_batch_end", "on_epoch_end",
         "on_train_end")  # fmt: skip


class Callback:
    """Base class: every hook does nothing. Set ``order`` to run before (lower) or after."""

    order = 0
    trainer: Trainer

    def set_trainer(self, trainer: Trainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_nonfinite(self, batch: int, error: FloatingPointError) -> None:
        """The step raised ``FloatingPointError`` (anomaly detection found a NaN/inf). Call
        ``self.trainer.stop(...)`` to end training cleanly; otherwise the error propagates."""

    def state_dict(self) -> dict[str, Any]:
        """What a resumed run needs to continue exactly (``{}``: nothing)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    @property
    def state_key(self) -> str:
        """The name under which the checkpoint keeps this callback's state."""
        return type(self).__name__


class CallbackList:
    """Calls each hook on every callback, in ascending ``order``."""

    def __init__(self, callbacks: Iterable[Callback] = (), trainer: Trainer | None = None) -> None:
        self.callbacks: list[Callback] = []
        for cb in callbacks:
            self.append(cb)
        if trainer is not None:
            self.set_trainer(trainer)

    def append(self, callback: Callback) -> None:
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be st.train.Callback instances, got "
                            f"{type(callback).__name__}")
        self.callbacks.append(callback)
        self.callbacks.sort(key=lambda cb: cb.order)  # stable: ties keep insertion order

    def set_trainer(self, trainer: Trainer) -> None:
        for cb in self.callbacks:
            cb.set_trainer(trainer)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def find(self, kind: type) -> list[Callback]:
        return [cb for cb in self.callbacks if isinstance(cb, kind)]

    # ----- dispatch ------------------------------------------------------------------------
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_batch_end(batch, logs)

    def on_nonfinite(self, batch: int, error: FloatingPointError) -> None:
        for cb in self.callbacks:
            cb.on_nonfinite(batch, error)

    # ----- state ---------------------------------------------------------------------------
    def _keys(self) -> list[str]:
        keys, seen = [], {}
        for cb in self.callbacks:
            base = cb.state_key
            seen[base] = seen.get(base, 0) + 1
            keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
        return keys

    def state_dict(self) -> dict[str, Any]:
        out = {}
        for key, cb in zip(self._keys(), self.callbacks, strict=True):
            state = cb.state_dict()
            if state:
                out[key] = state
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        keys = self._keys()
        for key, cb in zip(keys, self.callbacks, strict=True):
            if key in state:
                cb.load_state_dict(state[key])
        unused = sorted(set(state) - set(keys))
        if unused:
            warnings.warn(f"checkpoint has state for callbacks that this run does not have: "
                          f"{', '.join(unused)} (ignored)", UserWarning, stacklevel=3)


# ----- monitoring a logged value -----------------------------------------------------------------
_HIGHER_IS_BETTER = ("acc", "f1", "precision", "recall", "auc")


def resolve_mode(monitor: str, mode: str, trainer: Trainer | None = None) -> str:
    """'min' or 'max' for ``monitor``; ``mode='auto'`` asks the trainer's metrics, then the
    name (accuracy, F1, precision, recall: max; anything else, losses included: min)."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}")
    if trainer is not None:
        better = trainer.higher_is_better(monitor)
        if better is not None:
            return "max" if better else "min"
    name = monitor.removeprefix("val_")
    return "max" if any(h in name for h in _HIGHER_IS_BETTER) else "min"


def improved(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """True if ``value`` beats ``best`` by more than ``min_delta`` in the direction of ``mode``."""
    if best is None:
        return value == value  # any non-NaN value beats nothing
    return value < best - min_delta if mode == "min" else value > best + min_delta


def monitored(logs: dict[str, Any] | None, monitor: str, who: str) -> float:
    if not logs or monitor not in logs or logs[monitor] is None:
        have = ", ".join(sorted(k for k, v in (logs or {}).items() if v is not None))
        raise KeyError(f"{who} monitors {monitor!r}, which is not in the epoch logs "
                       f"(available: {have or 'none'}); pass monitor=... or a val_loader")
    return float(logs[monitor])


class HistoryRecorder(Callback):
    """Appends each epoch's logs to ``trainer.history`` (added by the trainer, order 90)."""

    order = 90

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.trainer.history.append(epoch, dict(logs or {}))


class LRSchedulerCallback(Callback):
    """Step a learning-rate scheduler every batch (``interval='step'``) or every epoch.

    ``ReduceLROnPlateau`` (anything whose ``step`` takes a metric) is stepped at epoch end with
    the value of ``monitor`` (default ``val_loss``, or ``loss`` when there is no validation).

    >>> sched = st.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1000)
    >>> st.train.fit(..., callbacks=[st.train.LRSchedulerCallback(sched, interval="step")])
    """

    def __init__(self, scheduler: Any, interval: str = "epoch", monitor: str | None = None
                 ) -> None:
        if interval not in ("epoch", "step"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'epoch' or 'step', got "
                             f"{interval!r}")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor
        self.plateau = _takes_metric(scheduler)
        if self.plateau and interval == "step":
            raise ValueError(f"{type(scheduler).__name__} steps on a monitored metric: use "
                             "interval='epoch'")

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.interval == "step" and self.trainer.stop_reason != "nan":
            self.scheduler.step()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.interval != "epoch" or self.trainer.stop_reason == "nan":
            return
        if self.plateau:
            monitor = self.monitor or ("val_loss" if logs and "val_loss" in logs else "loss")
            self.scheduler.step(monitored(logs, monitor, type(self.scheduler).__name__))
        else:
            self.scheduler.step()

    def state_dict(self) -> dict[str, Any]:
        if self.scheduler is getattr(self.trainer, "scheduler", None):
            return {}  # the trainer saves its own scheduler once, under "scheduler"
        return {"scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])


def _takes_metric(scheduler: Any) -> bool:
    """ReduceLROnPlateau-like: ``step(metrics)`` needs a value. The class attribute
    ``takes_metric`` says so; a scheduler without it is asked through its signature."""
    declared = getattr(scheduler, "takes_metric", None)
    if declared is not None:
        return bool(declared)
    import inspect

    try:
        params = list(inspect.signature(scheduler.step).parameters.values())
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0].default is inspect.Parameter.empty \
        and params[0].kind in (inspect.Parameter.POSITIONAL_ONLY,
                               inspect.Parameter.POSITIONAL_OR_KEYWORD)
