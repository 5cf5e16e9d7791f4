"""Run study configurations in worker processes, cached by a hash of each configuration.

A job is ``(study, config)``. Its key is the SHA-256 of the canonical JSON of
``{"study", "config", "version"}``; a finished job is written atomically to
``OUT/cache/STUDY/KEY.json``, so an interrupted study resumes where it stopped and a
changed configuration (or a new ``CACHE_VERSION``) is run afresh.

Workers are ``spawn`` processes (safe on every platform, no inherited BLAS threads) started
with ``OPENBLAS_NUM_THREADS=1``: on a small shared machine, one BLAS thread per process is
both faster and fairer than threads fighting over cores.

>>> ctx = Context(level="tiny", data="synthetic", seeds=1, out=Path("out"))
>>> results = run_jobs([("epochs", cfg) for cfg in cfgs], ctx.out, workers=2)
"""

from __future__ import annotations

import hashlib
import importlib
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes

CACHE_VERSION = 1


@dataclass
class Context:
    """What a study needs to choose its configurations: size level, data, seeds, output."""

    level: str = "quick"  # tiny (tests), quick (<= 3 min for all), full (~1 h for all)
    data: str = "mnist"  # mnist, or synthetic (a fake digit set that needs no download)
    seeds: int = 3
    out: Path = field(default_factory=lambda: Path("studies"))

    def pick(self, tiny: Any, quick: Any, full: Any) -> Any:
        """One value per level: ``ctx.pick(tiny=200, quick=2000, full=20000)``."""
        return {"tiny": tiny, "quick": quick, "full": full}[self.level]

    def seed_list(self, full_default: int | None = None) -> list[int]:
        """Seeds 0..n-1; ``seeds`` from the command line, at most ``full_default`` if given."""
        n = self.seeds if full_default is None else min(self.seeds, full_default)
        return list(range(max(1, n)))


def config_key(study: str, config: dict[str, Any]) -> str:
    """16 hex digits of SHA-256 over the canonical JSON of the study name and its config."""
    text = json.dumps({"study": study, "config": config, "version": CACHE_VERSION},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_path(out: Path, study: str, config: dict[str, Any]) -> Path:
    return Path(out) / "cache" / study / f"{config_key(study, config)}.json"


def read_cached(out: Path, study: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """The stored record of a finished job, or None (missing or unreadable: run it again)."""
    path = cache_path(out, study, config)
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("config") == config else None


def write_cached(out: Path, study: str, config: dict[str, Any], record: dict[str, Any]) -> None:
    """Atomic write: a killed run leaves either the old file or the new one, never half."""
    atomic_write_bytes(cache_path(out, study, config), json.dumps(record, sort_keys=True).encode())


def execute(job: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Run one job in this process: import ``steepest.studies.STUDY`` and call its ``run``."""
    study, config = job
    module = importlib.import_module(f"steepest.studies.{study}")
    start = time.perf_counter()
    result = module.run(config)
    return study, config, {"config": config, "result": result,
                           "wall_s": time.perf_counter() - start,
                           "load_avg_1min": os.getloadavg()[0]}  # how busy the machine was


def _init_worker() -> None:
    import warnings

    # Divergence is measured, not an error: overflow in a diverging run is expected.
    warnings.simplefilter("ignore", RuntimeWarning)


def _execute_quietly(job: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any], dict]:
    _init_worker()
    return execute(job)


def run_jobs(jobs: Sequence[tuple[str, dict[str, Any]]], out: Path, workers: int = 1,
             progress: bool = True, mpi: bool = False) -> list[dict[str, Any]]:
    """Records for ``jobs`` in their order; cached ones are read, the rest run.

    ``workers=0`` runs in this process (for debugging); ``workers >= 1`` uses that many
    spawn processes with single-threaded BLAS; ``mpi=True`` the ranks of an MPI pool
    (``steepest.distributed.pool``: launched under ``python -m mpi4py.futures``).
    """
    records: dict[int, dict[str, Any]] = {}
    todo: list[int] = []
    same: dict[str, list[int]] = {}  # key -> every job index with that config (run once)
    for i, (study, config) in enumerate(jobs):
        key = config_key(study, config)
        if key in same:
            same[key].append(i)
            continue
        same[key] = [i]
        cached = read_cached(out, study, config)
        if cached is not None:
            records[i] = cached
        else:
            todo.append(i)
    total, done, start = len(jobs), len(records), time.perf_counter()

    def report(study: str, record: dict[str, Any]) -> None:
        if progress:
            elapsed = time.perf_counter() - start
            print(f"[{done}/{total}] {study} {record['wall_s']:.1f} s "
                  f"(elapsed {elapsed:.0f} s, {len(jobs) - len(todo)} cached)",
                  file=sys.stderr, flush=True)

    if todo and workers == 0:
        for i in todo:
            study, config, record = execute(jobs[i])
            write_cached(out, study, config, record)
            records[i] = record
            done += 1
            report(study, record)
    elif todo and mpi:
        from ..distributed.pool import pool_map

        for _, (study, config, record) in pool_map(_execute_quietly, [jobs[i] for i in todo],
                                                   mpi=True):
            write_cached(out, study, config, record)
            records[same[config_key(study, config)][0]] = record
            done += 1
            report(study, record)
    elif todo:
        from ..distributed.pool import one_blas_thread_per_child

        with one_blas_thread_per_child():
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(min(workers, len(todo)), initializer=_init_worker) as pool:
                for study, config, record in pool.imap_unordered(execute,
                                                                 [jobs[i] for i in todo]):
                    write_cached(out, study, config, record)
                    records[same[config_key(study, config)][0]] = record
                    done += 1
                    report(study, record)
    for indices in same.values():
        for i in indices[1:]:
            records[i] = records[indices[0]]
    return [records[i] for i in range(total)]
