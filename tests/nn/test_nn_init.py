"""Initializers: statistics, gains, orthogonality, seeding, and the layers' documented defaults."""

import math

import numpy as np
import pytest

import steepest as st
from steepest import nn
from steepest.nn import init


def blank(*shape, dtype=np.float64):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


def test_gains_match_the_published_values():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fans_of_linear_and_conv_weights():
    assert init.calculate_fans(blank(20, 10)) == (10, 20)
    assert init.calculate_fans(blank(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="shape \\(5,\\)"):
        init.calculate_fans(blank(5))


@pytest.mark.parametrize(
    ("fill", "mean", "std"),
    [
        (lambda w, g: init.uniform(w, -2.0, 4.0, generator=g), 1.0, 6 / math.sqrt(12)),
        (lambda w, g: init.normal(w, 0.5, 2.0, generator=g), 0.5, 2.0),
        (lambda w, g: init.xavier_uniform(w, gain=2.0, generator=g), 0.0, 2 * math.sqrt(2 / 600)),
        (lambda w, g: init.xavier_normal(w, generator=g), 0.0, math.sqrt(2 / 600)),
        (
            lambda w, g: init.kaiming_uniform(w, nonlinearity="relu", generator=g),
            0.0,
            math.sqrt(2 / 200),
        ),
        (
            lambda w, g: init.kaiming_normal(w, mode="fan_out", nonlinearity="relu", generator=g),
            0.0,
            math.sqrt(2 / 400),
        ),
        (
            lambda w, g: init.kaiming_normal(w, a=0.2, nonlinearity="leaky_relu", generator=g),
            0.0,
            math.sqrt(2 / (1 + 0.04) / 200),
        ),
        (lambda w, g: init.lecun_normal(w, generator=g), 0.0, math.sqrt(1 / 200)),
        (lambda w, g: init.lecun_uniform(w, generator=g), 0.0, math.sqrt(1 / 200)),
    ],
)
def test_statistics_of_random_initializers(fill, mean, std):
    w = blank(400, 200)  # 80,000 draws: the sample std is within ~0.5% of the true one
    fill(w, st.Generator(3))
    assert w.data.mean() == pytest.approx(mean, abs=4 * std / math.sqrt(w.numel()))
    assert w.data.std() == pytest.approx(std, rel=0.02)


def test_uniform_bounds_are_respected():
    w = blank(300, 100)
    init.kaiming_uniform(w, a=math.sqrt(5), generator=st.Generator(0))
    bound = 1 / math.sqrt(100)  # PyTorch's Linear default reduces to 1 / sqrt(fan_in)
    assert np.abs(w.data).max() <= bound
    assert np.abs(w.data).max() > 0.99 * bound


def test_constant_zeros_ones():
    w = blank(3, 4)
    assert np.all(init.constant(w, 2.5).data == 2.5)
    assert np.all(init.ones(w).data == 1.0)
    assert np.all(init.zeros(w).data == 0.0)


@pytest.mark.parametrize("shape", [(6, 10), (10, 6), (4, 2, 3, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    w = init.orthogonal(blank(*shape), gain=2.0, generator=st.Generator(1))
    m = w.data.reshape(shape[0], -1)
    rows, cols = m.shape
    product = m @ m.T if rows <= cols else m.T @ m
    np.testing.assert_allclose(product, 4.0 * np.eye(min(rows, cols)), atol=1e-12)


def test_same_seed_same_values_and_default_generator_follows_manual_seed():
    a = init.xavier_uniform(blank(5, 5), generator=st.Generator(7))
    b = init.xavier_uniform(blank(5, 5), generator=st.Generator(7))
    np.testing.assert_array_equal(a.data, b.data)
    c = init.xavier_uniform(blank(5, 5), generator=st.Generator(8))
    assert not np.array_equal(a.data, c.data)
    st.manual_seed(11)
    d = init.normal(blank(5, 5))
    st.manual_seed(11)
    e = init.normal(blank(5, 5))
    np.testing.assert_array_equal(d.data, e.data)


def test_float32_draws_equal_float64_draws_rounded():
    a = init.normal(blank(4, 4, dtype=np.float32), generator=st.Generator(2))
    b = init.normal(blank(4, 4), generator=st.Generator(2))
    np.testing.assert_array_equal(a.data, b.data.astype(np.float32))


def test_initializers_write_in_place():
    w = blank(4, 4)
    buffer = w.data
    init.orthogonal(w)
    init.kaiming_normal(w)
    assert w.data is buffer


def test_layer_defaults_follow_pytorch():
    lin = nn.Linear(50, 400, generator=st.Generator(0))
    bound = 1 / math.sqrt(50)
    assert np.abs(lin.weight.data).max() <= bound and np.abs(lin.bias.data).max() <= bound
    assert lin.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
    emb = nn.Embedding(1000, 20, generator=st.Generator(0))
    assert emb.weight.data.std() == pytest.approx(1.0, rel=0.03)
    rnn = nn.LSTM(3, 16, generator=st.Generator(0))
    assert all(np.abs(p.data).max() <= 0.25 for p in rnn.parameters())
    bn = nn.BatchNorm1d(4)
    assert np.all(bn.weight.data == 1) and np.all(bn.bias.data == 0)
    assert nn.Linear(3, 3).weight.dtype == st.default_dtype()
    assert nn.Linear(3, 3, dtype=np.float64).weight.dtype == np.float64


def test_layers_built_with_the_same_generator_seed_are_identical():
    a = nn.Linear(4, 3, generator=st.Generator(5))
    b = nn.Linear(4, 3, generator=st.Generator(5))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_invalid_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform(blank(2, 2), 1.0, 0.0)
    with pytest.raises(ValueError, match="std"):
        init.normal(blank(2, 2), std=-1.0)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform(blank(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match=">= 2 dimensions"):
        init.orthogonal(blank(3))
