"""The gradient-flow picture: per-layer mean/max |grad| from GradientStats, and its plot."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
from steepest.viz import gradient_flow


def _deep_sigmoid(depth: int = 8):
    st.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [st.nn.Linear(16, 16), st.nn.Sigmoid()]
    return st.nn.Sequential(*layers, st.nn.Linear(16, 2))


def _fit(model, stats, steps=6):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 16)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    loader = st.data.DataLoader(st.data.TensorDataset(x, y), batch_size=16)
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    st.train.fit(model, st.nn.CrossEntropyLoss(), opt, loader, epochs=1, callbacks=[stats],
                 max_steps=steps)  # fmt: skip


def test_flow_is_mean_and_max_abs_grad_per_weight(tmp_path):
    model = _deep_sigmoid()
    stats = st.train.GradientStats(every_n_steps=1, plot=tmp_path / "flow.png")
    _fit(model, stats)
    flow = stats.flow()
    weights = [n for n, p in model.named_parameters() if p.ndim > 1]
    assert list(flow) == weights  # biases left out, forward order kept
    last = stats.records[-1]
    for name in weights:  # the record holds exactly the last step's gradient statistics
        g = np.abs(dict(model.named_parameters())[name].grad.numpy())
        assert last["mean_abs"][name] == pytest.approx(float(g.mean()), rel=1e-6)
        assert last["max_abs"][name] == pytest.approx(float(g.max()), rel=1e-6)
        means = [r["mean_abs"][name] for r in stats.records]
        assert flow[name]["mean"] == pytest.approx(float(np.mean(means)))
        assert flow[name]["max"] == max(r["max_abs"][name] for r in stats.records)
    # vanishing through 8 sigmoid layers: the first layer's mean |grad| is far below the last's
    assert flow[weights[0]]["mean"] < flow[weights[-1]]["mean"] / 100
    with open(tmp_path / "flow.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert len(stats.flow(weights_only=False)) == 2 * len(weights)  # with the biases


def test_gradient_flow_from_a_dict_and_clear_error_when_empty(tmp_path):
    fig = gradient_flow({"a": {"mean": 1e-3, "max": 1e-2}, "b": {"mean": 0.0, "max": float("inf")}},
                        tmp_path / "f.png")  # fmt: skip
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b"]
    with pytest.raises(ValueError, match="no gradients were recorded"):
        gradient_flow({})
