"""The training loop: ``fit``, ``evaluate``, ``predict``, and the ``Trainer`` holding their state.

One training step is the plain PyTorch-style loop, on the public API only::

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()

so a hand-written loop and ``fit`` give the same weights for the same seed. The ``Trainer``
adds what a loop by hand lacks: epoch and step counters, streaming metrics, validation,
callbacks, stopping criteria, and checkpoints that resume exactly (model, optimizer,
scheduler, RNG, data-loader position, partial-epoch metrics, callback state and history).

>>> history = st.train.fit(model, st.nn.CrossEntropyLoss(), st.optim.Adam(model.parameters()),
...                        train_loader, val_loader, epochs=5, metrics=["accuracy"])
>>> history.history["val_accuracy"]
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import random as st_random
from ..autograd import is_anomaly_enabled, no_grad
from ..backend import array_module, to_device
from ..tensor import Tensor
from . import checkpoint as ckpt
from .callbacks import Callback, CallbackList, HistoryRecorder, LRSchedulerCallback
from .history import History
from .metrics import Mean, Metric, get_metric
from .progress import ProgressBar
from .stopping import GradNormTolerance, TargetLoss, TerminateOnNaN

STATE_FORMAT = "steepest.trainer"
# A run that ended for one of these reasons stays ended when resumed from its checkpoint.
FINAL_STOPS = ("early_stopping", "target_loss", "grad_tol", "nan")


def _positive_int(name: str, value: Any, allow_none: bool = False, minimum: int = 1) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def _length(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


def split_batch(batch: Any) -> tuple[Any, Any]:
    """``(inputs, targets)`` of a batch: an ``(x, y)`` pair, or ``(x,)`` / ``x`` alone, whose
    target is then the input itself (autoencoders)."""
    if isinstance(batch, tuple | list):
        if len(batch) == 2:
            return batch[0], batch[1]
        if len(batch) == 1:
            return batch[0], batch[0]
        raise ValueError(f"a batch must be (inputs, targets), got a sequence of {len(batch)}")
    return batch, batch


def _size(x: Any) -> int:
    shape = getattr(x, "shape", None)
    return int(shape[0]) if shape else len(x)


def _model_device(model: Any) -> str | None:
    for p in model.parameters():
        return p.device
    return None


def _to(x: Any, device: str | None) -> Any:
    if device is None:
        return x
    if isinstance(x, Tensor):
        return x if x.device == device else x.to(device)
    return x


def _check_batch(*fields: Any) -> None:
    for name, f in zip(("inputs", "targets"), fields, strict=False):
        data = f.data if isinstance(f, Tensor) else f
        if getattr(data, "dtype", None) is not None and data.dtype.kind == "f" \
                and not bool(array_module(data).isfinite(data).all()):
            raise FloatingPointError(f"anomaly: the batch's {name} contain NaN or infinite "
                                     "values (bad data, not an op)")


def _generators(model: Any) -> dict[str, st_random.Generator]:
    """Private random generators held by the model's modules (e.g. a seeded Dropout)."""
    found: dict[str, st_random.Generator] = {}
    seen = {id(st_random.default_generator)}
    for mod_name, module in model.named_modules():
        for attr, value in vars(module).items():
            if isinstance(value, st_random.Generator) and id(value) not in seen:
                seen.add(id(value))
                found[f"{mod_name}.{attr}" if mod_name else attr] = value
    return found


