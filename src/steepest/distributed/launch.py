"""``steepest ... --processes N``: run the same command as N MPI ranks on this machine.

The command becomes ``mpiexec -n N python -m mpi4py -m steepest ...``: always through
``-m mpi4py``, so an exception on one rank aborts the job instead of leaving the other ranks
blocked in a collective. ``mpiexec`` is the one next to this Python (the mpich wheel installs
it into the virtual environment's ``bin``), else the first on PATH.

Settings chosen for one machine (measured here, 2026-12-04, mpich 5.0.2 wheel, as root and
without a network): Hydra runs as root with no extra flag; ``-launcher fork`` starts the
ranks locally, so no ssh is needed; each rank gets ``OPENBLAS_NUM_THREADS`` (and OMP/MKL) =
cores // N unless the user set it, because N ranks each running a multi-threaded BLAS on
the same cores slow each other down.

When a rank is killed by a signal, Hydra reports only its pid; every rank writes its pid to a
directory (``STEEPEST_RANK_PIDS``) at start-up, so the launcher can say which rank died.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, TextIO

from ..cli.errors import UsageError


def mpiexec_path() -> str:
    """The ``mpiexec`` beside this interpreter (the mpich wheel's), else the one on PATH."""
    here = Path(sys.executable).parent
    for folder in (str(here), str(Path(sys.prefix) / "bin")):
        found = shutil.which("mpiexec", path=folder)
        if found:
            return found
    found = shutil.which("mpiexec")
    if found is None:
        raise UsageError("--processes needs MPI: pip install 'steepest[mpi]' (mpi4py and the "
                         "mpich wheel, which provides mpiexec)")
    return found


def mpi_command(n: int, program: list[str], runner: str = "mpi4py") -> list[str]:
    """``mpiexec -launcher fork -n N python -m RUNNER PROGRAM`` (``-m steepest train ...`` or
    ``script.py args``); RUNNER ``mpi4py.futures`` makes ranks 1.. an MPIPoolExecutor pool."""
    return [mpiexec_path(), "-launcher", "fork", "-n", str(n), sys.executable, "-m", runner,
            *program]


def rank_env(n: int, pid_dir: str | None = None, threads: int | None = None
             ) -> dict[str, str]:
    """The environment of the ranks: BLAS threads split over them (unless the user chose),
    or exactly ``threads`` (pools: one per task, as the local worker processes have)."""
    env = dict(os.environ)
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if threads is not None:
            env[key] = str(threads)
        else:
            env.setdefault(key, str(max(1, (os.cpu_count() or 1) // n)))
    if pid_dir is not None:
        env["STEEPEST_RANK_PIDS"] = pid_dir
    return env


def run(n: int, program: list[str], runner: str = "mpi4py", threads: int | None = None) -> int:
    """Run ``python -m mpi4py PROGRAM`` as ``n`` ranks; returns the job's exit code. A rank
    killed by a signal is named in one line on stderr."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"--processes must be an int >= 1, got {n!r}")
    cmd = mpi_command(n, program, runner)
    with tempfile.TemporaryDirectory(prefix="steepest-ranks-") as tmp:
        pid_dir = os.environ.get("STEEPEST_RANK_PIDS") or tmp
        proc = subprocess.Popen(cmd, env=rank_env(n, pid_dir, threads), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        kept: list[bytes] = []
        relays = [threading.Thread(target=_relay, args=(pipe, stream, kept), daemon=True)
                  for pipe, stream in ((proc.stdout, sys.stdout), (proc.stderr, sys.stderr))]
        for t in relays:
            t.start()
        for t in relays:
            t.join()
        code = proc.wait()
        if code != 0:
            line = _killed_rank_line(b"".join(kept).decode(errors="replace"), pid_dir, n)
            if line:
                print(line, file=sys.stderr, flush=True)
    return code


def relaunch(n: int, argv: list[str]) -> int | None:
    """``steepest ARGV`` with ``--processes N``: run it as N ranks and return the exit code;
    None when this process already is a rank (the flag is then ignored)."""
    from . import _comm

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
    return run(n, ["-m", "steepest", *rest])


def _relay(pipe: IO[bytes], stream: TextIO, kept: list[bytes]) -> None:
    """Copy one of the job's streams to ours as it comes (progress bars use \r, so not line
    by line), keeping the text: Hydra reports a killed rank on stdout."""
    fd = pipe.fileno()
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        kept.append(chunk)
        stream.flush()
        raw = getattr(stream, "buffer", None)
        if raw is not None:
            raw.write(chunk)
            raw.flush()
        else:  # a captured stream (pytest's capsys) takes text only
            stream.write(chunk.decode(errors="replace"))
    pipe.close()


def _killed_rank_line(text: str, pid_dir: str, n: int) -> str | None:
    m = re.search(r"PID (\d+) RUNNING AT \S+\s*=\s*EXIT CODE: (\d+)", text)
    if m is None:
        return None  # a rank that raised already named itself
    pid, code = m.group(1), int(m.group(2))
    path = Path(pid_dir) / pid
    rank = path.read_text().strip() if path.is_file() else "?"
    what = f"signal {code}" + (" (SIGKILL)" if code == 9 else "")
    return f"steepest: rank {rank} of {n} (pid {pid}) ended by {what}; the job was stopped"
