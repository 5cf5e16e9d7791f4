"""``steepest sweep --config base.toml --grid lr=[1e-3,1e-2] --grid batch_size=[64,128]``.

Every combination of the grid values, times ``--seeds`` seeds, is one trial: the base recipe
with those keys replaced, trained in its own run directory ``OUT/trials/NAME`` (config.toml,
metrics.csv, checkpoints). Trials run on ``--workers`` processes of this machine, or with
``--mpi`` on MPI ranks (``mpiexec -n N python -m mpi4py.futures -m steepest sweep ... --mpi``;
without a launcher ``--mpi`` starts one with ``--workers`` + 1 ranks). A trial that fails is
a row with its error; the others go on. Written: ``sweep.csv`` (one row per trial),
``sweep.md`` (the trials, and the mean and spread over seeds per configuration) and
``sweep.png`` (the metric against each swept value).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import math
import statistics
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes
from .config import TrainConfig
from .errors import UsageError


def add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    """The ``sweep`` subcommand (called from ``parser.build_parser``)."""
    p = sub.add_parser("sweep", help="train every combination of a grid of recipe values",
                       description="Train the base recipe once per combination of --grid "
                       "values (and seed); write sweep.csv, sweep.md and sweep.png.")
    p.add_argument("--config", default=None, metavar="FILE", help="the base recipe (TOML)")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=[V1,V2,...]",
                   help="a config key and its values as a TOML list (repeatable)")
    p.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 per combination")
    p.add_argument("--metric", default=None,
                   help="the column to compare (default val_accuracy, else val_loss)")
    p.add_argument("--out", default="sweep", metavar="DIR", help="default ./sweep")
    p.add_argument("--workers", type=int, default=2,
                   help="worker processes (0: in this process); with --mpi, ranks - 1")
    p.add_argument("--mpi", action="store_true", help="run trials on MPI ranks")


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """``["lr=[1e-3, 1e-2]", "batch-size=[64]"]`` -> ``{"lr": [...], "batch_size": [...]}``."""
    grid: dict[str, list[Any]] = {}
    known = TrainConfig.field_names()
    for text in items:
        key, sep, raw = text.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            raise UsageError(f"sweep: --grid expects KEY=[V1,V2,...], got {text!r}")
        if key not in known or key in ("out", "seed", "model_args"):
            raise UsageError(f"sweep: --grid {key!r} is not a recipe key to sweep; known: "
                             f"{', '.join(k for k in known if k not in ('out', 'model_args'))}")
        try:
            values = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"sweep: --grid {key}: {raw!r} is not a TOML list ({exc})") from None
        if not isinstance(values, list) or not values:
            raise UsageError(f"sweep: --grid {key}: expected a non-empty list like [1, 2]")
        if key in grid:
            raise UsageError(f"sweep: --grid {key} is given twice")
        grid[key] = values
    if not grid:
        raise UsageError("sweep: give at least one --grid KEY=[V1,V2,...]")
    return grid


def trial_name(values: dict[str, Any], seed: int) -> str:
    parts = [f"{k}={v}" for k, v in values.items()] + [f"seed={seed}"]
    return ",".join(parts).replace("/", "_").replace(" ", "")


def run_trial(job: dict[str, Any]) -> dict[str, Any]:
    """Train one trial (in a worker); a failure is returned as the record's ``error``."""
    from .train_cmd import build_session

    start = time.perf_counter()
    record: dict[str, Any] = {"name": job["name"], "error": None}
    try:
        cfg = TrainConfig.from_dict(job["config"]).validate()
        run_dir = Path(cfg.out)
        session = build_session(cfg, run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        cfg.save(run_dir / "config.toml")
        trainer = session.trainer
        trainer.fit(session.train_loader, session.val_loader, epochs=cfg.epochs)
        final = trainer.history.last()
        record.update({k: float(v) for k, v in final.items() if isinstance(v, int | float)})
        record["epochs"] = trainer.epoch
        if trainer.stop_reason == "nan":
            record["error"] = f"diverged: {trainer.stop_message}"
    except Exception as exc:  # a failed trial is a row of the table, not the end of the sweep
        record["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    record["seconds"] = round(time.perf_counter() - start, 3)
    return record


def sweep_command(args: argparse.Namespace, argv: list[str]) -> int:
    from ..distributed import pool

    if args.seeds < 1:
        raise UsageError(f"sweep: --seeds must be at least 1, got {args.seeds}")
    if args.workers < 0:
        raise UsageError(f"sweep: --workers must be >= 0, got {args.workers}")
    grid = parse_grid(args.grid)
    base = TrainConfig.load(args.config)
    base.validate()
    if args.mpi:
        from ..distributed import _comm
        from .distribute import run_ranks

        if not _comm.launched_by_mpi():  # start the pool: this command on workers + 1 ranks
            return run_ranks(max(1, args.workers) + 1, ["-m", "steepest", *argv],
                              runner="mpi4py.futures", threads=1)
        if _comm.rank() != 0:  # every rank runs this command: a plain -m mpi4py launch
            raise UsageError("--mpi: launch with `mpiexec -n N python -m mpi4py.futures -m "
                             "steepest ...` (rank 0 runs the command, the others the tasks)")
    out = Path(args.out)
    jobs = []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo, strict=True))
        for seed in range(args.seeds):
            name = trial_name(values, seed)
            cfg = {**base.to_dict(), **values, "seed": seed, "quiet": True,
                   "out": str(out / "trials" / name)}
            jobs.append({"name": name, "values": values, "seed": seed, "config": cfg})
    print(f"sweep: {len(jobs)} trials ({' x '.join(str(len(v)) for v in grid.values())} "
          f"x {args.seeds} seeds) -> {out}", file=sys.stderr)
    records: list[dict[str, Any] | None] = [None] * len(jobs)
    for done, (i, record) in enumerate(pool.pool_map(run_trial, jobs, args.workers, args.mpi),
                                       start=1):
        records[i] = record
        status = record["error"] or "ok"
        print(f"[{done}/{len(jobs)}] {record['name']}: {status} ({record['seconds']:.1f} s)",
              file=sys.stderr, flush=True)
    # the swept values last: a trial's own logs hold e.g. its final (scheduled) lr
    rows = [{**rec, **job["values"], "seed": job["seed"]}  # type: ignore[dict-item]
            for job, rec in zip(jobs, records, strict=True)]
    metric = args.metric or next((m for m in ("val_accuracy", "val_loss")
                                  if any(m in r for r in rows)), "loss")
    out.mkdir(parents=True, exist_ok=True)
    write_tables(out, rows, list(grid), metric)
    plot_sweep(out / "sweep.png", rows, grid, metric)
    failed = sum(1 for r in rows if r["error"])
    print(f"sweep: {len(rows) - failed} of {len(rows)} trials finished; "
          f"table: {out / 'sweep.md'}, {out / 'sweep.csv'}; plot: {out / 'sweep.png'}")
    return 1 if failed == len(rows) else 0


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return "" if value is None else str(value)


