"""ReLU's backward in one compiled pass (ops/activation.c): the same gradient as the NumPy form
g * (x > 0) in every memory layout, split across threads or not, with second derivatives, and
the NumPy form wherever the arrays are not dense alike."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
from steepest.ops import threads
from steepest.ops.activation import ReLUGrad, _runs

RNG = np.random.default_rng(0)


@pytest.fixture
def compiled(compiled_loops):
    compiled_loops("relu_backward", "activation.c")


def _layouts(shape):
    x = RNG.standard_normal(shape)
    yield "c-order", x
    yield "batch-innermost", np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    yield "strided", np.repeat(x, 2, axis=3)[..., ::2]  # not dense: the NumPy form


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 2, 5, 4), (16, 8, 48, 48)])  # NumPy form; compiled
def test_gradient_matches_the_numpy_form(compiled, dtype, shape):
    for name, x in _layouts(shape):
        x = x.astype(dtype)
        x.flat[::7] = 0.0  # relu's kink: no gradient at x == 0, as PyTorch
        xt = st.Tensor(x, requires_grad=True)
        y = st.relu(xt)
        g = RNG.standard_normal(shape).astype(dtype)
        y.backward(st.Tensor(g))
        assert xt.grad.dtype == dtype, name
        np.testing.assert_array_equal(xt.grad.numpy(), g * (x > 0), err_msg=name)


def test_the_split_covers_every_element_once(compiled, monkeypatch):
    monkeypatch.setattr(threads, "MIN_ELEMENTS_PER_UFUNC_BLOCK", 7)
    threads.set_num_threads(3)
    try:
        x, g = RNG.standard_normal((5, 52429)), RNG.standard_normal((5, 52429))
        np.testing.assert_array_equal(ReLUGrad.apply(g, x=x).numpy(), g * (x > 0))
    finally:
        threads.set_num_threads(threads.default_threads())


def test_both_paths_give_the_numpy_form_for_nan_and_inf(compiled):
    """g * (x > 0) exactly: a NaN g where x <= 0 stays NaN, on either path."""
    x = np.tile([-1.0, 2.0, 0.0, 3.0], 1 << 16)
    g = np.tile([np.nan, np.inf, np.nan, -2.0], 1 << 16)
    want = g * (x > 0)
    np.testing.assert_array_equal(ReLUGrad.apply(g, x=x).numpy(), want)  # compiled (256K)
    np.testing.assert_array_equal(ReLUGrad.apply(g[:8], x=x[:8]).numpy(), want[:8])  # NumPy


def test_second_derivatives():
    x = st.Tensor(RNG.standard_normal((4, 6)) + 0.05, requires_grad=True)
    assert st.gradgradcheck(lambda a: st.relu(a) ** 3, [x])


def test_cropped_gradient_views_take_the_compiled_path(compiled):
    """A convolution's input gradient is a crop of padded planes: runs with gaps between."""
    x = np.ascontiguousarray(RNG.standard_normal((3, 6, 5, 4096)))  # (C, H, W, N)
    padded = RNG.standard_normal((3, 8, 7, 4096))
    g = padded[:, 1:7, 1:6]
    assert _runs(g, x) == ((3, 6, 5 * 4096), (8 * 7 * 4096, 7 * 4096), (6 * 5 * 4096, 5 * 4096))
    np.testing.assert_array_equal(ReLUGrad.apply(g, x=x).numpy(), g * (x > 0))


def test_runs():
    a = np.zeros((4, 5))
    assert _runs(np.ones((4, 5)), a) == ((1, 1, 20), (0, 0), (0, 0))
    assert _runs(np.ones((4, 5)).T, a.T) == ((1, 1, 20), (0, 0), (0, 0))
    assert _runs(np.ones((5, 4)).T, a) is None  # one layout each: no common run
    assert _runs(np.ones((4, 10))[:, ::2], a) is None  # g's values not contiguous
    assert _runs(np.ones((4, 5))[::-1], a[::-1]) is None  # negative strides
    assert _runs(np.ones((4, 5), np.float32), a) is None  # dtypes differ
    assert _runs(np.ones((2, 3, 4))[:, :, :2], np.zeros((2, 3, 2))) == ((1, 6, 2), (0, 4), (0, 2))
