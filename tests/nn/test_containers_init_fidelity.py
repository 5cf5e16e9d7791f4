"""Sequential(OrderedDict), ParameterList/Dict naming, trunc_normal_, dropout2d, one_hot."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import steepest as st
import steepest.nn.functional as F
from steepest import nn


def test_sequential_ordered_dict_names_parameters_and_attributes():
    model = nn.Sequential(OrderedDict([("fc1", nn.Linear(4, 3)), ("act", nn.ReLU()),
                                       ("fc2", nn.Linear(3, 2))]))  # fmt: skip
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert model.fc2 is model[2]
    assert "(fc1): Linear" in repr(model)
    assert list(model[1:].state_dict()) == ["fc2.weight", "fc2.bias"]  # slices keep names
    model.append(nn.Linear(2, 1))
    assert "3.weight" in model.state_dict()
    assert model(st.randn(5, 4)).shape == (5, 1)
    with pytest.raises(KeyError):
        nn.Sequential(OrderedDict([("a.b", nn.ReLU())]))
    with pytest.raises(AttributeError):
        _ = model.nothing


def test_parameter_list_and_dict_state_dict_names():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([st.ones(2), nn.Parameter(st.zeros(3))])
            self.extra = nn.ParameterDict({"bias": st.zeros(1)})

    m = Model()
    assert list(m.state_dict()) == ["scales.0", "scales.1", "extra.bias"]
    assert all(isinstance(p, nn.Parameter) for p in m.scales)
    assert len(list(m.parameters())) == 3
    m.scales.append(st.ones(4))
    assert "scales.2" in m.state_dict()
    with pytest.raises(KeyError):
        m.extra["a.b"] = st.ones(1)


def test_trunc_normal_bounds_and_moments():
    w = nn.Parameter(st.zeros(200_000, dtype=np.float64))
    nn.init.trunc_normal_(w, mean=0.5, std=1.0, a=-0.5, b=1.0, generator=st.Generator(0))
    v = w.numpy()
    assert v.min() >= -0.5 and v.max() <= 1.0
    # moments of N(0.5, 1) truncated to [-0.5, 1]: alpha = -1, beta = 0.5
    from math import erf, exp, pi, sqrt

    def phi(z):
        return exp(-z * z / 2) / sqrt(2 * pi)

    def cdf(z):
        return 0.5 * (1 + erf(z / sqrt(2)))

    zmass = cdf(0.5) - cdf(-1.0)
    mean = 0.5 + (phi(-1.0) - phi(0.5)) / zmass
    var = 1 + (-1.0 * phi(-1.0) - 0.5 * phi(0.5)) / zmass - ((phi(-1.0) - phi(0.5)) / zmass) ** 2
    assert v.mean() == pytest.approx(mean, abs=4e-3)
    assert v.var() == pytest.approx(var, abs=4e-3)
    with pytest.raises(ValueError, match="6 std"):
        nn.init.trunc_normal_(w, mean=0.0, std=1.0, a=10.0, b=11.0)


def test_dropout2d_drops_whole_channels():
    x = st.ones(4, 16, 3, 3)
    y = F.dropout2d(x, 0.5, generator=st.Generator(0)).numpy()
    per_plane = y.reshape(4, 16, -1)
    assert np.all(per_plane.min(-1) == per_plane.max(-1))  # each plane all 0 or all 2
    assert set(np.unique(per_plane)) == {0.0, 2.0}
    layer = nn.Dropout2d(0.5)
    layer.eval()
    assert layer(x) is x
    assert F.dropout(x, 0.3, False) is x  # PyTorch's positional (input, p, training)


def test_one_hot():
    got = F.one_hot(st.tensor(np.array([[0, 2], [1, 1]])), 4)
    assert got.dtype == np.int64 and got.shape == (2, 2, 4)
    np.testing.assert_array_equal(got.numpy()[0, 1], [0, 0, 1, 0])
    assert F.one_hot(st.tensor(np.array([3]))).shape == (1, 4)  # num_classes = max + 1
    with pytest.raises(ValueError, match="labels"):
        F.one_hot(st.tensor(np.array([5])), 3)
    with pytest.raises(TypeError):
        F.one_hot(st.tensor([0.0]))