def write_tables(out: Path, rows: list[dict[str, Any]], keys: list[str], metric: str) -> None:
    """sweep.csv (every trial) and sweep.md (trials, then mean ± std over seeds)."""
    extra = [c for c in ("val_accuracy", "val_loss", "accuracy", "loss", "epochs", "seconds")
             if c != metric and any(c in r for r in rows)]
    columns = [*keys, "seed", metric, *extra, "error"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(out / "sweep.csv", buf.getvalue().encode())

    lines = [f"# Sweep: {metric}", "", "| " + " | ".join(columns) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_fmt(r.get(c)) for c in columns) + " |" for r in rows]
    lines += ["", f"## Mean over seeds of {metric}", "",
              "| " + " | ".join(keys) + f" | {metric} mean | std | trials ok |",
              "|" + "---|" * (len(keys) + 3)]
    groups: dict[tuple, list[float]] = {}
    for r in rows:
        group = groups.setdefault(tuple(r[k] for k in keys), [])
        if not r["error"] and metric in r:
            group.append(r[metric])
    for combo, vals in groups.items():
        mean = _fmt(statistics.fmean(vals)) if vals else "failed"
        std = _fmt(statistics.stdev(vals)) if len(vals) > 1 else ""
        lines.append("| " + " | ".join(map(str, combo)) + f" | {mean} | {std} | {len(vals)} |")
    atomic_write_bytes(out / "sweep.md", ("\n".join(lines) + "\n").encode())


def plot_sweep(path: Path, rows: list[dict[str, Any]], grid: dict[str, list[Any]],
               metric: str) -> None:
    """One panel per swept key: every finished trial as a dot, the mean per value as a line."""
    from .report import _pyplot

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(grid), figsize=(4.2 * len(grid), 3.6), dpi=110,
                             squeeze=False)
    for ax, (key, values) in zip(axes[0], grid.items(), strict=True):
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        xs = {v: (v if numeric else i) for i, v in enumerate(values)}
        means = []
        for v in values:
            ys = [r[metric] for r in rows if r[key] == v and not r["error"] and metric in r]
            ax.plot([xs[v]] * len(ys), ys, "o", color="tab:blue", alpha=0.5)
            means.append(statistics.fmean(ys) if ys else float("nan"))
        ax.plot([xs[v] for v in values], means, "-", color="tab:orange", label="mean")
        if numeric and min(values) > 0 and max(values) / min(values) >= 10:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        ax.set(xlabel=key, ylabel=metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
