"""``python -m steepest``: the command line (see ``steepest.cli``)."""

from .cli import main

if __name__ == "__main__":  # pool workers (mpi4py.futures, spawn) import this module too
    raise SystemExit(main())
