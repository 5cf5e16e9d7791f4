"""st.viz.trace: the engine's own numbers, in the engine's order, with each op's rule in words."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
from steepest.autograd import Function
from steepest.viz.rules import rule_of


def _net():
    st.manual_seed(0)
    model = st.nn.Sequential(st.nn.Linear(2, 3), st.nn.Tanh(), st.nn.Linear(3, 1))
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    x = st.tensor(np.random.default_rng(0).standard_normal((4, 2)))
    y = st.tensor(np.random.default_rng(1).standard_normal((4, 1)))
    return model, x, y


def _loss(model, x, y):
    return ((model(x) - y) ** 2).mean()


def test_scalar_chain_rule_by_hand():
    x = st.tensor(0.5, dtype="float64", requires_grad=True)
    w = st.tensor(-1.5, dtype="float64", requires_grad=True)
    t = st.viz.trace((w * x).tanh() ** 2, params={"x": x, "w": w})
    assert [r.op for r in t.rows] == ["Pow", "Tanh", "Mul"]  # loss first: the engine's order
    y = np.tanh(-0.75)
    pow_row, tanh_row, mul_row = t.rows
    assert pow_row.upstream == 1.0
    assert tanh_row.upstream == pytest.approx(2 * y)  # d(y^2)/dy
    assert mul_row.upstream == pytest.approx(2 * y * (1 - y**2))  # times d tanh/du
    assert dict(mul_row.sent)["w"] == pytest.approx(2 * y * (1 - y**2) * 0.5)
    assert dict(mul_row.sent)["x"] == pytest.approx(2 * y * (1 - y**2) * -1.5)
    assert tanh_row.rule == "d tanh(x)/dx = 1 - tanh(x)^2 = 1 - y^2"
    assert "(= g x -1.5)" in str(t)


def test_leaf_gradients_are_the_engines_and_match_finite_differences():
    model, x, y = _net()
    t = st.viz.trace(_loss(model, x, y), params=model)
    named = dict(model.named_parameters())
    for name, p in named.items():
        sent = [g for r in t.rows for n, g in r.sent if n == name]
        assert len(sent) == 1  # each parameter feeds one op here
        np.testing.assert_array_equal(sent[0], p.grad.numpy())
        np.testing.assert_array_equal(t.leaves[name], p.grad.numpy())
        # and both are the true derivative: central differences in float64
        numeric = np.zeros_like(p.data)
        for i in np.ndindex(p.shape):
            old = p.data[i]
            p.data[i] = old + 1e-6
            up = float(_loss(model, x, y).item())
            p.data[i] = old - 1e-6
            down = float(_loss(model, x, y).item())
            p.data[i] = old
            numeric[i] = (up - down) / 2e-6
        np.testing.assert_allclose(p.grad.numpy(), numeric, rtol=1e-6, atol=1e-9)


def test_upstream_of_each_op_is_what_its_consumer_sent():
    model, x, y = _net()
    t = st.viz.trace(_loss(model, x, y), params=model)
    for r in t.rows:
        for name, g in r.sent:
            if name.startswith("["):  # an op input: "[k] Op" received exactly this as upstream
                k = int(name[1 : name.index("]")])
                np.testing.assert_array_equal(t.rows[k - 1].upstream, g)
    assert "| 1 | Mul () |" in t.to_markdown()


def test_big_graph_and_non_scalar_are_refused():
    x = st.randn(3, requires_grad=True)
    y = x
    for _ in range(60):
        y = y * 1.01
    with pytest.raises(ValueError, match="more than max_ops=50"):
        st.viz.trace(y.sum())
    with pytest.raises(ValueError, match="scalar"):
        st.viz.trace(x * 2)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_op_has_a_rule_in_words():
    import steepest.nn  # noqa: F401 - loads every op module (recurrent ones too)

    found = [c for c in _subclasses(Function) if c.__module__.startswith("steepest.")]
    assert {"LSTMSequence", "Conv2d", "Tanh"} <= {c.__name__ for c in found}
    missing = [f"{c.__module__}.{c.__name__}" for c in found if rule_of(c).startswith("see ")]
    assert not missing, f"add a rule in words to steepest/viz/rules.py for {missing}"
