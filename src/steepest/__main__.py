"""``python -m steepest``: the command line (see ``steepest.cli``)."""

from .cli import main

raise SystemExit(main())
