"""Multi-process tests: each starts ``mpiexec -n N python -m mpi4py`` in a subprocess with a
timeout (a hung collective fails the test instead of hanging the suite)."""

import subprocess
import sys
from pathlib import Path

import pytest

from steepest.distributed import launch

WORKER = str(Path(__file__).with_name("_worker.py"))
TIMEOUT = 60  # seconds; each job takes 1-3 s on an idle 2-core machine


@pytest.fixture
def mpirun():
    """``mpirun(n, *args, pid_dir=None) -> CompletedProcess`` of _worker.py on n ranks
    (n = 0: one plain process, no MPI)."""

    def run(n, *args, pid_dir=None):
        program = [WORKER, *map(str, args)]
        if n == 0:
            cmd, env = [sys.executable, *program], None
        else:
            cmd, env = launch.mpi_command(n, program), launch.rank_env(n, pid_dir)
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)

    return run
