"""st.nn.utils: gradient clipping and parameter vectors."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
from steepest.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)


def _with_grads(*grads):
    params = []
    for g in grads:
        p = st.tensor(np.zeros_like(g), dtype=np.float64, requires_grad=True)
        p.grad = st.tensor(g, dtype=np.float64)
        params.append(p)
    return params


def test_clip_grad_norm_returns_the_norm_before_clipping_and_scales():
    params = _with_grads(np.array([3.0, 0.0]), np.array([[4.0]]))
    norm = clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(norm, st.Tensor) and float(norm) == pytest.approx(5.0)
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad.data, [3.0 * coef, 0.0])
    np.testing.assert_allclose(params[1].grad.data, [[4.0 * coef]])
    total = np.sqrt(sum((p.grad.data**2).sum() for p in params))
    assert total == pytest.approx(1.0, abs=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = _with_grads(np.array([0.3, 0.4]))
    assert float(clip_grad_norm_(params, 1.0)) == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.data, [0.3, 0.4])


@pytest.mark.parametrize(
    ("norm_type", "expected"), [(1.0, 8.0), (float("inf"), 4.0), (3.0, 92 ** (1 / 3))]
)
def test_clip_grad_norm_other_norms(norm_type, expected):
    params = _with_grads(np.array([-1.0, 3.0]), np.array([4.0]))
    assert float(clip_grad_norm_(params, 100.0, norm_type=norm_type)) == pytest.approx(expected)


def test_clip_grad_norm_skips_missing_grads_and_accepts_one_tensor():
    p = st.tensor([1.0, 2.0], requires_grad=True)  # no grad
    assert float(clip_grad_norm_([p], 1.0)) == 0.0
    (q,) = _with_grads(np.array([6.0, 8.0]))
    assert float(clip_grad_norm_(q, 5.0)) == pytest.approx(10.0)
    np.testing.assert_allclose(q.grad.data, [3.0, 4.0], rtol=1e-6)


def test_clip_grad_norm_nonfinite():
    params = _with_grads(np.array([1.0, np.inf]))
    with pytest.raises(RuntimeError, match="norm of the gradients is inf"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    params = _with_grads(np.array([1.0, np.nan]))
    with np.errstate(invalid="ignore"):
        norm = clip_grad_norm_(params, 1.0)  # PyTorch's behavior: the gradients become NaN
    assert np.isnan(float(norm)) and np.isnan(params[0].grad.data).all()
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm_(params, -1.0)


def test_clip_grad_norm_keeps_float32():
    p = st.tensor([0.0, 0.0], requires_grad=True)
    p.grad = st.tensor([30.0, 40.0])
    norm = clip_grad_norm_([p], 1.0)
    assert norm.dtype == np.float32 and p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad.data, [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_on_optimizer_buffers_then_step():
    w = st.tensor([3.0, 4.0], dtype=np.float64, requires_grad=True)
    opt = st.optim.SGD([w], lr=1.0)
    (w * w).sum().backward()  # grad (6, 8), norm 10
    opt.step()  # the grad now lives in the optimizer's flat buffer
    opt.zero_grad()
    (w * w).sum().backward()
    before = w.data.copy()
    norm = float(clip_grad_norm_([w], 1.0))
    opt.step()
    np.testing.assert_allclose(w.data, before - 2 * before / (norm + 1e-6))


def test_clip_grad_value():
    params = _with_grads(np.array([-3.0, 0.2, 7.0]))
    clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.data, [-1.0, 0.2, 1.0])
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_(params, -1.0)


def test_optimizer_transforms_equal_the_functions():
    rng = np.random.default_rng(0)
    init = [rng.standard_normal((3, 2)), rng.standard_normal(4)]

    def run(use_transforms):
        params = [st.tensor(a, dtype=np.float64, requires_grad=True) for a in init]
        ts = [st.optim.ClipGradValue(2.0), st.optim.ClipGradNorm(0.5)] if use_transforms else []
        opt = st.optim.SGD(params, lr=0.1, momentum=0.9, transforms=ts)
        for _ in range(20):
            opt.zero_grad()
            ((params[0] ** 3).sum() + (params[1] ** 2).sum()).backward()
            if not use_transforms:
                clip_grad_value_(params, 2.0)
                clip_grad_norm_(params, 0.5)
            opt.step()
        return [p.data for p in params]

    for a, b in zip(run(True), run(False), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_parameters_to_vector_and_back():
    a = st.tensor(np.arange(6.0).reshape(2, 3), dtype=np.float64, requires_grad=True)
    b = st.tensor([10.0, 11.0], dtype=np.float64, requires_grad=True)
    vec = parameters_to_vector([a, b])
    np.testing.assert_array_equal(vec.data, [0, 1, 2, 3, 4, 5, 10, 11])
    opt = st.optim.SGD([a, b], lr=0.1)
    views = (a.data, b.data)
    vector_to_parameters(st.tensor(np.arange(8.0) * -1, dtype=np.float64), [a, b])
    np.testing.assert_array_equal(a.data, -np.arange(6.0).reshape(2, 3))
    assert a.data is views[0] and b.data is views[1]  # in place: the optimizer keeps them
    with pytest.raises(ValueError, match=r"shape \(7,\), the parameters need \(8,\)"):
        vector_to_parameters(st.tensor(np.zeros(7)), [a, b])
    del opt
