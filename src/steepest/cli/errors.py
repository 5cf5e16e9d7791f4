"""The one exception the command line turns into a one-line message and exit code 2."""

from __future__ import annotations


class UsageError(ValueError):
    """Bad input from the user (a flag, a name, a value, a file): one line, exit code 2."""
