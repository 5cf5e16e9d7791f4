"""``steepest ... --processes N``: run the same command as N MPI ranks on this machine.

The command becomes ``mpiexec -n N python -m mpi4py -m steepest ...``: always through
``-m mpi4py``, so an exception on one rank aborts the job instead of leaving the other ranks
blocked in a collective. ``mpiexec`` is the one next to this Python (the mpich wheel installs
it into the virtual environment's ``bin``), else the first on PATH.

Settings chosen for one machine (measured here, 2026-12-04, mpich 5.0.2 wheel, as root and
without a network): Hydra runs as root with no extra flag; ``-launcher fork`` starts the
ranks locally, so no ssh is needed; each rank gets ``OPENBLAS_NUM_THREADS`` (and OMP/MKL) =
cores // N unless the user set it, and so does steepest's own pool (``STEEPEST_NUM_THREADS``:
kernels and optimizer), because N ranks each running a multi-threaded BLAS on
the same cores slow each other down.

When a rank is killed by a signal, Hydra reports only a pid; every rank writes its pid to a
directory (``STEEPEST_RANK_PIDS``) at start-up (and "failed" there when it raises), so the
launcher can say which rank died first.
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


def mpiexec_path() -> str:
    """The ``mpiexec`` beside this interpreter (the mpich wheel's), else the one on PATH."""
    here = Path(sys.executable).parent
    for folder in (str(here), str(Path(sys.prefix) / "bin")):
        found = shutil.which("mpiexec", path=folder)
        if found:
            return found
    found = shutil.which("mpiexec")
    if found is None:
        raise FileNotFoundError("running on several processes needs MPI: pip install "
                                "'steepest[mpi]' (mpi4py and the mpich wheel, which provides "
                                "mpiexec)")
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
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "STEEPEST_NUM_THREADS"):
        if threads is not None:
            env[key] = str(threads)
        else:
            env.setdefault(key, str(max(1, (os.cpu_count() or 1) // n)))
    if pid_dir is not None:
        env["STEEPEST_RANK_PIDS"] = pid_dir
    return env


def run(n: int, program: list[str], runner: str = "mpi4py", threads: int | None = None) -> int:
    """Run ``python -m RUNNER PROGRAM`` as ``n`` ranks; returns the job's exit code. A rank
    that ends without a Python error (killed by a signal, the OOM killer) is named in one line
    on stderr; a rank that raised has named itself already."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"launch.run: the number of processes must be an int >= 1, got {n!r}")
    cmd = mpi_command(n, program, runner)
    with tempfile.TemporaryDirectory(prefix="steepest-ranks-") as tmp:
        pid_dir = os.environ.get("STEEPEST_RANK_PIDS") or tmp
        proc = subprocess.Popen(cmd, env=rank_env(n, pid_dir, threads), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        kept: list[bytes] = []
        watch = _Watch(pid_dir, n)
        threads_ = [threading.Thread(target=_relay, args=(pipe, stream, kept), daemon=True)
                    for pipe, stream in ((proc.stdout, sys.stdout), (proc.stderr, sys.stderr))]
        threads_.append(threading.Thread(target=watch.run, daemon=True))
        for t in threads_:
            t.start()
        for t in threads_[:2]:
            t.join()
        code = proc.wait()
        watch.stop.set()
        if code != 0:
            line = watch.line(b"".join(kept).decode(errors="replace"))
            if line:
                print(line, file=sys.stderr, flush=True)
    return code


class _Watch:
    """Which rank ended first. Hydra names only one pid, and not always the first to die (it
    kills the others with SIGKILL too), so the ranks' pids are polled while the job runs."""

    POLL_S = 0.005  # Hydra stops the other ranks a few ms after the first dies

    def __init__(self, pid_dir: str, n: int) -> None:
        self.pid_dir, self.n = pid_dir, n
        self.stop = threading.Event()
        self.first: list[int] = []  # the pids found gone at the first poll that found any

    def run(self) -> None:
        pids: list[int] = []
        while not self.stop.wait(self.POLL_S):
            if len(pids) < self.n:
                pids = [int(e.name) for e in os.scandir(self.pid_dir) if e.name.isdigit()]
            gone = [pid for pid in pids if not _alive(pid)]
            if gone:
                self.first = gone
                return

    def _rank(self, pid: int | str) -> tuple[str, bool]:
        path = Path(self.pid_dir) / str(pid)
        text = path.read_text().split() if path.is_file() else []
        return (text[0] if text else "?"), "failed" in text

    def line(self, hydra_text: str) -> str | None:
        entries = [e.name for e in os.scandir(self.pid_dir) if e.name.isdigit()]
        if any(self._rank(pid)[1] for pid in entries):
            return None  # a rank that raised already named itself
        m = re.search(r"PID (\d+) RUNNING AT \S+\s*=\s*EXIT CODE: (\d+)", hydra_text)
        if m is None:
            return None  # no rank died: they ended through MPI_Abort (an error, named already)
        reported = int(m.group(1))
        # several gone at the first poll (a loaded machine polls late): name them all rather
        # than trust Hydra's pid, which is often one it killed itself
        pids = self.first or [reported]
        if not pids:
            return None
        ranks = " or ".join(f"{self._rank(p)[0]} (pid {p})" for p in sorted(pids))
        signal = f", exit code {m.group(2)}" if pids == [reported] else ""
        return (f"steepest: rank {ranks} of {self.n} ended without a Python error (killed?"
                f"{signal}); the job was stopped")


def _alive(pid: int) -> bool:
    """False once ``pid`` has exited (a zombie counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (macOS): ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


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
