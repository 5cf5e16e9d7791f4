"""``steepest study all`` end to end on the tiny level with synthetic digits (no download)."""

import json
import math
import re

from steepest.cli import main
from steepest.studies import STUDIES


def _numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, float):
        yield obj


def test_study_all_tiny(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["study", "all", "--level", "tiny", "--data", "synthetic", "--out", str(out),
            "--workers", "2"]
    assert main(argv) == 0
    report = (out / "report.md").read_text()
    for name in STUDIES:
        assert f"{name}" in json.loads((out / "report.json").read_text())["runs"]
    assert report.count("**Verdict:") == len(STUDIES)
    assert "## Contents" in report
    figures = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", report)
    assert len(figures) >= len(STUDIES)
    for f in figures:
        assert (out / f).stat().st_size > 1000, f
    data = json.loads((out / "report.json").read_text())
    assert all(math.isfinite(v) for v in _numbers(data))  # NaN/inf are stored as null
    # a second run resumes from the cache: nothing is trained again
    capsys.readouterr()
    assert main(argv) == 0
    assert "[" not in capsys.readouterr().err


def test_unknown_study_is_a_usage_error(capsys):
    assert main(["study", "nope"]) == 2
    assert "unknown study 'nope'" in capsys.readouterr().err
