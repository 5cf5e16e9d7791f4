"""st.viz.graph: the DOT text names each op and leaf, with shapes, and grad norms after backward."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import steepest as st
from steepest.viz.graph import dot_lines, structure

pytest.importorskip("graphviz")  # installed by `make test` (the viz extra)


def _two_layer():
    st.manual_seed(0)
    model = st.nn.Sequential(st.nn.Linear(3, 4), st.nn.Tanh(), st.nn.Linear(4, 2))
    x = st.randn(5, 3)
    loss = st.nn.functional.cross_entropy(model(x), st.tensor([0, 1, 0, 1, 1]))
    return model, x, loss


def _labels(source: str) -> dict[str, str]:
    return dict(re.findall(r"^\t(\w+) \[label=<(.*?)> ", source, flags=re.M))


def test_one_node_per_op_and_leaf_with_shapes_and_names():
    model, _, loss = _two_layer()
    source = st.viz.graph(loss, params=model).source
    labels = _labels(source)
    ops = [lab for lab in labels.values() if lab.startswith("<b>Linear</b>")]
    assert len(ops) == 2
    assert "<b>Tanh</b><br/>(5, 4) float32" in labels.values()
    for name, p in model.named_parameters():
        assert any(
            lab.startswith(f"<b>{name}</b><br/>{tuple(p.shape)} float32") for lab in labels.values()
        ), name
    # every edge joins two drawn nodes; the input feeds the first Linear
    ids = set(labels)
    edges = re.findall(r"^\t(\w+) -> (\w+)$", source, flags=re.M)
    assert edges and all(a in ids and b in ids for a, b in edges)
    first = next(k for k, v in labels.items() if v.startswith("<b>Linear</b><br/>(5, 4)"))
    inp = next(k for k, v in labels.items() if v.startswith("<b>input</b><br/>(5, 3)"))
    assert (inp, first) in edges


def test_gradient_norms_appear_after_backward():
    model, _, loss = _two_layer()
    g = st.viz.graph(loss, params=model)
    assert "grad norm" not in g.source
    loss.backward()
    labels = _labels(g.source)  # the same object, read again: the graph was freed by backward
    for name, p in model.named_parameters():
        label = next(v for v in labels.values() if v.startswith(f"<b>{name}</b>"))
        want = float(np.linalg.norm(p.grad.numpy()))
        got = float(re.search(r"grad norm ([\d.e+-]+)", label).group(1))
        assert got == pytest.approx(want, rel=1e-2), name


def test_show_grads_false_and_same_text_each_run():
    model, _, loss = _two_layer()
    a = st.viz.graph(loss, params=model, show_grads=False)
    loss.backward()
    assert "grad norm" not in a.source
    model2, _, again = _two_layer()
    assert st.viz.graph(again, params=model2, show_grads=False).source == a.source


def test_freed_graph_is_a_clear_error():
    _, _, loss = _two_layer()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        st.viz.graph(loss)


def test_resnet_collapses_by_block_and_expands_on_request():
    model = st.models.get("resnet20")
    loss = model(st.randn(2, 3, 32, 32)).sum()
    collapsed = st.viz.graph(loss, params=model).source
    boxes = re.findall(r"<b>(stages\.\d) \(ResidualBlock\)</b>", collapsed)
    assert boxes == [f"stages.{i}" for i in range(9)]
    assert (
        "Conv2d×2" in collapsed and "4,672 parameters" in collapsed
    )  # 2 convs + 2 BNs of 16 channels
    s = structure(loss, model, expand=True)
    expanded = "".join(dot_lines(s, expand=True))
    assert expanded.count("subgraph cluster_") == 12 and expanded.count("<b>Conv2d</b>") == 21


def test_render_png_where_dot_exists(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (apt-get install graphviz)")
    model, _, loss = _two_layer()
    path = st.viz.graph(loss, params=model).render(tmp_path / "g", format="png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_missing_dot_names_the_package(monkeypatch, tmp_path):
    model, _, loss = _two_layer()
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on this PATH
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        st.viz.graph(loss, params=model).render(tmp_path / "g", format="png")
