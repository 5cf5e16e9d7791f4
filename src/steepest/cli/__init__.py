"""The ``steepest`` command line: train, eval, resume, export, summary, lr-find, generate,
datasets, study, sweep (``steepest --help`` lists them; a test checks this list against the
parser).

Every user mistake (a bad flag, an unknown name, an impossible value, a missing file) ends
with one line on stderr and exit code 2, never a traceback.

>>> from steepest.cli import main
>>> main(["summary", "--model", "lenet5"])
0
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import UsageError
from .parser import build_parser, command_names, config_from

__all__ = ["UsageError", "command_names", "main"]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _glue_negative_numbers(argv: list[str]) -> list[str]:
    """``--lr -1e-3`` -> ``--lr=-1e-3``: argparse takes ``-1e-3`` for a flag otherwise, and the
    user would hear "expected one argument" instead of "--lr must be > 0"."""
    out: list[str] = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and token.startswith("-") \
                and _is_number(token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def _dispatch(argv: list[str]) -> int:
    args = build_parser().parse_args(_glue_negative_numbers(argv))
    command = "steepest " + shlex.join(argv)
    if args.command is None:
        raise UsageError(f"choose a command: {', '.join(command_names())} (steepest --help)")
    if getattr(args, "processes", None) is not None:
        from .distribute import relaunch

        code = relaunch(args.processes, argv)  # None: already one of the ranks
        if code is not None:
            return code
    if args.command == "train":
        from .train_cmd import train_command

        cfg, _ = config_from(args)
        return train_command(cfg, command)
    if args.command == "resume":
        from .train_cmd import resume_command

        return resume_command(Path(args.run_dir), args.epochs, args.quiet, command)
    if args.command == "eval":
        from .eval_cmd import eval_command

        return eval_command(Path(args.target), args.split, args.batch_size)
    if args.command == "export":
        from .export_cmd import export_command

        return export_command(Path(args.target), args.out, args.opset)
    if args.command == "summary":
        from .info_cmds import summary_command

        if args.batch < 1:
            raise UsageError(f"--batch must be at least 1, got {args.batch}")
        cfg, given = config_from(args)
        dataset_given = "dataset" in given or "config" in vars(args)
        return summary_command(cfg, dataset_given, args.batch, args.graph)
    if args.command == "generate":
        from .generate_cmd import generate_command

        return generate_command(args)
    if args.command == "lr-find":
        from .lr_find import lr_find_command

        cfg, _ = config_from(args)
        return lr_find_command(cfg, args.start_lr, args.end_lr, args.steps)
    if args.command == "sweep":
        from .sweep_cmd import sweep_command

        return sweep_command(args, argv)
    if args.command == "study":
        from .study_cmd import study_command

        return study_command(args, command, argv)
    if args.command == "datasets":
        from .info_cmds import datasets_command

        return datasets_command(args.check, args.timeout)
    # a subcommand in the parser without a branch above: say so, never run another command
    raise UsageError(f"command {args.command!r} is in the parser but has no handler")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(argv)
    except UsageError as exc:
        print(f"steepest: error: {_one_line(exc)}", file=sys.stderr)
        return 2
