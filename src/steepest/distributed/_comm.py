"""The MPI world this process belongs to: rank, size, and collectives on NumPy buffers.

Without MPI (no launcher, or mpi4py not installed) the world is this one process: rank 0 of 1,
and every collective is the identity, so code written for N ranks runs unchanged on one.

Under a launcher (``mpiexec -n N python -m mpi4py ...``, ``srun``) the first call to any
function here initialises MPI; ``init()`` does it explicitly. Collectives move buffers
(``Allreduce``/``Bcast`` on arrays), never pickled objects, except the few small Python
values of ``allreduce_floats`` bookkeeping, which are packed into one float64 array too.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

# Environment variables a process manager sets in every rank it starts (MPICH/Hydra and
# PMI-2 launchers, PMIx under Slurm or Open MPI, Open MPI's own).
_LAUNCHER_ENV = ("PMI_SIZE", "PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE")

_comm: Any = None  # the MPI communicator once initialised; None: a world of one
_solo = False  # a task of a process pool: a world of its own, whatever the launcher


def launched_by_mpi() -> bool:
    """True when this process was started by an MPI launcher (or mpi4py is already loaded)."""
    return "mpi4py.MPI" in sys.modules or any(k in os.environ for k in _LAUNCHER_ENV)


def init() -> Any:
    """Initialise MPI (idempotent) and return ``COMM_WORLD``; a clear error if mpi4py is
    missing. Called automatically by ``rank()`` and friends when launched under MPI."""
    global _comm
    if _comm is None:
        try:
            from mpi4py import MPI
        except ImportError as exc:
            raise ImportError(
                "steepest.distributed needs mpi4py and an MPI library: pip install "
                "'steepest[mpi]' (mpi4py and the mpich wheel)"
            ) from exc
        _comm = MPI.COMM_WORLD
        if _comm.Get_size() > 1:
            _install_failure_line(int(_comm.Get_rank()), int(_comm.Get_size()))
            _record_pid(int(_comm.Get_rank()))
    return _comm


def _install_failure_line(r: int, n: int) -> None:
    """After the traceback of an uncaught exception, one line naming this rank: with N
    tracebacks interleaved on one terminal, it says which rank failed first and why."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        where = os.environ.get("STEEPEST_RANK_PIDS")
        if where and os.path.isdir(where):  # the launcher then adds no line of its own
            with open(os.path.join(where, str(os.getpid())), "a") as f:
                f.write(" failed")
        previous(kind, exc, tb)
        what = " ".join(str(exc).split()) or kind.__name__
        print(f"steepest: rank {r} of {n} failed: {kind.__name__}: {what}", file=sys.stderr,
              flush=True)

    sys.excepthook = hook


def _record_pid(r: int) -> None:
    """Under ``steepest ... --processes N`` (or any launcher setting STEEPEST_RANK_PIDS): write
    ``<dir>/<pid>`` holding the rank, so the launcher can name a rank the OS killed."""
    where = os.environ.get("STEEPEST_RANK_PIDS")
    if where and os.path.isdir(where):
        with open(os.path.join(where, str(os.getpid())), "w") as f:
            f.write(str(r))


def set_solo(solo: bool = True) -> None:
    """Make this process a world of one (pool workers: each task trains alone)."""
    global _solo
    _solo = solo


def comm() -> Any:
    """COMM_WORLD under MPI, else None (a world of one process)."""
    if _solo:
        return None
    if _comm is None and launched_by_mpi():
        init()
    return _comm


def rank() -> int:
    """This process's rank, 0 .. world_size() - 1 (0 without MPI)."""
    c = comm()
    return 0 if c is None else int(c.Get_rank())


def world_size() -> int:
    """How many processes train together (1 without MPI)."""
    c = comm()
    return 1 if c is None else int(c.Get_size())


def is_main() -> bool:
    """True on rank 0, the one process that prints and writes files."""
    return rank() == 0


def is_distributed() -> bool:
    return world_size() > 1


def barrier() -> None:
    c = comm()
    if c is not None:
        c.Barrier()


def allreduce_sum_(array: np.ndarray) -> np.ndarray:
    """Sum ``array`` over ranks, in place (one ``Allreduce`` on its buffer); returns it."""
    c = comm()
    if c is not None and c.Get_size() > 1:
        from mpi4py import MPI

        c.Allreduce(MPI.IN_PLACE, array, op=MPI.SUM)
    return array


def broadcast_(array: np.ndarray, root: int = 0) -> np.ndarray:
    """Overwrite ``array`` on every rank with root's values (one ``Bcast``); returns it."""
    c = comm()
    if c is not None and c.Get_size() > 1:
        c.Bcast(array, root=root)
    return array


def allreduce_floats(values: list[float]) -> list[float]:
    """Sum a few Python floats over ranks in one call (packed into a float64 buffer)."""
    buf = np.asarray(values, dtype=np.float64)
    return allreduce_sum_(buf).tolist()


def broadcast_text(text: str, root: int = 0) -> str:
    """Root's string on every rank (UTF-8 bytes in two Bcasts: length, then the bytes)."""
    c = comm()
    if c is None or c.Get_size() == 1:
        return text
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    size = broadcast_(np.array([data.size], dtype=np.int64), root)
    buf = data.copy() if c.Get_rank() == root else np.empty(int(size[0]), dtype=np.uint8)
    return broadcast_(buf, root).tobytes().decode()


def abort(code: int = 1) -> None:
    """End every rank of the job now (MPI_Abort); a plain exit when not under MPI."""
    c = comm()
    if c is not None and c.Get_size() > 1:
        c.Abort(code)
    raise SystemExit(code)
