"""The list of commands: the docstrings name every subcommand, and none falls through."""

import re

import pytest

import steepest.cli as cli
from steepest.cli import command_names, main, parser


def _listed(doc: str) -> set[str]:
    head = " ".join(doc.split("\n\n")[0].split())  # the first paragraph
    return set(re.findall(r"[a-z][a-z-]+", head.split(":", 1)[1].split("(")[0]
                          .replace("{", "").replace("}", "")))


def test_the_docstrings_list_every_command():
    names = set(command_names())
    assert {"train", "eval", "resume", "summary", "lr-find", "generate", "study",
            "datasets"} <= names
    assert _listed(cli.__doc__) == names
    assert _listed(parser.__doc__.replace("The argparse tree:", "tree:")
                   .replace("``steepest", "")) - {"steepest"} == names


def test_an_unknown_command_is_one_error_line(capsys):
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "frobnicate" in err and "datasets" in err


def test_no_command_names_them_all(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert all(name in err for name in command_names())


def test_a_command_without_a_handler_does_not_run_datasets(monkeypatch, capsys):
    build = parser.build_parser

    def with_an_extra_command():
        root = build()
        sub = next(a for a in root._actions if getattr(a, "choices", None) and "train" in a.choices)
        sub.add_parser("brand-new")
        return root

    def datasets_must_not_run(*args, **kwargs):
        pytest.fail("an unhandled command fell through to datasets")

    monkeypatch.setattr(cli, "build_parser", with_an_extra_command)
    monkeypatch.setattr("steepest.cli.info_cmds.datasets_command", datasets_must_not_run)
    assert main(["brand-new"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'brand-new'" in err and "no handler" in err
