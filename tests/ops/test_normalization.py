"""batch_norm beyond the op table: running statistics, bad input, the nn layer on top."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st


def test_running_statistics_move_towards_the_batch_in_place():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(16, 3, 4, 4))
    rm, rv = np.zeros(3), np.ones(3)
    st.batch_norm(x, rm, rv, training=True, momentum=0.25)
    m = 16 * 4 * 4
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) * m / (m - 1)
    np.testing.assert_allclose(rm, 0.25 * mean, rtol=1e-12)
    np.testing.assert_allclose(rv, 0.75 + 0.25 * var, rtol=1e-12)


def test_the_layer_matches_the_composed_formula_and_its_gradients():
    rng = np.random.default_rng(1)
    bn = st.nn.BatchNorm2d(3, dtype=np.float64)
    bn.weight.data[...] = rng.uniform(0.5, 1.5, 3)
    bn.bias.data[...] = rng.uniform(-1, 1, 3)
    x = st.tensor(rng.normal(size=(4, 3, 5, 5)), requires_grad=True)
    y = bn(x)
    g = rng.normal(size=y.shape)
    (y * st.tensor(g)).sum().backward()

    x2 = st.tensor(x.data, requires_grad=True)
    w2 = st.tensor(bn.weight.data, requires_grad=True)
    b2 = st.tensor(bn.bias.data, requires_grad=True)
    mean, var = x2.mean((0, 2, 3), keepdims=True), x2.var((0, 2, 3), keepdim=True, correction=0)
    y2 = (x2 - mean) / (var + 1e-5).sqrt() * w2.reshape(1, 3, 1, 1) + b2.reshape(1, 3, 1, 1)
    (y2 * st.tensor(g)).sum().backward()
    np.testing.assert_allclose(y.data, y2.data, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, x2.grad.data, atol=1e-10)
    np.testing.assert_allclose(bn.weight.grad.data, w2.grad.data, atol=1e-10)
    np.testing.assert_allclose(bn.bias.grad.data, b2.grad.data, atol=1e-10)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: st.batch_norm(np.ones(3), training=True), r"\(N, C, \.\.\.\), got \(3,\)"),
        (lambda: st.batch_norm(np.ones((1, 3)), training=True), "more than 1 value per channel"),
        (lambda: st.batch_norm(np.ones((4, 3)), weight=st.ones(2), training=True), r"\(3,\)"),
        (lambda: st.batch_norm(np.ones((4, 3))), "training=False needs running_mean"),
        (lambda: st.batch_norm(np.ones((4, 3)), np.zeros(3), training=True), "both running"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