class Trainer:
    """Holds the model, loss, optimizer and the loop's state; ``fit`` runs the loop.

    ``epoch`` counts completed epochs, ``step`` optimizer steps, ``batch_in_epoch`` the batches
    of the current epoch already trained. ``stop(reason, message)`` ends training after the
    current step (callbacks call it); ``stop_reason`` says why it ended: ``"max_steps"``,
    ``"early_stopping"``, ``"target_loss"``, ``"grad_tol"``, ``"nan"``, or None for ``epochs``.

    Arguments: ``metrics`` (names for ``get_metric`` or ``Metric`` objects; logged per epoch,
    ``val_``-prefixed for validation); ``callbacks``; ``scheduler`` stepped per epoch, or per
    batch (``scheduler_interval='step'``; ``'auto'`` asks the scheduler's ``step_per_batch``;
    ReduceLROnPlateau gets ``val_loss``, or ``loss`` without validation); ``target_loss``
    (``TargetLoss``, epoch mean), ``grad_tol`` (``GradNormTolerance``); ``terminate_on_nan``
    (adds ``TerminateOnNaN``); ``progress`` (adds a ``ProgressBar`` unless one is given);
    ``config``: JSON data saved in every checkpoint (a CLI keeps its run settings there).

    >>> trainer = st.train.Trainer(model, loss_fn, optimizer, metrics=["accuracy"])
    >>> trainer.fit(train_loader, val_loader, epochs=3)
    >>> trainer.save_checkpoint("run/last.safetensors")   # later: trainer.load_checkpoint(...)
    """

    def __init__(
        self,
        model: Any,
        loss_fn: Any,
        optimizer: Any,
        *,
        metrics: Sequence[str | Metric] = ("accuracy",),
        callbacks: Iterable[Callback] = (),
        scheduler: Any = None,
        scheduler_interval: str = "auto",
        target_loss: float | None = None,
        grad_tol: float | None = None,
        terminate_on_nan: bool = True,
        progress: bool = True,
        config: dict[str, Any] | None = None,
    ) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.scheduler, self.config = scheduler, config
        self.metric_specs = list(metrics)
        self._metrics = [get_metric(m) for m in self.metric_specs]
        names = [m.name for m in self._metrics]
        if len(set(names)) != len(names) or "loss" in names:
            raise ValueError(f"metric names must be distinct and not 'loss', got {names}")
        self._loss = Mean()
        user = list(callbacks)
        extra: list[Callback] = [HistoryRecorder()]
        if progress and not any(isinstance(cb, ProgressBar) for cb in user):
            extra.append(ProgressBar())
        if scheduler is not None:
            if scheduler_interval == "auto":  # the class says (OneCycleLR and subclasses: True)
                per_step = bool(getattr(scheduler, "step_per_batch", False))
                scheduler_interval = "step" if per_step else "epoch"
            extra.append(LRSchedulerCallback(scheduler, interval=scheduler_interval))
        if target_loss is not None:
            extra.append(TargetLoss(target_loss))
        if grad_tol is not None:
            extra.append(GradNormTolerance(grad_tol))
        if terminate_on_nan and not any(isinstance(cb, TerminateOnNaN) for cb in user):
            extra.append(TerminateOnNaN())
        self.callbacks = CallbackList([*user, *extra], trainer=self)
        self.history = History()
        self.epoch = self.step = self.batch_in_epoch = 0
        self.epochs: int | None = None
        self.max_steps: int | None = None
        self.steps_per_epoch: int | None = None
        self.train_loader: Any = None
        self.val_loader: Any = None
        self.stop_training = False
        self.stop_reason: str | None = None
        self.stop_message: str | None = None
        self.logs: dict[str, Any] = {}
        self.resumed = False
        self._finished_reason: str | None = None
        self._pending: dict[str, Any] = {}
        self._norms: tuple[int, dict[str, float]] | None = None

    # ----- the loop --------------------------------------------------------------------------
    def fit(
        self,
        train_loader: Any,
        val_loader: Any = None,
        epochs: int = 1,
        max_steps: int | None = None,
    ) -> History:
        """Train until ``epochs`` epochs in all (counting those of a resumed checkpoint), or
        ``max_steps`` optimizer steps in all, or a callback stops it. Returns the History."""
        _positive_int("epochs", epochs, minimum=0)
        _positive_int("max_steps", max_steps, allow_none=True)
        self.train_loader, self.val_loader = train_loader, val_loader
        self.epochs, self.max_steps = int(epochs), max_steps
        self.steps_per_epoch = _length(train_loader)
        if self.steps_per_epoch == 0:
            raise ValueError("train_loader yields no batches (an empty dataset, or drop_last "
                             "with fewer samples than batch_size)")
        self._restore_loaders()
        self.stop_training, self.stop_reason, self.stop_message = False, None, None
        if self._finished_reason is not None:  # the checkpoint was taken after a final stop
            self.stop_training, self.stop_reason = True, self._finished_reason
            self._finished_reason = None
        self.callbacks.on_train_begin({"epoch": self.epoch, "step": self.step})
        if "callbacks" in self._pending:  # after on_train_begin, which resets callback state
            self.callbacks.load_state_dict(self._pending.pop("callbacks"))
        while not self.stop_training and self.epoch < self.epochs:
            if self.max_steps is not None and self.step >= self.max_steps:
                self.stop("max_steps", f"reached max_steps={self.max_steps}")
                break
            self._run_epoch()
        self.callbacks.on_train_end(dict(self.logs))
        return self.history

    def _restore_loaders(self) -> None:
        for key, loader in (("train_loader", self.train_loader), ("val_loader", self.val_loader)):
            state = self._pending.pop(key, None)
            if state is not None and loader is not None and hasattr(loader, "load_state_dict"):
                loader.load_state_dict(state)
        # a finished epoch whose end did not run yet: the loader already points at the next one
        n, done = self.steps_per_epoch, self.batch_in_epoch
        expected = 0 if n is not None and done >= n else done
        position = (_loader_state(self.train_loader) or {}).get("position", expected)
        if position != expected:
            warnings.warn(f"the run is at batch {done} of epoch {self.epoch} but train_loader "
                          f"is at batch {position}: pass the loader that trained so far, or "
                          "resume from a checkpoint", UserWarning, stacklevel=3)

    def _epoch_batches(self) -> Iterable[Any]:
        loader = self.train_loader
        if hasattr(loader, "state_dict") or self.batch_in_epoch == 0:
            return loader  # a resumable loader continues where its state says
        # a loader without state: replay the epoch and skip the batches already trained
        return itertools.islice(loader, self.batch_in_epoch, None)

    def _run_epoch(self) -> None:
        e, n = self.epoch, self.steps_per_epoch
        if self.batch_in_epoch == 0:
            self._loss.reset()
            for m in self._metrics:
                m.reset()
            self.callbacks.on_epoch_begin(e, {})
        self.model.train()
        device = _model_device(self.model)
        if n is None or self.batch_in_epoch < n:
            batches = iter(self._epoch_batches())
            try:
                for batch in batches:
                    self._train_batch(batch, device)
                    if self.max_steps is not None and self.step >= self.max_steps:
                        self.stop("max_steps", f"reached max_steps={self.max_steps}")
                    if self.stop_training:
                        break
            finally:
                close = getattr(batches, "close", None)
                if close is not None:
                    close()
        if self.stop_reason == "nan":
            return  # nothing from a diverged epoch is validated, recorded or saved
        complete = not self.stop_training or (n is not None and self.batch_in_epoch >= n)
        self._end_epoch(e, complete)

    def _train_batch(self, batch: Any, device: str | None) -> None:
        b = self.batch_in_epoch
        x, y = split_batch(batch)
        x, y = _to(x, device), _to(y, device)
        size = _size(x)
        self.callbacks.on_batch_begin(b, {"batch": b, "size": size})
        try:
            if is_anomaly_enabled():  # else the first op touching the batch would be blamed
                _check_batch(x, y)
            loss, output = self.train_step(x, y)
        except FloatingPointError as err:
            self.callbacks.on_nonfinite(b, err)
            if not self.stop_training:
                raise FloatingPointError(f"{err} (in step {self.step + 1}: epoch {self.epoch}, "
                                         f"batch {b})") from err
            return
        self.step += 1
        self.batch_in_epoch += 1
        self._loss.update(loss, size)
        if math.isfinite(loss):
            for m in self._metrics:
                m.update(output, y)
        self.callbacks.on_batch_end(b, {"batch": b, "size": size, "loss": loss})

    def train_step(self, x: Any, y: Any) -> tuple[float, Any]:
        """One step of gradient descent on a batch; returns ``(loss value, model output)``.
        Override it for a custom step (several losses, gradient accumulation, ...)."""
        self.optimizer.zero_grad()
        output = self.model(x)
        loss = self.loss_fn(output, y)
        loss.backward()
        self.optimizer.step()
        return float(loss.item()), output.detach() if isinstance(output, Tensor) else output

    def _end_epoch(self, e: int, complete: bool) -> None:
        logs = self.running_logs()
        if self.val_loader is not None:
            logs.update({f"val_{k}": v for k, v in self.evaluate(self.val_loader).items()})
        lr = self.lr()
        if lr is not None:
            logs["lr"] = lr
        if complete:  # an epoch cut short by a stop stays open, so a resumed run finishes it
            self.epoch, self.batch_in_epoch = e + 1, 0
        self.logs = logs
        self.callbacks.on_epoch_end(e, logs)

    # ----- evaluation and prediction ---------------------------------------------------------
    def evaluate(self, loader: Any, metrics: Sequence[str | Metric] | None = None
                 ) -> dict[str, Any]:
        """Mean loss (weighted by batch size) and metrics over ``loader``, in eval mode and
        without a graph; the model's train/eval mode is restored afterwards."""
        return evaluate(self.model, self.loss_fn, loader,
                        self.metric_specs if metrics is None else metrics)

    def predict(self, data: Any, batch_size: int = 256) -> np.ndarray:
        """The model's outputs for ``data`` (a loader, an array or a Tensor) as one array."""
        return predict(self.model, data, batch_size)

    # ----- helpers for callbacks -------------------------------------------------------------
    def running_logs(self) -> dict[str, Any]:
        """Loss and metrics of the current epoch so far (what a progress bar shows)."""
        logs: dict[str, Any] = {"loss": self._loss.compute()}
        logs.update({m.name: m.compute() for m in self._metrics})
        return logs

    def stop(self, reason: str, message: str | None = None) -> None:
        """End training after the current step (the first reason given is kept)."""
        if not self.stop_training:
            self.stop_training, self.stop_reason, self.stop_message = True, reason, message

    def lr(self) -> float | None:
        """The learning rate of the first parameter group (None if the optimizer has none)."""
        groups = getattr(self.optimizer, "param_groups", None)
        if groups:
            lr = groups[0].get("lr")
            return float(lr) if lr is not None else None
        return None

    def grad_norms(self) -> dict[str, float]:
        """L2 norm of each parameter's gradient after the latest step (cached per step)."""
        if self._norms is None or self._norms[0] != self.step:
            norms = {}
            for name, p in self.model.named_parameters():
                if p.grad is not None:
                    g = p.grad.data
                    norms[name] = float(array_module(g).linalg.norm(g.reshape(-1)))
            self._norms = (self.step, norms)
        return self._norms[1]

    def grad_norm(self) -> float:
        """Global L2 norm of the gradient, all parameters taken as one vector."""
        return math.sqrt(sum(n * n for n in self.grad_norms().values()))

    def higher_is_better(self, name: str) -> bool | None:
        """Whether a larger value of logged ``name`` is better (None when unknown)."""
        base = name.removeprefix("val_")
        if base == "loss":
            return False
        for m in self._metrics:
            if m.name == base:
                return m.higher_is_better
        return None

    # ----- state and checkpoints -------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this run exactly (arrays and JSON values)."""
        from .. import __version__

        sched = self.scheduler
        return {
            "format": STATE_FORMAT,
            "steepest_version": __version__,
            "trainer": {
                "epoch": self.epoch, "step": self.step, "batch_in_epoch": self.batch_in_epoch,
                "stop_reason": self.stop_reason, "stop_message": self.stop_message,
                "epoch_loss": self._loss.state_dict(),
                "epoch_metrics": {m.name: m.state_dict() for m in self._metrics},
            },
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": sched.state_dict() if sched is not None else None,
            "rng": {
                "default": st_random.default_generator.get_state(),
                "modules": {k: g.get_state() for k, g in _generators(self.model).items()},
            },
            "train_loader": _loader_state(self.train_loader),
            "val_loader": _loader_state(self.val_loader),
            "callbacks": self.callbacks.state_dict(),
            "history": self.history.state_dict(),
            "config": self.config,
        }  # fmt: skip

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()`` output. Loader and callback states are applied when
        ``fit`` receives the loaders and has begun (see ``fit``)."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"not a trainer state (format {state.get('format')!r}); for a bare "
                             "model use model.load_state_dict(load_checkpoint(path)['model'])")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        st_random.default_generator.set_state(state["rng"]["default"])
        gens = _generators(self.model)
        for name, gstate in state["rng"].get("modules", {}).items():
            if name in gens:
                gens[name].set_state(gstate)
        t = state["trainer"]
        self.epoch, self.step, self.batch_in_epoch = t["epoch"], t["step"], t["batch_in_epoch"]
        self._loss.load_state_dict(t["epoch_loss"])
        for m in self._metrics:
            if m.name in t["epoch_metrics"]:
                m.load_state_dict(t["epoch_metrics"][m.name])
        reason = t.get("stop_reason")
        self._finished_reason = reason if reason in FINAL_STOPS else None
        self.stop_reason, self.stop_message = reason, t.get("stop_message")
        self.history.load_state_dict(state["history"])
        if state.get("config") is not None and self.config is None:
            self.config = state["config"]
        self._pending = {k: state[k] for k in ("train_loader", "val_loader") if state.get(k)}
        self._pending["callbacks"] = state.get("callbacks") or {}
        self._norms = None
        self.resumed = True

    def save_checkpoint(self, path: str | Path, allow_nonfinite: bool = False) -> Path:
        """Write the full state atomically to ``path`` (a ``.safetensors`` file)."""
        return ckpt.save_checkpoint(path, self.state_dict(), allow_nonfinite=allow_nonfinite)

    def load_checkpoint(self, path: str | Path) -> dict[str, Any]:
        """Verify and load a checkpoint written by ``save_checkpoint``; the next ``fit``
        continues exactly where that run was. Returns the loaded state."""
        state = ckpt.load_checkpoint(path)
        try:
            self.load_state_dict(state)
        except (KeyError, TypeError) as e:
            raise ckpt.CheckpointError(f"{path}: not a complete trainer checkpoint ({e!r})"
                                       ) from None
        return state


