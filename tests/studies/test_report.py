"""The report writer: formatting, verdict check, Markdown + JSON output."""

import json

import pytest

from steepest.studies.report import Section, mean_std, table, write_report


def test_mean_std():
    assert mean_std([1.0, 3.0]) == "2.000 ± 1.414"
    assert mean_std([0.5]) == "0.500"
    assert mean_std([1.0, None, float("nan")]) == "1.000 (2/3 diverged)"
    assert mean_std([None]) == "diverged (1/1)"


def test_table():
    text = table(["a", "b"], [[1, 0.123456], ["x|y", "z"]])
    assert text.splitlines() == ["| a | b |", "|---|---|", "| 1 | 0.1235 |", "| x\\|y | z |"]


def test_verdict_is_checked():
    with pytest.raises(ValueError, match="verdict must be one of"):
        Section("s", "S", "claim", "body", "maybe", "why")


def test_write_report(tmp_path):
    secs = [Section("one", "1. One", "It is so.", "| a |\n|---|\n| 1 |", "holds", "because"),
            Section("two", "2. Two", "Also.", "body", "does not hold", "measured 3")]
    path = write_report(tmp_path, secs, {"level": "tiny", "data": "synthetic", "seeds": 1,
                                         "workers": 0, "command": "steepest study all"},
                        raw={"one": []})
    text = path.read_text()
    assert "## Contents" in text and "[1. One](#1-one) — holds" in text
    assert "> It is so." in text and "**Verdict: does not hold.** measured 3" in text
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["verdicts"]["two"]["verdict"] == "does not hold"
    assert data["machine"]["nproc"] >= 1
