"""Batch norm's compiled passes (ops/normalization.c) against its NumPy path: the output, the
running statistics and every gradient, float32 and float64, channels split across threads or
not; float32 statistics of values far from zero; and the NumPy path for other layouts."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
from steepest.ops import fused, normalization, threads

RNG = np.random.default_rng(0)


@pytest.fixture
def compiled(compiled_loops):
    compiled_loops("batchnorm_forward", "normalization.c")


def _innermost(a):
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def _run(x, w, b, g, monkeypatch=None, numpy_path=False):
    if numpy_path:
        monkeypatch.setattr(normalization, "_compiled", lambda *a: None)
    rm, rv = np.zeros(x.shape[1], x.dtype), np.ones(x.shape[1], x.dtype)
    xt, wt, bt = (st.Tensor(a, requires_grad=True) for a in (x, w, b))
    y = st.batch_norm(xt, rm, rv, wt, bt, training=True)
    y.backward(st.Tensor(g))
    if numpy_path:
        monkeypatch.undo()
    return [y.numpy(), rm, rv, xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 3, 4, 3), (37, 6, 9, 7)])  # m = 60, 2,331: vector tails
def test_matches_the_numpy_path(compiled, monkeypatch, dtype, shape):
    x = _innermost(RNG.standard_normal(shape).astype(dtype) * 3 + 1)
    w, b = (RNG.standard_normal(shape[1]).astype(dtype) for _ in range(2))
    g = _innermost(RNG.standard_normal(shape).astype(dtype))
    calls = []
    real = fused.get
    monkeypatch.setattr(fused, "get", lambda name, *a: calls.append(name) or real(name, *a))
    got = _run(x, w, b, g)
    assert {"batchnorm_forward", "batchnorm_backward"} <= set(calls)
    monkeypatch.undo()
    want = _run(x, w, b, g, monkeypatch, numpy_path=True)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b_ in zip(got, want, strict=True):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b_, rtol=tol, atol=tol)


def test_the_channel_split(compiled, monkeypatch):
    monkeypatch.setattr(threads, "MIN_ELEMENTS_PER_BLOCK", 1)
    threads.set_num_threads(3)
    try:
        x = _innermost(RNG.standard_normal((9, 5, 4, 4)))
        g = _innermost(RNG.standard_normal((9, 5, 4, 4)))
        got = _run(x, np.ones(5), np.zeros(5), g)
    finally:
        threads.set_num_threads(threads.default_threads())
    want = _run(x, np.ones(5), np.zeros(5), g, monkeypatch, numpy_path=True)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_float32_statistics_far_from_zero(compiled):
    """Sums kept in float64: a mean of 1000 and a spread of 1 lose nothing in float32."""
    x64 = RNG.standard_normal((64, 2, 16, 16)) + 1000.0
    y = st.batch_norm(st.Tensor(_innermost(x64.astype(np.float32))), training=True).numpy()
    x32 = x64.astype(np.float32).astype(np.float64)  # the values the float32 input holds
    mu, var = x32.mean(axis=(0, 2, 3), keepdims=True), x32.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x32 - mu) / np.sqrt(var + 1e-5), atol=3e-5)


def test_gradcheck_through_the_compiled_path(compiled):
    x = st.Tensor(_innermost(RNG.standard_normal((18, 2, 3, 3))), requires_grad=True)
    w = st.Tensor(RNG.standard_normal(2), requires_grad=True)
    b = st.Tensor(RNG.standard_normal(2), requires_grad=True)
    assert st.gradcheck(lambda x_, w_, b_: st.batch_norm(x_, weight=w_, bias=b_, training=True),
                        [x, w, b])  # fmt: skip


def test_other_layouts_take_the_numpy_path():
    nchw = np.zeros((4, 3, 2, 2))
    assert normalization._compiled("batchnorm_forward", nchw) is None
    assert normalization._compiled("batchnorm_forward", np.zeros((4, 3))) is None