def _loader_state(loader: Any) -> dict[str, Any] | None:
    return loader.state_dict() if loader is not None and hasattr(loader, "state_dict") else None


# ----- the functional API ------------------------------------------------------------------------
def fit(
    model: Any,
    loss_fn: Any,
    optimizer: Any,
    train_loader: Any,
    val_loader: Any = None,
    epochs: int = 1,
    callbacks: Iterable[Callback] = (),
    metrics: Sequence[str | Metric] = ("accuracy",),
    scheduler: Any = None,
    max_steps: int | None = None,
    target_loss: float | None = None,
    grad_tol: float | None = None,
    *,
    scheduler_interval: str = "auto",
    terminate_on_nan: bool = True,
    progress: bool = True,
    resume: str | Path | None = None,
    config: dict[str, Any] | None = None,
) -> History:
    """Train ``model`` and return its History (see ``Trainer`` for every option).

    ``resume``: a checkpoint to continue from (written by ``ModelCheckpoint`` or
    ``Trainer.save_checkpoint``); ``epochs`` and ``max_steps`` count from the run's start.

    >>> history = st.train.fit(model, loss_fn, optimizer, train_loader, val_loader, epochs=10,
    ...                        callbacks=[st.train.EarlyStopping(patience=2)])
    """
    trainer = Trainer(
        model, loss_fn, optimizer, metrics=metrics, callbacks=callbacks, scheduler=scheduler,
        scheduler_interval=scheduler_interval, target_loss=target_loss, grad_tol=grad_tol,
        terminate_on_nan=terminate_on_nan, progress=progress, config=config,
    )  # fmt: skip
    if resume is not None:
        trainer.load_checkpoint(resume)
    return trainer.fit(train_loader, val_loader, epochs=epochs, max_steps=max_steps)


