"""Derivatives at the corners of piecewise activations follow PyTorch's conventions.

The expected values are the one-sided derivative PyTorch picks at each corner (checked with
torch 2.13 when written): relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha (the x <= 0
branch), hardtanh and relu6 pass no gradient at their corners, hardswish'(-3) = 0 and
hardswish'(3) = 1, hardsigmoid'(+-3) = 0, softplus(x) = x beyond its threshold.
"""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
import steepest.nn.functional as F

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805

KINKS = [
    ("relu", F.relu, [0.0], [0.0]),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), [0.0], [0.1]),
    ("elu", F.elu, [0.0], [1.0]),
    ("elu alpha 2", lambda x: F.elu(x, 2.0), [0.0], [2.0]),
    ("selu", F.selu, [0.0], [SELU_ALPHA * SELU_SCALE]),
    ("celu alpha 2", lambda x: F.celu(x, 2.0), [0.0], [1.0]),
    ("hardtanh", F.hardtanh, [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]),
    ("relu6", F.relu6, [0.0, 6.0, 3.0], [0.0, 0.0, 1.0]),
    ("hardswish", F.hardswish, [-3.0, 3.0, 0.0], [0.0, 1.0, 0.5]),
    ("hardsigmoid", F.hardsigmoid, [-3.0, 3.0, 0.0], [0.0, 0.0, 1 / 6]),
    ("softplus past threshold", lambda x: F.softplus(x, 1.0, 20.0), [21.0], [1.0]),
    ("gelu", F.gelu, [0.0], [0.5]),
    ("silu", F.silu, [0.0], [0.5]),
    ("mish", F.mish, [0.0], [0.6]),
]


@pytest.mark.parametrize(("name", "fn", "points", "want"), KINKS, ids=[k[0] for k in KINKS])
def test_derivative_at_corner(name, fn, points, want):
    x = st.tensor(np.array(points), requires_grad=True)
    fn(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=1e-15)


def test_softplus_threshold_returns_x_and_beta_scales():
    x = st.tensor([25.0, 1.0])
    assert F.softplus(x).numpy()[0] == 25.0  # exactly x, as PyTorch
    np.testing.assert_allclose(
        F.softplus(x, beta=2.0).numpy()[1], np.log1p(np.exp(2.0)) / 2, rtol=1e-6
    )


def test_gelu_exact_is_default_and_tanh_is_an_option():
    x = st.tensor([1.0], dtype=np.float64)
    exact, approx = F.gelu(x).item(), F.gelu(x, approximate="tanh").item()
    assert exact == pytest.approx(0.8413447460685429, rel=1e-15)  # Phi(1)
    assert approx == pytest.approx(0.8411919906082768, rel=1e-15)
    assert st.nn.GELU()(x).item() == exact
    assert st.nn.GELU("tanh")(x).item() == approx
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(x, approximate="erf")
