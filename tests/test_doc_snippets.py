"""The code in README.md and docs/*.md runs as written.

Every ```python block of a file runs, in order, in one namespace per file (later blocks use
names defined by earlier ones, as a reader would). A block that is deliberately not runnable
(a long training, a fragment with placeholders) is preceded by the line
``<!-- snippet: not run (WHY) -->``; there are few, and each says why. A page whose snippets
use names it does not define (``model``, ``loader``) defines them in a hidden
``<!-- snippet setup ... -->`` comment, run first. Every ``steepest ...``
command shown (in ```bash blocks and in indented command lists) must parse with the real
argument parser, so a renamed or removed flag breaks this test.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP = re.compile(r"<!-- snippet: not run \((.+)\) -->")
SETUP = re.compile(r"<!-- snippet setup\n(.*?)-->", re.S)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(path, language):
    """``(line number, code, skipped)`` of each fenced block in ``language``."""
    text = path.read_text()
    found = []
    for match in FENCE.finditer(text):
        if match.group(1) != language:
            continue
        before = text[: match.start()].rstrip("\n").splitlines()
        skipped = bool(before) and SKIP.search(before[-1]) is not None
        found.append((text.count("\n", 0, match.start()) + 1, match.group(2), skipped))
    return found


def commands(path):
    """``(line number, argv)`` of every ``steepest`` command shown in ``path``."""
    out = []
    lines = path.read_text().replace("\\\n", " ").splitlines()  # join continued lines
    in_bash = False
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            in_bash = line.strip() == "```bash" if not in_bash else False
            continue
        text = line.strip()
        indented = line.startswith("    steepest ")
        if (in_bash or indented) and text.startswith("steepest "):
            argv = shlex.split(text, comments=True)[1:]
            out.append((number, argv))
    return out


PYTHON = [(p, n, code) for p in DOCS for n, code, skip in blocks(p, "python") if not skip]


# Runs the blocks of one page in a fresh interpreter: a page may register an optimizer or a
# model, and that must not leak into the other tests of this worker.
RUNNER = """
import json, sys
namespace = {"__name__": "__snippet__"}
for name, code in json.load(sys.stdin):
    try:
        exec(compile(code, name, "exec"), namespace)
    except Exception as exc:
        print(f"{name}: {type(exc).__name__}: {exc}")
        sys.exit(1)
"""


@pytest.mark.parametrize("path", [p for p in DOCS if any(q == p for q, _, _ in PYTHON)],
                         ids=lambda p: p.name)
def test_python_blocks_run(path, tmp_path):
    pieces = [(f"{path.name}:setup", setup) for setup in SETUP.findall(path.read_text())]
    pieces += [(f"{path.name} line {n}", code) for n, code, skip in blocks(path, "python")
               if not skip]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    # whatever a snippet writes lands in tmp_path
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(pieces), text=True,
                          capture_output=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]


def test_skipped_blocks_are_few_and_say_why():
    skipped = [(p.name, n) for p in DOCS for n, _, skip in blocks(p, "python") if skip]
    total = sum(len(blocks(p, "python")) for p in DOCS)
    assert len(skipped) <= total // 2, skipped


@pytest.mark.parametrize(("path", "line", "argv"),
                         [(p, n, a) for p in DOCS for n, a in commands(p)],
                         ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_shown_commands_parse(path, line, argv):
    from steepest.cli import UsageError
    from steepest.cli.parser import build_parser

    try:
        build_parser().parse_args(argv)
    except UsageError as exc:
        pytest.fail(f"{path.name} line {line}: steepest {shlex.join(argv)}: {exc}")