def evaluate(
    model: Any, loss_fn: Any, loader: Any, metrics: Sequence[str | Metric] = ("accuracy",)
) -> dict[str, Any]:
    """``{"loss": mean loss, <metric>: value, ...}`` over ``loader`` (eval mode, no graph).

    The loss is the batch losses weighted by batch size (exact for a ``'mean'`` loss);
    ``loss_fn=None`` skips it.

    >>> st.train.evaluate(model, st.nn.CrossEntropyLoss(), test_loader)["accuracy"]
    """
    streams = [get_metric(m) for m in metrics]
    mean = Mean()
    was_training = getattr(model, "training", False)
    device = _model_device(model)
    model.eval()
    try:
        with no_grad():
            for batch in loader:
                x, y = split_batch(batch)
                x, y = _to(x, device), _to(y, device)
                out = model(x)
                if loss_fn is not None:
                    mean.update(float(loss_fn(out, y).item()), _size(x))
                for m in streams:
                    m.update(out, y)
    finally:
        model.train(was_training)
    result: dict[str, Any] = {"loss": mean.compute()} if loss_fn is not None else {}
    result.update({m.name: m.compute() for m in streams})
    return result


def predict(model: Any, data: Any, batch_size: int = 256) -> np.ndarray:
    """Outputs of ``model`` on ``data``, concatenated on the CPU as a NumPy array.

    ``data``: a loader (its batches' first field is the input), an array or a Tensor (cut
    into batches of ``batch_size``). Eval mode, no graph.

    >>> probs = st.train.predict(model, x_test).argmax(axis=1)
    """
    _positive_int("batch_size", batch_size)
    if isinstance(data, Tensor | np.ndarray) or hasattr(data, "__cuda_array_interface__"):
        array = data if isinstance(data, Tensor) else Tensor(data)
        batches: Iterable[Any] = (array[i : i + batch_size]
                                  for i in range(0, len(array), batch_size))
    else:
        batches = (split_batch(b)[0] for b in data)
    was_training = getattr(model, "training", False)
    device = _model_device(model)
    model.eval()
    outputs = []
    try:
        with no_grad():
            for x in batches:
                out = model(_to(x, device))
                outputs.append(to_device(out.data if isinstance(out, Tensor) else out, "cpu"))
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: no data")
    return np.concatenate(outputs)
