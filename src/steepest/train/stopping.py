r"""Stopping criteria, as callbacks: early stopping, a target loss, a gradient-norm tolerance and
termination on NaN. (The step and epoch limits are the trainer's ``max_steps`` and ``epochs``.)

=====================  ===================================================================
EarlyStopping          stop when ``monitor`` has not improved by more than ``min_delta`` for
                       ``patience`` epochs; optionally restore the best weights at the end
TargetLoss             stop once the loss reaches :math:`L \le L^*`
GradNormTolerance      stop once :math:`\|\nabla L\|_2 < \varepsilon` (converged: the first-order
                       condition of a minimum, checked on each step's gradient)
TerminateOnNaN         stop in the step where the loss or the gradient stops being finite
=====================  ===================================================================

>>> stop = st.train.EarlyStopping("val_loss", patience=3, restore_best_weights=True)
>>> st.train.fit(model, loss_fn, opt, train_loader, val_loader, epochs=50, callbacks=[stop])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .callbacks import Callback, improved, monitored, resolve_mode


class EarlyStopping(Callback):
    """Stop when ``monitor`` stops improving.

    After each epoch the monitored value counts as an improvement if it beats the best so far
    by more than ``min_delta`` (lower for ``mode='min'``, higher for ``'max'``; ``'auto'``
    picks from the metric). ``patience`` epochs in a row without one stop training. With
    ``restore_best_weights`` the model gets back the weights of the best epoch when training
    ends (those weights are kept in the checkpoint, so a resumed run restores them too).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        baseline: float | None = None,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        resolve_mode(monitor, mode)  # validates mode
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.mode, self.restore_best_weights, self.baseline = mode, restore_best_weights, baseline
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = self.baseline
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, Any] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()
        self._mode = resolve_mode(self.monitor, self.mode, self.trainer)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.trainer.stop_reason == "nan":
            return
        value = monitored(logs, self.monitor, "EarlyStopping")
        if improved(value, self.best, self._mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.trainer.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            best = ("none yet" if self.best is None  # 1-based epochs, as the progress bar counts
                    else f"{self.best:.6g} at epoch {self.best_epoch + 1}")
            self.trainer.stop("early_stopping", f"early stopping at epoch {epoch + 1}: "
                              f"{self.monitor} "
                              f"did not improve for {self.wait} epoch(s) (best {best})")

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.stopped_epoch, self.best_weights = state["stopped_epoch"], state["best_weights"]


class TargetLoss(Callback):
    """Stop once ``monitor`` is at or below ``target``: the epoch mean (``per='epoch'``) or each
    batch's loss (``per='step'``, monitor ``'loss'`` only)."""

    def __init__(self, target: float, monitor: str = "loss", per: str = "epoch") -> None:
        if per not in ("epoch", "step"):
            raise ValueError(f"TargetLoss: per must be 'epoch' or 'step', got {per!r}")
        if per == "step" and monitor != "loss":
            raise ValueError("TargetLoss: per='step' watches the batch loss; use monitor='loss'")
        if not math.isfinite(target):
            raise ValueError(f"TargetLoss: target must be a finite number, got {target!r}")
        self.target, self.monitor, self.per = float(target), monitor, per

    def _check(self, value: float, where: str) -> None:
        if value <= self.target:
            self.trainer.stop("target_loss", f"target reached {where}: {self.monitor} "
                              f"{value:.6g} <= {self.target:.6g}")

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.per == "step":
            self._check(float(logs["loss"]), f"at step {self.trainer.step}")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.per == "epoch":
            self._check(monitored(logs, self.monitor, "TargetLoss"), f"at epoch {epoch}")


class GradNormTolerance(Callback):
    """Stop once the global gradient norm of a step is below ``tol`` (convergence).

    The norm is :math:`\\sqrt{\\sum_p \\|g_p\\|^2}` over the model's parameters, on the raw
    gradient of the step (before any clipping or weight decay the optimizer applies).
    """

    def __init__(self, tol: float) -> None:
        if not tol > 0:
            raise ValueError(f"GradNormTolerance: tol must be > 0, got {tol!r}")
        self.tol = float(tol)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        norm = self.trainer.grad_norm()
        if norm < self.tol:
            self.trainer.stop("grad_tol", f"converged at step {self.trainer.step}: gradient "
                              f"norm {norm:.3g} < {self.tol:.3g}")


class TerminateOnNaN(Callback):
    """Stop in the step where the loss (or, with ``check_grads``, the gradient) is NaN or inf.

    Training ends at once; no checkpoint is written from a non-finite state (ModelCheckpoint
    skips it, and ``save_checkpoint`` refuses non-finite arrays). Under
    ``st.autograd.detect_anomaly()`` the engine raises in the op that first produced the
    non-finite value; this callback turns that into a clean stop whose message names the op
    (``trainer.stop_message``, also given as a warning).
    """

    order = -10  # before loggers and checkpoints see the step

    def __init__(self, check_grads: bool = True) -> None:
        self.check_grads = check_grads

    def _stop(self, what: str, batch: int, step: int, hint: str = "") -> None:
        t = self.trainer
        # epoch and batch 1-based, as the progress bar counts them
        message = (f"TerminateOnNaN: {what} in step {step} (epoch {t.epoch + 1}, batch "
                   f"{batch + 1}){hint}")
        t.stop("nan", message)
        warnings.warn(message, UserWarning, stacklevel=2)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = float(logs["loss"]) if logs else float("nan")
        hint = "; run under st.autograd.detect_anomaly() to name the op that produced it"
        if not math.isfinite(loss):
            self._stop(f"loss is {loss}", batch, self.trainer.step, hint)
        elif self.check_grads and not math.isfinite(self.trainer.grad_norm()):
            self._stop(f"gradient norm is {self.trainer.grad_norm()}", batch, self.trainer.step,
                       hint)

    def on_nonfinite(self, batch: int, error: FloatingPointError) -> None:
        self._stop(str(error), batch, self.trainer.step + 1, "; no update applied")
