"""``steepest train`` and ``steepest resume``: one run directory, trained and reported.

A run directory holds ``config.toml``, ``metrics.csv``, ``log.jsonl`` (batch losses),
``checkpoints/{last,best}.safetensors``, ``loss.png``, ``accuracy.png`` (``mae.png`` for an
autoencoder), ``summary.md`` and ``run.json`` (command lines and time spent). ``resume``
rebuilds every object from ``config.toml`` and continues from ``last.safetensors`` exactly
where the run stopped, to the configured number of epochs (or ``--epochs``).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import distributed
from ..atomic import atomic_write_bytes
from .build import (
    build_loss,
    build_model,
    build_optimizer,
    build_scheduler,
    check_device,
    metric_name,
    task_of,
)
from .config import TrainConfig
from .data import loaders, val_loader
from .distribute import distribute
from .errors import UsageError
from .generative import (
    ResetState,
    choose_batch_size,
    prepare_for,
    stateful_loader,
    write_pictures,
)
from .outcome import (
    EXIT_DIVERGED,
    EXIT_INTERRUPTED,
    EXIT_WRITE_FAILED,
    TestResult,
    divergence_line,
    divergence_warnings_held,
    evaluate_test,
    show,
    write_failure_line,
)

LAST = Path("checkpoints") / "last.safetensors"
BEST = Path("checkpoints") / "best.safetensors"


@dataclass
class Session:
    """Everything built from a config: ready to ``trainer.fit``."""

    cfg: TrainConfig
    run_dir: Path
    trainer: Any
    train_loader: Any
    test_loader: Any  # evaluated once, after training
    metric: str
    task: str = "classify"
    data: Any = None
    val_loader: Any = None  # held out of the training data: early stopping, best, plots
    batch_why: str | None = None  # how an "auto" batch was chosen (None: the batch was given)


def default_run_dir(cfg: TrainConfig) -> Path:
    stem = Path(cfg.dataset).stem if cfg.dataset.endswith(".npz") else cfg.dataset
    if cfg.text:
        stem = Path(cfg.text).stem
    return Path("runs") / f"{stem}-{cfg.model}-{datetime.now():%Y%m%d-%H%M%S}"


def build_session(cfg: TrainConfig, run_dir: Path) -> Session:
    """Data, model, optimizer, scheduler, callbacks and the Trainer, all from ``cfg``."""
    from .. import train

    task = task_of(cfg)
    device = check_device(cfg)  # before the data: a missing GPU is reported at once
    data = prepare_for(cfg, task)
    batch_why = choose_batch_size(cfg, data)  # "auto" becomes a number before anything uses it
    model = build_model(cfg, data).to(device)  # before the optimizer, which keeps the arrays
    train_loader, test_loader = loaders(data, cfg.batch_size, cfg.seed)
    val = val_loader(data, cfg.batch_size)
    stateful = getattr(model, "stateful", False)
    if stateful:  # carried state: rows of consecutive batches continue each other, unshuffled
        train_loader = stateful_loader(data, cfg.batch_size)
    if task == "gan":  # two players, two optimizers (and schedulers), no test loss
        optimizer = train.OptimizerPair(build_optimizer(cfg, model.G),
                                        build_optimizer(cfg, model.D))
        (s_g, interval), (s_d, _) = (build_scheduler(cfg, o, len(train_loader))
                                     for o in (optimizer.g, optimizer.d))
        scheduler = train.SchedulerPair(s_g, s_d) if s_g is not None else None
        test_loader = val = None
    else:
        optimizer = build_optimizer(cfg, model)
        scheduler, interval = build_scheduler(cfg, optimizer, len(train_loader))
    loss_fn, metrics = build_loss(task)
    metric = metric_name(metrics[0])
    monitor = {"classify": f"val_{metric}", "gan": "loss"}.get(task, "val_loss")
    if val is None:
        monitor = monitor.removeprefix("val_")  # --val-split 0: the training value
    callbacks: list[Any] = [
        train.ProgressBar(quiet=cfg.quiet),
        train.CSVLogger(run_dir / "metrics.csv"),
        train.JSONLinesLogger(run_dir / "log.jsonl",
                              every_n_steps=max(1, len(train_loader) // 50)),
        # also a few times per long epoch, so a killed run loses minutes, not an epoch
        train.ModelCheckpoint(run_dir / "checkpoints",
                              monitor=monitor,
                              every_n_steps=max(100, len(train_loader) // 4)),
    ]
    if stateful:
        callbacks.append(ResetState())
    if cfg.patience is not None:
        callbacks.append(train.EarlyStopping(patience=cfg.patience, restore_best_weights=True))
    if cfg.grad_stats:  # about 100 records per run: enough for the picture, cheap per step
        every = max(1, cfg.epochs * len(train_loader) // 100)
        callbacks.append(train.GradientStats(every, path=run_dir / "grad_stats.jsonl",
                                             plot=run_dir / "gradient-flow.png"))  # fmt: skip
    side = data.input_shape[1:] if len(data.input_shape) == 3 else None
    if task in ("vae", "gan") and data.input_shape[0] == 1 and side is not None \
            and _can_draw():
        callbacks.append(train.SampleImages(run_dir / "samples", side))  # one grid per epoch
    common = {"metrics": metrics, "callbacks": callbacks, "scheduler": scheduler,
              "scheduler_interval": interval, "config": cfg.to_dict()}
    if task == "gan":
        trainer = train.GANTrainer(model, optimizer.g, optimizer.d, **common)
    else:
        trainer = train.Trainer(model, loss_fn, optimizer, **common)
    session = Session(cfg, run_dir, trainer, train_loader, test_loader, metric, task, data, val,
                      batch_why)
    return distribute(session)  # under MPI: shards, gradient averaging, rank 0 writes


def _run(session: Session, command: str, previous_seconds: float = 0.0) -> int:
    """Fit, evaluate the test split once, write the plots and summary.md; the exit code."""
    cfg, run_dir, trainer = session.cfg, session.run_dir, session.trainer
    if not distributed.is_main():  # rank 0 alone prints, writes and evaluates the test split
        return _run_quietly(session)
    log = _RunLog(run_dir / "run.json")
    log.start(command)
    if session.batch_why is not None:
        print(f"batch {cfg.batch_size} ({session.batch_why})")
        log.record_batch(cfg.batch_size, session.batch_why)
    start = time.perf_counter()
    try:
        with divergence_warnings_held() as held:
            trainer.fit(session.train_loader, session.val_loader, epochs=cfg.epochs)
    except KeyboardInterrupt:
        log.stop(time.perf_counter() - start)
        print(f"\ninterrupted; continue with: steepest resume {run_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # a full disk, a file-size limit: writes are atomic, nothing is torn
        print(f"steepest: {write_failure_line(exc, run_dir, LAST)}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    seconds = time.perf_counter() - start
    log.stop(seconds)
    diverged = trainer.stop_reason == "nan"
    if not diverged:
        show(held)
    test = None if diverged else evaluate_test(trainer, session.test_loader, run_dir, BEST)
    log.record_test(test)
    try:
        plots, extra = report(session, previous_seconds + seconds, command, test)
    except KeyboardInterrupt:
        print(f"\ninterrupted while drawing the plots; `steepest resume {run_dir}` draws them",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if diverged:
        print(f"steepest: {divergence_line(trainer, cfg, run_dir, LAST)}", file=sys.stderr)
        return EXIT_DIVERGED
    final, metric = trainer.history.last(), session.metric
    val = [f"validation {metric} {final[f'val_{metric}']:.4f}"] \
        if f"val_{metric}" in final else []
    if test is not None:
        print(test.line(metric))
    else:  # no test split (a GAN): the last epoch's training losses
        val += [f"{k} {final[k]:.4f}" for k in ("d_loss", "g_loss", "loss") if k in final]
    done = trainer.epoch
    print(f"{', '.join(val)}{'; ' if val else ''}{done} epoch{'s' * (done != 1)} in "
          f"{seconds:.1f} s")
    print(f"run: {run_dir}   plots: {', '.join(str(p) for p in plots) or 'none'}")
    for path in extra:
        if path.suffix == ".txt":
            print(f"generated text: {path}")
    return 0


def _run_quietly(session: Session) -> int:
    """A rank other than 0: train (in step with rank 0) and report only through the exit code."""
    trainer = session.trainer
    with divergence_warnings_held():
        trainer.fit(session.train_loader, session.val_loader, epochs=session.cfg.epochs)
    return EXIT_DIVERGED if trainer.stop_reason == "nan" else 0


def report(session: Session, seconds: float, command: str,
           test: TestResult | None) -> tuple[list[Path], list[Path]]:
    """Plots, generated pictures/text and summary.md; ``(plots, other files)``."""
    from .report import plot_run, write_summary

    cfg, run_dir, trainer = session.cfg, session.run_dir, session.trainer
    plots = plot_run(run_dir, session.metric, len(session.train_loader))
    extra = []
    drawable = session.task == "language_model" or _can_draw()
    if session.task != "classify" and trainer.stop_reason != "nan" and drawable:
        extra = write_pictures(session.task, trainer.model, session.data, run_dir)
    plots += [p for p in extra if p.suffix == ".png"]
    val = session.val_loader
    why = session.batch_why or _RunLog(run_dir / "run.json").batch_why(cfg.batch_size)
    write_summary(run_dir, command=command, cfg=cfg.to_dict(), final=trainer.history.last(),
                  seconds=seconds, params=trainer.model.num_parameters(),
                  epochs_done=trainer.epoch, stop=trainer.stop_message, plots=plots,
                  val_examples=len(val.dataset) if val is not None else 0,
                  test=test.to_dict() if test is not None else None,
                  batch_why=why)
    return plots, extra


def _can_draw() -> bool:
    """matplotlib is there; otherwise one line says the pictures are skipped."""
    from .._optional import available, missing

    if available("matplotlib"):
        return True
    missing("matplotlib", "no plots or sample images drawn")
    return False


class _RunLog:
    """run.json: every command that worked on this run directory and the seconds it took."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = json.loads(path.read_text()) if path.is_file() else {"sessions": []}

    @property
    def seconds(self) -> float:
        return sum(s.get("seconds") or 0.0 for s in self.data["sessions"])

    def start(self, command: str) -> None:
        self.data["sessions"].append({"command": command, "started": datetime.now().isoformat(
            timespec="seconds"), "seconds": None})
        self._write()

    def stop(self, seconds: float) -> None:
        self.data["sessions"][-1]["seconds"] = round(seconds, 3)
        self._write()

    def record_batch(self, size: int, why: str) -> None:
        """The batch size a run chose for itself (``batch_size = "auto"``), and why."""
        self.data["batch_size"] = {"value": size, "why": why}
        self._write()

    def batch_why(self, size: int | str) -> str | None:
        """Why the run has batch ``size``, if it chose it itself (a resumed run)."""
        record = self.data.get("batch_size")
        if isinstance(record, dict) and record.get("value") == size:
            return record.get("why")
        return None

    def record_test(self, test: TestResult | None) -> None:
        """The latest test-split result (a resumed run replaces it)."""
        if test is not None:
            self.data["test"] = test.to_dict()
            self._write()

    def _write(self) -> None:
        atomic_write_bytes(self.path, (json.dumps(self.data, indent=1) + "\n").encode())


