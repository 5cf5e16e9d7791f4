"""ModelCheckpoint: keep the best and the last training state in a directory.

``last.safetensors`` is the full trainer state (model, optimizer, scheduler, RNG, loader
position, callbacks, history) after the latest epoch, or every ``every_n_steps`` steps, so a
killed run resumes from it exactly; ``best.safetensors`` is the state at the epoch with the
best ``monitor`` value. Each write is atomic (see ``checkpoint.py``) and a non-finite state
is never written.

>>> ckpt = st.train.ModelCheckpoint("runs/a/checkpoints", monitor="val_accuracy", every_n_steps=500)
>>> st.train.fit(model, loss_fn, opt, train_loader, val_loader, epochs=10, callbacks=[ckpt])
>>> st.train.fit(..., resume="runs/a/checkpoints/last.safetensors")   # after a crash
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any

from .callbacks import Callback, improved, monitored, resolve_mode
from .checkpoint import CheckpointError, is_finite_state


class ModelCheckpoint(Callback):
    """Save ``last`` (every epoch, and every ``every_n_steps`` steps) and ``best`` checkpoints.

    ``monitor`` defaults to ``val_loss`` with a validation loader and ``loss`` without.
    """

    order = 100  # last: the saved state includes what every other callback did this step

    def __init__(
        self,
        dirpath: str | Path,
        monitor: str | None = None,
        mode: str = "auto",
        save_best: bool = True,
        save_last: bool = True,
        every_n_steps: int | None = None,
        every_n_epochs: int = 1,
        best_name: str = "best.safetensors",
        last_name: str = "last.safetensors",
    ) -> None:
        for name, value in (("every_n_steps", every_n_steps), ("every_n_epochs", every_n_epochs)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise ValueError(f"ModelCheckpoint: {name} must be an int >= 1, got {value!r}")
        resolve_mode("x", mode)
        self.dirpath = Path(dirpath)
        self.monitor, self.mode = monitor, mode
        self.save_best, self.save_last = save_best, save_last
        self.every_n_steps, self.every_n_epochs = every_n_steps, every_n_epochs
        self.best_path, self.last_path = self.dirpath / best_name, self.dirpath / last_name
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.saved: list[tuple[str, int]] = []  # (path, step) of every write, for inspection

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.dirpath.mkdir(parents=True, exist_ok=True)
        for stale in self.dirpath.glob(".*.tmp"):  # temp files of a save that was killed
            if stale.name.startswith((f".{self.best_path.name}.", f".{self.last_path.name}.")):
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()
        t = self.trainer
        self._monitor = self.monitor or ("val_loss" if t.val_loader is not None else "loss")
        self._mode = resolve_mode(self._monitor, self.mode, t)
        self.best, self.best_epoch = None, None

    def _save(self, path: Path) -> bool:
        t = self.trainer
        if t.stop_reason == "nan":
            return False
        state = t.state_dict()
        if not is_finite_state(state["model"]):
            warnings.warn(f"ModelCheckpoint: {path} not written: the model has non-finite "
                          f"weights at step {t.step}", UserWarning, stacklevel=3)
            return False
        try:
            from .checkpoint import save_checkpoint

            save_checkpoint(path, state)
        except CheckpointError as e:  # e.g. a NaN in the optimizer state
            warnings.warn(f"ModelCheckpoint: {e}", UserWarning, stacklevel=3)
            return False
        self.saved.append((str(path), t.step))
        return True

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.save_last and self.every_n_steps and self.trainer.step % self.every_n_steps == 0:
            self._save(self.last_path)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        t = self.trainer
        if t.stop_reason == "nan":
            return
        if self.save_best:
            value = monitored(logs, self._monitor, "ModelCheckpoint")
            if improved(value, self.best, self._mode):
                self.best, self.best_epoch = value, epoch
                self._save(self.best_path)
        if self.save_last and ((epoch + 1) % self.every_n_epochs == 0 or t.stop_training
                               or t.epoch == t.epochs):
            self._save(self.last_path)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
