"""The end of a run: the test split evaluated once, and the one-line divergence report.

The test split is never seen during training (validation is held out of the training data,
``--val-split``). When training ends, the weights of ``checkpoints/best.safetensors`` (the
epoch with the best validation value) are evaluated on it once; the result goes to the
console, to ``test_*`` columns on that epoch's row of ``metrics.csv``, to ``summary.md`` and
to ``run.json``. Without a best checkpoint (every epoch diverged) there is no test result.
"""

from __future__ import annotations

import contextlib
import csv
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Exit codes of `steepest train` / `resume` beyond 0 (success) and 2 (bad input).
EXIT_DIVERGED = 3  # the loss or a gradient became NaN/inf; the last good checkpoint is kept
EXIT_WRITE_FAILED = 4  # a file of the run could not be written (disk full, size limit, ...)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as a shell reports it)


@dataclass
class TestResult:
    """Loss and metrics on the test split, and which weights produced them."""

    checkpoint: str  # relative to the run directory
    epoch: int  # 1-based epoch whose weights were evaluated
    examples: int
    values: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"checkpoint": self.checkpoint, "epoch": self.epoch, "examples": self.examples,
                **self.values}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestResult:
        """The inverse of ``to_dict`` (run.json's ``test`` entry)."""
        info = ("checkpoint", "epoch", "examples")
        return cls(*(data[k] for k in info), {k: v for k, v in data.items() if k not in info})

    def line(self, metric: str) -> str:
        shown = [f"test {k} {v:.4f}" for k, v in self.values.items() if k == metric]
        shown += [f"test loss {self.values['loss']:.4f}"] if "loss" in self.values else []
        return (f"{', '.join(shown)} ({self.examples} test examples, {self.checkpoint} "
                f"from epoch {self.epoch})")


def evaluate_test(trainer: Any, test_loader: Any, run_dir: Path, best: Path) -> TestResult | None:
    """Load the best checkpoint's weights into the model and evaluate them on the test split."""
    from ..train import load_checkpoint

    path = run_dir / best
    if test_loader is None or not path.is_file():
        return None
    state = load_checkpoint(path)
    trainer.model.load_state_dict(state["model"])
    values = trainer.evaluate(test_loader)
    scalars = {k: float(v) for k, v in values.items()
               if isinstance(v, int | float) and not isinstance(v, bool)}
    result = TestResult(str(best), int(state["trainer"]["epoch"]), len(test_loader.dataset),
                        scalars)
    _add_columns(run_dir / "metrics.csv", result)
    return result


def _add_columns(path: Path, result: TestResult) -> None:
    """``test_*`` columns on the row of the evaluated epoch (0-based ``epoch`` column)."""
    from ..atomic import atomic_write_bytes

    if not path.is_file():
        return
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    keys = [f"test_{k}" for k in result.values]
    keep = [i for i, name in enumerate(header) if not name.startswith("test_")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header[i] for i in keep] + keys)
    for row in body:
        mine = row[0] == str(result.epoch - 1)
        writer.writerow([row[i] for i in keep]
                        + [repr(v) if mine else "" for v in result.values.values()])
    atomic_write_bytes(path, out.getvalue().encode())


def divergence_line(trainer: Any, cfg: Any, run_dir: Path, last: Path) -> str:
    """What diverged, when, what is kept and what to try, in one line."""
    what = (trainer.stop_message or "the loss became NaN or infinite").removeprefix(
        "TerminateOnNaN: ").split("; run under")[0]  # the anomaly hint is for library users
    kept = (f"kept the last good checkpoint {run_dir / last} (epoch {_epoch_of(run_dir / last)})"
            if (run_dir / last).is_file() else "no checkpoint was good enough to keep")
    tries = [f"a lower --lr (this run: {cfg.learning_rate:g})"]
    if cfg.clip_grad is None:
        tries.append("--clip-grad 1.0")
    return f"training diverged: {what}; {kept}; try {' or '.join(tries)}"


def write_failure_line(exc: OSError, run_dir: Path, last: Path) -> str:
    """A failed write in one line, and what is still on disk (every write is atomic)."""
    what = exc.strerror or str(exc)
    where = f" {exc.filename}" if exc.filename else f" in {run_dir}"
    kept = (f"the previous checkpoint {run_dir / last} is intact (epoch {_epoch_of(run_dir / last)}"
            f"); `steepest resume {run_dir}` continues from it" if (run_dir / last).is_file()
            else "no checkpoint was written yet")
    return f"could not save{where}: {what}; {kept}"


def _epoch_of(path: Path) -> str:
    from ..train import CheckpointError, load_checkpoint

    try:
        state = load_checkpoint(path)
    except CheckpointError:
        return "?"
    t = state["trainer"]
    return f"{t['epoch']}" + (f", batch {t['batch_in_epoch']}" if t["batch_in_epoch"] else "")


@contextlib.contextmanager
def divergence_warnings_held() -> Iterator[list[Any]]:
    """Hold back the warnings a diverging run raises (NumPy overflow/invalid, TerminateOnNaN)
    while the block runs; every other warning is shown at once. The caller shows the held
    ones (``show``) unless the run diverged, when its one-line report says the same."""
    held: list[Any] = []
    show = warnings.showwarning

    def route(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        if issubclass(category, RuntimeWarning) or str(message).startswith("TerminateOnNaN"):
            held.append((message, category, args, kwargs))
        else:
            show(message, category, *args, **kwargs)

    warnings.showwarning = route
    try:
        yield held
    finally:
        warnings.showwarning = show


def show(held: list[Any]) -> None:
    """Show warnings held by ``divergence_warnings_held``."""
    for message, category, args, kwargs in held:
        warnings.showwarning(message, category, *args, **kwargs)