def train_command(cfg: TrainConfig, command: str) -> int:
    cfg.validate()
    run_dir = Path(cfg.out) if cfg.out else default_run_dir(cfg)
    run_dir = Path(distributed.broadcast_text(str(run_dir)))  # ranks' clocks may differ by 1 s
    if (run_dir / LAST).exists():
        raise UsageError(f"{run_dir} already holds a run; continue it with `steepest resume "
                         f"{run_dir}` or pick another --out")
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"--out {run_dir} is a file; give a directory for the run")
    session = build_session(cfg, run_dir)  # every input checked before anything is written
    if distributed.is_main():  # the other ranks write nothing
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            cfg.save(run_dir / "config.toml")
        except OSError as exc:  # read-only, no permission, a file in the path, disk full
            raise UsageError(f"cannot write the run directory {run_dir}: "
                             f"{exc.strerror or exc}") from None
    return _run(session, command)


def load_run_config(run_dir: Path) -> TrainConfig:
    path = run_dir / "config.toml"
    if not run_dir.is_dir():
        raise UsageError(f"run directory {run_dir} does not exist")
    if not path.is_file():
        raise UsageError(f"{run_dir} is not a run directory (no config.toml)")
    return TrainConfig.load(path)


# Schedules planned over the run's length: ``resume --epochs N`` re-plans them over N epochs.
REPLANNED = ("cosine", "onecycle", "step")
_COUNTERS = ("last_epoch", "_step_count")  # where a schedule is; everything else is its plan


