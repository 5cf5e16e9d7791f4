"""Studies: every claim of the gradient-descent texts turned into an experiment and a report.

``steepest study NAME`` (or ``all``) runs a study's configurations over several seeds in
worker processes, caches each finished run by a hash of its configuration, and writes a
Markdown report (claim quoted, measurement, verdict), PNG plots and the raw results as JSON.
Each study is one module with ``TITLE``, ``CLAIM``, ``configs(ctx)``, ``run(config)`` and
``report(ctx, records)``.

>>> from steepest.studies import Context, run_studies
>>> run_studies(["epochs"], Context(level="quick", out=Path("studies-out")), workers=2)
PosixPath('studies-out/epochs.md')
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from .report import Section, write_report
from .runner import Context, config_key, run_jobs

# In the order of the claims in issue 7 (1-14).
STUDIES = ("gd_variants", "epochs", "learning_rate", "activations", "architecture",
           "regularization", "augmentation", "batch_size", "dropout", "optimizers",
           "gradients", "init_sensitivity", "landscape", "datasets_table")

__all__ = ["STUDIES", "Context", "Section", "config_key", "module", "run_jobs", "run_studies"]


def module(name: str) -> ModuleType:
    """The module of study ``name``; a ValueError lists the known names."""
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; known: all, {', '.join(STUDIES)}")
    return importlib.import_module(f"{__name__}.{name}")


def run_studies(names: Sequence[str], ctx: Context, workers: int = 1, command: str = "",
                progress: bool = True, mpi: bool = False) -> Path:
    """Run (or read from the cache) every configuration of ``names``, write the report.

    One study writes ``OUT/NAME.md``; several write ``OUT/report.md`` with a table of
    contents. Figures go to ``OUT/figures/``, raw results to the ``.json`` beside the report.
    """
    mods = [module(n) for n in names]
    plan = [(n, m.configs(ctx)) for n, m in zip(names, mods, strict=True)]
    jobs = [(n, cfg) for n, cfgs in plan for cfg in cfgs]
    start = time.perf_counter()
    records = run_jobs(jobs, ctx.out, workers=workers, progress=progress, mpi=mpi)
    sections, raw, i = [], {}, 0
    for (n, cfgs), m in zip(plan, mods, strict=True):
        mine = records[i:i + len(cfgs)]
        i += len(cfgs)
        section = m.report(ctx, mine)
        section.wall_s = sum(r["wall_s"] for r in mine)
        sections.append(section)
        raw[n] = mine
    settings = {"level": ctx.level, "data": ctx.data, "seeds": ctx.seeds, "workers": workers,
                "command": command or f"steepest study {' '.join(names)}",
                "elapsed_s": round(time.perf_counter() - start, 1)}
    return write_report(ctx.out, sections, settings, raw,
                        name=names[0] if len(names) == 1 else "report")
