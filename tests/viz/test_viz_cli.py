"""The command line's pictures: `summary --graph` and `train --grad-stats`."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("graphviz")  # installed by `make test` (the viz extra)


def test_summary_graph_writes_dot_text(run_cli, tmp_path):
    code, out, _ = run_cli("summary", "--model", "lenet5", "--graph", tmp_path / "g.dot")
    assert code == 0 and f"graph: {tmp_path / 'g.dot'}" in out
    text = (tmp_path / "g.dot").read_text()
    assert text.startswith("digraph {") and text.count("<b>Conv2d</b>") == 2
    assert "<b>0.weight</b><br/>(6, 1, 5, 5) float32" in text


def test_summary_graph_collapses_resnet_blocks(run_cli, tmp_path):
    code, _, _ = run_cli("summary", "--model", "resnet20", "--graph", tmp_path / "r.gv")
    assert code == 0
    assert (tmp_path / "r.gv").read_text().count("(ResidualBlock)</b>") == 9


def test_summary_graph_bad_suffix_or_directory_is_one_line(run_cli, tmp_path):
    code, out, err = run_cli("summary", "--model", "mlp", "--graph", tmp_path / "g.txt")
    assert code == 2 and "suffix names the format" in err and "Traceback" not in err
    assert out == ""  # refused before any work
    code, _, err = run_cli("summary", "--model", "mlp", "--graph", tmp_path / "no" / "g.svg")
    assert code == 2 and "does not exist" in err


def test_summary_graph_svg_where_dot_exists(run_cli, tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (apt-get install graphviz)")
    code, _, _ = run_cli("summary", "--model", "mlp", "--graph", tmp_path / "g.svg")
    assert code == 0 and "<svg" in (tmp_path / "g.svg").read_text()


def test_train_grad_stats_draws_the_gradient_flow(run_cli, tmp_path):
    run = tmp_path / "run"
    code, _, err = run_cli("train", "--dataset", "spirals", "--model", "mlp", "--epochs", "1",
                           "--grad-stats", "--quiet", "--out", run)  # fmt: skip
    assert code == 0, err
    records = [json.loads(line) for line in (run / "grad_stats.jsonl").read_text().splitlines()]
    assert records and set(records[0]["mean_abs"]) == set(records[0]["norms"])
    with open(run / "gradient-flow.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_the_see_backprop_script_runs_and_its_check_holds(tmp_path, capsys):
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "see_backprop.py"
    runpy.run_path(str(script), run_name="see_backprop")["main"](tmp_path)
    out = capsys.readouterr().out
    worst = float(out.split("central differences: ")[1].split()[0])
    assert worst < 1e-8
    assert "st.gradcheck of the loss with respect to every parameter: passed" in out
    assert (tmp_path / "see-backprop-flow-sigmoid.png").exists()