def _replan(state: dict[str, Any], fresh: Any) -> None:
    """Give the checkpoint's scheduler the plan of ``fresh`` (built for the new number of
    epochs) and keep only its position, so from here on the lr is what a run planned for
    that many epochs has at this step."""
    old = state.get("scheduler")
    if not hasattr(fresh, "lr_at") or not isinstance(old, dict):  # none, or a GAN's pair
        return
    plan = fresh.state_dict()
    state["scheduler"] = {**plan, **{k: old[k] for k in _COUNTERS if k in old and k in plan}}


def _load_for_resume(session: Session, path: Path, extended: bool) -> None:
    """Load ``last.safetensors`` into the session's trainer; every failure is one line."""
    from ..train import CheckpointError, load_checkpoint

    trainer, cfg = session.trainer, session.cfg
    try:
        state = load_checkpoint(path)
        if extended and cfg.scheduler in REPLANNED:
            _replan(state, trainer.scheduler)
        trainer.load_state_dict(state)
    except CheckpointError as exc:
        raise UsageError(str(exc)) from None
    except (KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a complete trainer checkpoint ({exc!r})") from None
    except ValueError as exc:  # the model built from config.toml does not fit the weights
        recorded = (state.get("config") or {}).get("model") if isinstance(state, dict) else None
        was = f"; the checkpoint was trained as model {recorded!r}" if recorded else ""
        raise UsageError(f"{path} does not fit the model of {session.run_dir / 'config.toml'} "
                         f"({cfg.model!r}{was}): {exc}") from None
    sched = trainer.scheduler
    if extended and cfg.scheduler in REPLANNED and hasattr(sched, "lr_at"):
        # the next batch already trains with the new plan's lr
        lrs = sched.lr_at(sched.last_epoch)
        for group, lr in zip(trainer.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr


def resume_command(run_dir: Path, epochs: int | None, quiet: bool | None, command: str) -> int:
    """Continue a run from ``last.safetensors``. ``--epochs N`` beyond the run's own re-plans
    a cosine, one-cycle or step schedule over N epochs (see docs/training.md)."""
    cfg = load_run_config(run_dir)
    extended = epochs is not None and epochs != cfg.epochs
    if epochs is not None:
        cfg.epochs = epochs
    if quiet is not None:
        cfg.quiet = quiet
    cfg.out = str(run_dir)
    cfg.validate()
    if not (run_dir / LAST).is_file():
        raise UsageError(f"{run_dir} has no checkpoint to resume from ({LAST} is missing)")
    session = build_session(cfg, run_dir)
    _load_for_resume(session, run_dir / LAST, extended)
    done = session.trainer.epoch
    if done >= cfg.epochs and session.trainer.batch_in_epoch == 0:
        print(f"{run_dir} already finished {done} of {cfg.epochs} epochs; pass --epochs to train "
              "further")
        if not (run_dir / "loss.png").is_file():  # e.g. Ctrl-C while they were drawn
            log = _RunLog(run_dir / "run.json")
            test = log.data.get("test")
            report(session, log.seconds, command, TestResult.from_dict(test) if test else None)
            print(f"drew the plots of {run_dir}")
        return 0
    if distributed.is_main():
        cfg.save(run_dir / "config.toml")
    return _run(session, command, previous_seconds=_RunLog(run_dir / "run.json").seconds)
