"""Validation must survive ``python -O``: no ``assert`` in the data code, checked two ways."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import steepest.data
import steepest.datasets

PACKAGES = [Path(steepest.data.__file__).parent, Path(steepest.datasets.__file__).parent]


def test_no_assert_statements_in_data_code():
    offenders = [
        f"{path}:{node.lineno}"
        for package in PACKAGES
        for path in sorted(package.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assert)
    ]
    assert offenders == []


SCRIPT = r"""
import pickle
import sys

import numpy as np

from steepest.datasets._csv import parse_label_pixel_csv
from steepest.datasets._idx import read_idx
from steepest.datasets.cifar10 import parse_batch

bad_idx = sys.argv[1] + "/bad"
with open(bad_idx, "wb") as f:
    f.write(bytes([1, 0, 8, 1, 0, 0, 0, 1, 5]))
no_labels = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8)}, protocol=2)
cases = {
    "magic": lambda: read_idx(bad_idx),
    "label": lambda: parse_label_pixel_csv(b"label,a\n11,0\n", sys.argv[1] + "/x.csv", 1),
    "cifar": lambda: parse_batch(no_labels, "data_batch_1"),
}
for name, case in cases.items():
    try:
        case()
    except Exception as exc:
        print(name, type(exc).__name__, exc)
    else:
        print(name, "NO ERROR")
print("optimize", sys.flags.optimize)
"""


def test_malformed_input_still_raises_under_python_dash_O(tmp_path):
    src = Path(steepest.__file__).parent.parent
    result = subprocess.run(
        [sys.executable, "-O", "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[-1] == "optimize 1"
    assert lines[0].startswith(f"magic HeaderError {tmp_path}/bad: bad IDX magic")
    assert lines[1].startswith(f"label LabelError {tmp_path}/x.csv: row 1: label 11")
    assert lines[2] == "cifar FormatError data_batch_1: batch lacks the key 'labels' (has ['data'])"
