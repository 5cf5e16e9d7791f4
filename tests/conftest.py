"""Fixtures shared by every test directory."""

import pytest

from steepest.cli import main


@pytest.fixture
def run_cli(capsys):
    """``run_cli(*args) -> (exit code, stdout, stderr)``: the CLI in this process (fast)."""

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
