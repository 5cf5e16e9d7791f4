"""``steepest study NAME|all [--quick] [--seeds N] [--out DIR] [--workers N]``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .errors import UsageError


def add_study_parser(sub: argparse._SubParsersAction) -> None:
    """The ``study`` subcommand (called from ``parser.build_parser``)."""
    from ..studies import STUDIES

    p = sub.add_parser("study", help="run a study of a training claim; writes a report",
                       description="Run studies (or 'all') and write Markdown + PNG + JSON "
                       f"reports. Studies: {', '.join(STUDIES)}.")
    p.add_argument("names", nargs="+", metavar="NAME", help="a study name, or all")
    p.add_argument("--quick", action="store_true",
                   help="reduced sizes and seeds (all studies: 112 s on 2 busy cores)")
    p.add_argument("--level", choices=("tiny", "quick", "full"), default=None,
                   help="size level; --quick means quick, the default is full")
    p.add_argument("--seeds", type=int, default=None,
                   help="seeds per configuration (default 2 quick, 3 full)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output directory (default studies-LEVEL); holds the run cache")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: min(2, cores); 0 runs in this process)")
    p.add_argument("--mpi", action="store_true",
                   help="run the configurations on MPI ranks (mpi4py.futures); without a "
                   "launcher, starts --workers + 1 ranks on this machine")
    p.add_argument("--data", choices=("mnist", "synthetic"), default="mnist",
                   help="mnist (cached copy), or synthetic fake digits that need no download")


def study_command(args: argparse.Namespace, command: str, argv: list[str] | None = None) -> int:
    from ..studies import STUDIES, Context, run_studies

    names = list(STUDIES) if args.names == ["all"] else args.names
    unknown = [n for n in names if n not in STUDIES]
    if unknown:
        raise UsageError(f"study: unknown study {unknown[0]!r}; known: all, {', '.join(STUDIES)}")
    if args.quick and args.level not in (None, "quick"):
        raise UsageError(f"study: --quick contradicts --level {args.level}")
    level = args.level or ("quick" if args.quick else "full")
    seeds = args.seeds if args.seeds is not None else {"tiny": 1, "quick": 2, "full": 3}[level]
    if seeds < 1:
        raise UsageError(f"study: --seeds must be at least 1, got {seeds}")
    workers = args.workers if args.workers is not None else min(2, os.cpu_count() or 1)
    if workers < 0:
        raise UsageError(f"study: --workers must be >= 0, got {workers}")
    if args.mpi:
        from ..distributed import _comm, pool
        from .distribute import run_ranks

        if not _comm.launched_by_mpi():  # start the pool: this command on workers + 1 ranks
            return run_ranks(max(1, workers) + 1, ["-m", "steepest", *(argv or [])],
                              runner="mpi4py.futures", threads=1)
        if _comm.rank() != 0:  # every rank runs this command: a plain -m mpi4py launch
            raise UsageError("--mpi: launch with `mpiexec -n N python -m mpi4py.futures -m "
                             "steepest ...` (rank 0 runs the command, the others the tasks)")
        workers = pool.pool_size()
    out = Path(args.out or f"studies-{level}")
    ctx = Context(level=level, data=args.data, seeds=seeds, out=out)
    path = run_studies(names, ctx, workers=workers, command=command, mpi=args.mpi)
    print(f"report: {path}")
    return 0
