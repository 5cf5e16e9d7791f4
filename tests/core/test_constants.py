"""Python scalars in ops become shared constant Tensors: same results, one object per value."""

from __future__ import annotations

import math

import numpy as np

import steepest as st
from steepest import autograd


def test_a_repeated_scalar_is_one_shared_constant():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    a, b = x * 0.999, x * 0.999
    assert a._ctx.parents[1] is b._ctx.parents[1]
    assert not a._ctx.parents[1].requires_grad
    assert a._ctx.parents[1].dtype == np.float32  # the dtype of the tensor it meets
    c = st.tensor([1.0], dtype=np.float64, requires_grad=True) * 0.999
    assert c._ctx.parents[1].dtype == np.float64


def test_signed_zero_and_nan_keep_their_meaning():
    x = st.tensor([1.0, 2.0])
    assert all(math.copysign(1, v) == 1 for v in (x * 0.0).data)
    assert all(math.copysign(1, v) == -1 for v in (x * -0.0).data)
    assert np.isnan((x + math.nan).data).all()
    assert len(autograd._constants) <= 1024


def test_gradients_through_shared_constants():
    x = st.tensor([1.0, -2.0, 3.0], dtype=np.float64, requires_grad=True)
    y = x
    for i in range(50):
        y = y * 0.5 + 0.25 * (i % 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full(3, 0.5**50))
