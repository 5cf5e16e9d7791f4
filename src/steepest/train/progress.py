"""ProgressBar: a tqdm bar per epoch with loss, metric, learning rate and samples/s.

On a terminal it draws the bar; when the output is not a terminal (a log file, CI) it prints
one summary line per epoch instead; ``quiet=True`` prints nothing.

>>> st.train.fit(model, loss_fn, opt, loader, epochs=3, callbacks=[st.train.ProgressBar()])
epoch 1/3: 100%|##########| 469/469 [00:04, loss=0.312, accuracy=0.911, lr=0.001, 14.2k samples/s]
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

from .._optional import available, missing
from .callbacks import Callback


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value == 0 or not math.isfinite(value) or 1e-3 <= abs(value) < 1e4:
            return f"{value:.4f}"
        return f"{value:.3g}"
    return str(value)


def _rate(samples: int, seconds: float) -> str:
    rate = samples / seconds if seconds > 0 else 0.0
    return f"{rate / 1000:.1f}k samples/s" if rate >= 1000 else f"{rate:.0f} samples/s"


class ProgressBar(Callback):
    """Show training progress; ``tty=None`` asks ``file.isatty()`` (``file``: stderr)."""

    order = 50

    def __init__(self, quiet: bool = False, file: TextIO | None = None, tty: bool | None = None
                 ) -> None:
        self.quiet, self.file, self.tty = quiet, file, tty
        self.bar: Any = None

    def _out(self) -> TextIO:
        return self.file if self.file is not None else sys.stderr

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        out = self._out()
        tty = self.tty if self.tty is not None else bool(getattr(out, "isatty", lambda: False)())
        if not self.quiet and tty and not available("tqdm"):
            missing("tqdm", "a plain line per epoch instead of a progress bar")
            tty = False
        self._bar_mode = not self.quiet and tty
        self._line_mode = not self.quiet and not tty

    def _open(self, done: int) -> None:
        from tqdm.auto import tqdm

        t = self.trainer
        self.bar = tqdm(total=t.steps_per_epoch, initial=done, file=self._out(),
                        desc=f"epoch {t.epoch + 1}/{t.epochs}", unit="batch", leave=True,
                        dynamic_ncols=True)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._t0, self._samples = time.perf_counter(), 0
        if self._bar_mode and self.bar is None:
            self._open(0)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not hasattr(self, "_t0"):  # resumed in the middle of an epoch
            self.on_epoch_begin(self.trainer.epoch)
        self._samples += int((logs or {}).get("size", 0))
        if not self._bar_mode:
            return
        if self.bar is None:  # resumed mid-epoch: the batch just trained is counted below
            self._open(self.trainer.batch_in_epoch - 1)
        now = time.perf_counter()
        if now - getattr(self, "_shown", 0.0) >= 0.1 or self.bar.n + 1 == self.bar.total:
            self._shown = now
            parts = [f"{k}={_fmt(v)}" for k, v in self._running().items()]
            parts.append(_rate(self._samples, now - self._t0))
            self.bar.set_postfix_str(", ".join(parts), refresh=False)
        self.bar.update(1)

    def _running(self) -> dict[str, Any]:
        t = self.trainer
        logs = {k: v for k, v in t.running_logs().items() if isinstance(v, float)}
        shown = dict(list(logs.items())[:2])  # the loss and the first metric
        lr = t.lr()
        if lr is not None:
            shown["lr"] = lr
        return shown

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        seconds = time.perf_counter() - getattr(self, "_t0", time.perf_counter())
        scalars = {k: v for k, v in (logs or {}).items() if isinstance(v, int | float)}
        if self.bar is not None:
            val = ", ".join(f"{k}={_fmt(v)}" for k, v in scalars.items() if k.startswith("val_"))
            if val:
                shown = f"{self.bar.postfix}, {val}" if self.bar.postfix else val
                self.bar.set_postfix_str(shown, refresh=False)
            self.bar.close()
            self.bar = None
        elif self._line_mode:
            body = "  ".join(f"{k} {_fmt(v)}" for k, v in scalars.items())
            rate = _rate(getattr(self, "_samples", 0), seconds)
            print(f"epoch {epoch + 1}/{self.trainer.epochs}  {body}  {rate}  {seconds:.1f}s",
                  file=self._out(), flush=True)
        self.__dict__.pop("_t0", None)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        msg = self.trainer.stop_message
        if msg and (self._bar_mode or self._line_mode):
            print(f"stopped: {msg}", file=self._out(), flush=True)
