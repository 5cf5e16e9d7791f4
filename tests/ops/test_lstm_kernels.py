"""The compiled LSTM step loops (ops/recurrent.c via ops/fused.py) against the NumPy path of
LSTMSequence: forward output and the gradient of every input, float32 and float64, with and
without biases, dh0 needed or not; a gradcheck through the compiled path; the fallback."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import steepest as st
from steepest.ops import fused
from steepest.ops.recurrent import LSTMSequence


@pytest.fixture
def compiled(compiled_loops):
    compiled_loops("lstm_step", "recurrent.c")
    yield
    fused.set_enabled(True)


def _inputs(seed, t_len, n, d, h, bias, dtype, h0_grad=True):
    rng = np.random.default_rng(seed)
    shapes = [(t_len, n, d), (n, h), (n, h), (4 * h, d), (4 * h, h)]
    shapes += [(4 * h,), (4 * h,)] if bias else []
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    arrays[0] *= 2.0  # pre-activations well past the tanh's linear part
    grads = [True] * len(arrays)
    grads[1] = h0_grad
    return arrays, grads


def _run(arrays, grads, weight):
    ts = [st.Tensor(a, requires_grad=g) for a, g in zip(arrays, grads, strict=True)]
    y = LSTMSequence.apply(*ts)
    (y * st.Tensor(weight)).sum().backward()
    return y.numpy(), [None if t.grad is None else t.grad.numpy() for t in ts]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("bias", "h0_grad"), [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize(("t_len", "n", "d", "h"), [(5, 3, 4, 6), (1, 1, 2, 1), (7, 8, 3, 16)])
def test_compiled_steps_match_the_numpy_path(compiled, dtype, bias, h0_grad, t_len, n, d, h):
    arrays, grads = _inputs(t_len * 100 + n, t_len, n, d, h, bias, dtype, h0_grad)
    weight = np.random.default_rng(1).standard_normal((t_len + 2, n, h)).astype(dtype)
    fused.set_enabled(False)
    want_y, want_g = _run(arrays, grads, weight)
    fused.set_enabled(True)
    got_y, got_g = _run(arrays, grads, weight)
    # float64: libm's tanh both ways, only the order of additions differs;
    # float32: the rational tanh (within 4e-7) against NumPy's
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-5)
    assert got_y.dtype == dtype
    np.testing.assert_allclose(got_y, want_y, **tol)
    for got, want, needed in zip(got_g, want_g, grads, strict=True):
        assert (got is None) == (not needed)
        if needed:
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, **tol)


def test_gradcheck_through_the_compiled_steps(compiled):
    arrays, _ = _inputs(3, 4, 2, 3, 3, True, np.float64)
    inputs = [st.Tensor(a, requires_grad=True) for a in arrays]
    assert st.gradcheck(lambda *xs: LSTMSequence.apply(*xs), inputs)


def test_float32_tanh_is_within_4e_7(compiled):
    """The g gate with zero recurrent input and bias is tanh(x W_ih^T): read it back raw."""
    lib = fused.LSTM.load()["lstm_step"][np.dtype(np.float32)]
    m = 100_001
    z = np.linspace(-12, 12, m, dtype=np.float32)
    a = np.zeros((4, m), np.float32)
    a[2] = z
    rec, c_prev = np.zeros((4, m), np.float32), np.zeros(m, np.float32)
    c, tc, h = (np.empty(m, np.float32) for _ in range(3))
    ptr = fused.pointer
    lib(ptr(a), m, ptr(rec), ptr(c_prev), ptr(c), ptr(tc), ptr(h), m)
    exact = np.tanh(z.astype(np.float64))
    assert np.abs(a[2] - exact).max() < 4e-7
    np.testing.assert_allclose(a[0], 0.5, rtol=1e-7)  # sigmoid(0)
    np.testing.assert_allclose(tc, np.tanh(c.astype(np.float64)), atol=4e-7)


def test_without_a_compiler_the_numpy_path_runs(without_compiler):
    assert fused.get("lstm_step", np.zeros(2)) is None
    assert fused.status().startswith("NumPy path: no fused loops (FileNotFoundError")
    arrays, grads = _inputs(0, 3, 2, 2, 2, True, np.float64)
    y, _ = _run(arrays, grads, np.ones((5, 2, 2)))
    assert np.isfinite(y).all()


def test_the_switch_and_pointers():
    """set_enabled(False) turns every compiled loop off; pointers are plain ints for ctypes."""
    fused.set_enabled(False)
    assert fused.status().startswith("NumPy path: fused loops disabled")
    fused.set_enabled(True)
    with pytest.raises(TypeError, match=r"ops\.fused\.set_enabled"):
        fused.set_enabled(1)
    assert isinstance(ctypes.c_void_p(fused.pointer(np.zeros(1))).value, int)
