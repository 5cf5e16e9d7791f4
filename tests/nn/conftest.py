"""Shared helpers for the nn tests."""

import numpy as np
import pytest

import steepest as st


def _check_module(module, *inputs, **kwargs):
    """gradcheck a module with respect to its float inputs AND every parameter (float64)."""
    params = list(module.parameters())
    assert params or inputs, "nothing to check"
    for p in params:
        assert p.dtype == np.float64, "build the layer with dtype=np.float64"
    n = len(inputs)

    def fn(*args):
        return module(*args[:n])

    return st.gradcheck(fn, [*inputs, *params], **kwargs)


@pytest.fixture
def check_module():
    return _check_module


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def tensor64(rng, *shape, requires_grad=True):
    return st.Tensor(rng.standard_normal(shape), requires_grad=requires_grad)


@pytest.fixture
def randn64(rng):
    return lambda *shape, requires_grad=True: tensor64(rng, *shape, requires_grad=requires_grad)
