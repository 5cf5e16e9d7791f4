"""The report writer: Markdown sections with tables and PNG plots, plus the raw JSON.

Each study's ``report`` returns a ``Section``: the claim quoted from the texts, what was
measured (Markdown), a plain verdict (holds / partly / does not hold / measured) and why.
``write_report`` puts the sections under one header (date, machine, versions, settings) with
a table of contents. Plots use matplotlib's Agg backend, imported only when a plot is drawn.

>>> sec = Section("epochs", "Epochs vs loss", claim="...", body=table(["a"], [[1]]),
...               verdict="holds", why="the loss falls every epoch")
>>> write_report(Path("out"), [sec], ctx, raw={"epochs": [...]})
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

VERDICTS = ("holds", "partly", "does not hold", "measured", "not run")


@dataclass
class Section:
    """One study's part of the report."""

    name: str
    title: str
    claim: str
    body: str
    verdict: str
    why: str
    figures: list[str] = field(default_factory=list)  # paths relative to the report
    wall_s: float = 0.0  # summed wall-clock seconds of the study's runs

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Section {self.name}: verdict must be one of {VERDICTS}, "
                             f"got {self.verdict!r}")


def mean_std(values: Sequence[float | None], digits: int = 3) -> str:
    """``"0.912 ± 0.004"`` (sample std over seeds); missing/non-finite values count as
    diverged and are named, e.g. ``"diverged (2/3)"``."""
    ok = [float(v) for v in values if v is not None and math.isfinite(v)]
    bad = len(values) - len(ok)
    if not ok:
        return f"diverged ({bad}/{len(values)})" if values else "-"
    m = float(np.mean(ok))
    s = float(np.std(ok, ddof=1)) if len(ok) > 1 else 0.0
    text = f"{m:.{digits}f} ± {s:.{digits}f}" if len(ok) > 1 else f"{m:.{digits}f}"
    return text + (f" ({bad}/{len(values)} diverged)" if bad else "")


def mean(values: Sequence[float | None]) -> float:
    """Mean over the finite values (NaN when none)."""
    ok = [float(v) for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(ok)) if ok else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats get 4 significant digits."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display needed), imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def line_plot(path: Path, series: dict[str, tuple[Sequence[float], Sequence[float]]],
              xlabel: str, ylabel: str, title: str = "", logx: bool = False,
              logy: bool = False, bands: dict[str, Sequence[float]] | None = None) -> Path:
    """One line per label (``series[label] = (x, y)``), optional ±std bands; saves a PNG."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for k, (label, (x, y)) in enumerate(series.items()):
        y_arr = np.asarray([np.nan if v is None else v for v in y], dtype=float)
        (line,) = ax.plot(x, y_arr, label=label, marker="o" if len(x) < 15 else None, ms=3,
                          ls="-" if k < 10 else "--")  # the colour cycle repeats after 10
        if bands and label in bands:
            s = np.asarray(bands[label], dtype=float)
            ax.fill_between(x, y_arr - s, y_arr + s, alpha=0.2, color=line.get_color())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def machine() -> dict[str, Any]:
    """Date, cores, CPU model, load and versions, for the report header."""
    import numpy

    from .. import __version__

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"date": datetime.now().isoformat(timespec="seconds"), "nproc": os.cpu_count(),
            "cpu": cpu, "load_avg": [round(v, 2) for v in os.getloadavg()],
            "python": platform.python_version(), "numpy": numpy.__version__,
            "steepest": __version__, "commit": commit, "platform": platform.platform()}


def _anchor(title: str) -> str:
    keep = "".join(c for c in title.lower() if c.isalnum() or c in " -")
    return keep.replace(" ", "-")


def render(sections: Sequence[Section], settings: dict[str, Any], info: dict[str, Any]) -> str:
    """The whole Markdown report."""
    head = [
        "# steepest studies: measured, not asserted", "",
        f"- Date: {info['date']}; git commit {info['commit'] or 'unknown'}",
        f"- Machine: {info['nproc']} cores ({info['cpu']}), load average at the end "
        f"{info['load_avg']}; {info['platform']}",
        f"- Versions: Python {info['python']}, NumPy {info['numpy']}, steepest "
        f"{info['steepest']}",
        f"- Settings: level **{settings['level']}**, data {settings['data']}, up to "
        f"{settings['seeds']} seeds, {settings['workers']} worker process(es) with "
        "OPENBLAS_NUM_THREADS=1",
        f"- Command: `{settings['command']}`",
        f"- Every number below comes from the runs recorded in `{settings['json']}` (raw per-seed "
        "values). ± is the sample standard deviation over seeds. Wall-clock times were taken on "
        "a machine shared with other work, with up to that many runs side by side; the JSON "
        "gives the load average at the end of each run (where recorded).",
        "", "## Contents", "",
    ]
    head += [f"{i}. [{s.title}](#{_anchor(s.title)}) — {s.verdict}"
             for i, s in enumerate(sections, 1)]
    head.append("")
    parts = ["\n".join(head)]
    for s in sections:
        quoted = "\n".join("> " + line for line in s.claim.strip().splitlines())
        figs = "\n".join(f"![{s.name}]({f})" for f in s.figures)
        parts.append(
            f"## {s.title}\n\n**Claim** (quoted):\n\n{quoted}\n\n**Verdict: {s.verdict}.** "
            f"{s.why}\n\n{s.body.strip()}\n\n{figs}\n\n_Runs of this study took "
            f"{s.wall_s:.0f} s of wall-clock time in all._\n")
    return "\n".join(parts)


def write_report(out: Path, sections: Sequence[Section], settings: dict[str, Any],
                 raw: dict[str, Any], name: str = "report") -> Path:
    """``OUT/NAME.md`` and ``OUT/NAME.json`` (machine, settings, every run's raw record)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    info = machine()
    settings = {**settings, "json": f"{name}.json"}
    path = out / f"{name}.md"
    path.write_text(render(sections, settings, info))
    verdicts = {s.name: {"verdict": s.verdict, "why": s.why} for s in sections}
    (out / f"{name}.json").write_text(json.dumps(
        {"machine": info, "settings": settings, "verdicts": verdicts, "runs": raw},
        sort_keys=True))  # one line: the raw runs are large
    return path
