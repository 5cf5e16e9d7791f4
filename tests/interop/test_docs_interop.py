"""docs/interop.md's Python blocks run as written, in order, in an empty directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")  # installed by `make test` (the onnx extra)

DOC = Path(__file__).resolve().parents[2] / "docs" / "interop.md"


def test_every_python_block_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 3  # export, weights, DLPack: a block lost in an edit fails here
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    assert (tmp_path / "lenet5.onnx").is_file() and (tmp_path / "cnn.safetensors").is_file()
