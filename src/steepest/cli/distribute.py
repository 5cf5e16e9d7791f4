"""What ``steepest train``/``resume`` change when they run as N ranks, and ``--processes``.

``distribute(session)`` (a no-op in one process):

* the optimizer averages gradients over ranks (``DistributedOptimizer``, the model's buffers
  broadcast from rank 0 after each step);
* the training loader yields this rank's share of each *global* batch (``--batch-size`` is
  the global batch, so a recipe means the same at any process count); the validation loader
  is sharded too, each rank evaluating its share; the test split is evaluated once, by rank 0;
* epoch metrics are reduced over ranks (``ReduceMetrics``: means weighted by examples), so
  every rank, early stopping and the logs see the same numbers;
* only rank 0 prints and writes (progress bar, metrics.csv, log.jsonl, checkpoints, samples).

``relaunch(n, argv)``: the command again as ``n`` ranks through ``mpiexec`` (see
``steepest.distributed.launch``).
"""

from __future__ import annotations

from typing import Any

from ..distributed import _comm, launch
from ..distributed.callbacks import ReduceMetrics
from ..distributed.ddp import DistributedOptimizer
from ..distributed.sampler import ShardedLoader
from ..train.callbacks import CallbackList
from .errors import UsageError

# Callbacks that write files or the terminal: rank 0's alone.
_WRITERS = ("ProgressBar", "CSVLogger", "JSONLinesLogger", "ModelCheckpoint", "SampleImages",
            "TensorBoardLogger", "GradientStats")


def distribute(session: Any) -> Any:
    """Make a ``train_cmd.Session`` train as this rank of the MPI world (in place)."""
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
    if session.val_loader is not None:
        session.val_loader = ShardedLoader(session.val_loader, drop_small_last=False)
        val_count = session.val_loader.num_examples()
    main = _comm.is_main()
    kept = [cb for cb in trainer.callbacks if main or type(cb).__name__ not in _WRITERS]
    reduce = ReduceMetrics(val_count, session.train_loader)
    trainer.callbacks = CallbackList([*kept, reduce], trainer=trainer)
    return session


def relaunch(n: int, argv: list[str]) -> int | None:
    """``steepest ARGV`` with ``--processes N``: run it as N ranks and return the exit code;
    None when this process already is a rank (the flag is then ignored)."""
    if _comm.launched_by_mpi():
        return None
    if n < 1:
        raise UsageError(f"--processes must be at least 1, got {n}")
    rest, skip = [], False
    for token in argv:  # the ranks get the same command without --processes
        if skip:
            skip = False
        elif token == "--processes":
            skip = True
        elif not token.startswith("--processes="):
            rest.append(token)
    return run_ranks(n, ["-m", "steepest", *rest])


def run_ranks(n: int, program: list[str], runner: str = "mpi4py",
              threads: int | None = None) -> int:
    """``launch.run`` with a missing MPI installation as one line (exit code 2)."""
    try:
        return launch.run(n, program, runner, threads)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
