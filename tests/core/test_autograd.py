"""The backpropagation engine: accumulation, graph freeing, grad(), higher order, depth, errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from hypothesis.extra import numpy as hnp

import steepest as st


def f64(*shape, seed=0, requires_grad=True):
    return st.randn(
        *shape, generator=st.Generator(seed), dtype=np.float64, requires_grad=requires_grad
    )


def test_gradients_accumulate_across_backward_calls():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_leaf_grad_buffer_is_reused_in_place():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    buffer = x.grad.data
    (x * 2).sum().backward()
    assert x.grad.data is buffer
    np.testing.assert_allclose(buffer, [4, 4])


def test_shared_gradient_is_not_aliased_between_leaves():
    a = st.tensor([1.0], requires_grad=True)
    b = st.tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    (a * 5).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [6])
    np.testing.assert_allclose(b.grad.numpy(), [1])


def test_diamond_graph_sums_both_paths():
    x = st.tensor(3.0, requires_grad=True)
    y = x * x
    z = y + y * x  # dz/dx = 2x + 3x^2
    z.backward()
    assert x.grad.item() == pytest.approx(2 * 3 + 3 * 9)


def test_graph_is_freed_after_backward():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * 2).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"freed graph.*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * 2).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_non_scalar_backward_needs_a_gradient():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*explicit gradient"):
        y.backward()
    y.backward(st.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 20])


def test_backward_without_requires_grad_says_why():
    with pytest.raises(RuntimeError, match="does not require grad"):
        st.tensor(1.0).backward()


def test_no_grad_records_nothing():
    x = st.tensor([1.0], requires_grad=True)
    with st.no_grad():
        y = x * 2
        with st.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad


def test_no_grad_as_decorator():
    @st.no_grad()
    def f(x):
        return x * 2

    assert not f(st.tensor([1.0], requires_grad=True)).requires_grad


def test_grad_returns_without_touching_dot_grad():
    x = f64(3)
    y = (x * x).sum()
    (g,) = st.grad(y, x)
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy())
    assert x.grad is None


def test_grad_of_unused_input():
    x, y = f64(2), f64(2, seed=1)
    with pytest.raises(RuntimeError, match="not used"):
        st.grad((x * 2).sum(), [x, y])
    gx, gy = st.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and gx is not None


def test_grad_with_respect_to_an_intermediate():
    x = f64(3)
    h = x.exp()
    (gh,) = st.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), 2 * np.exp(x.numpy()))


def test_second_derivative_with_create_graph():
    x = st.tensor(2.0, dtype=np.float64, requires_grad=True)
    (d1,) = st.grad(x**3, x, create_graph=True)
    (d2,) = st.grad(d1, x, create_graph=True)
    (d3,) = st.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == pytest.approx((12.0, 12.0, 6.0))


def test_hvp_matches_finite_differences_of_gradients():
    w = f64(4, 3, seed=3)
    target = f64(5, 3, seed=4, requires_grad=False)
    data = f64(5, 4, seed=5, requires_grad=False)

    def loss(w):
        return ((data @ w).tanh() - target).pow(2).sum() + (w * w * w).sum()

    v = f64(4, 3, seed=6, requires_grad=False)
    value, (hv,) = st.autograd.hvp(loss, w, v)

    def gradient(w_array):
        x = st.Tensor(w_array, requires_grad=True)
        return st.grad(loss(x), x)[0].numpy()

    eps = 1e-6
    numeric = (gradient(w.numpy() + eps * v.numpy()) - gradient(w.numpy() - eps * v.numpy())) / (
        2 * eps
    )
    np.testing.assert_allclose(hv.numpy(), numeric, rtol=1e-5, atol=1e-7)
    assert value.item() == pytest.approx(loss(w).item())


def test_backward_through_a_chain_100000_ops_deep():
    x = st.tensor(1.0, dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0


def test_backward_order_is_deterministic():
    def run():
        x = f64(50, seed=9)
        ys = [(x * i).tanh() for i in range(20)]
        total = ys[0]
        for y in ys[1:]:
            total = total + y * ys[0]
        total.sum().backward()
        return x.grad.numpy().tobytes()

    assert run() == run()


def test_unbroadcast_in_the_engine():
    a = f64(3, 1)
    b = f64(1, 4, seed=1)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4)
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(b.numpy().sum(), (3, 1)))


def test_op_errors_name_the_op_and_shapes():
    with pytest.raises(st.OpError, match=r"Add\(inputs: \(2, 3\) float32, \(4,\) float32\)"):
        st.zeros(2, 3) + st.zeros(4)
    with pytest.raises(st.OpError, match=r"MatMul.*\(2, 3\).*\(4, 5\)"):
        st.zeros(2, 3) @ st.zeros(4, 5)
    with pytest.raises(IndexError, match=r"Sum.*dimension out of range"):
        st.zeros(2, 3).sum(axis=2)


def test_anomaly_detection_names_the_op():
    x = st.tensor([0.0, 1.0], requires_grad=True)
    with st.autograd.detect_anomaly(), pytest.raises(FloatingPointError, match="forward of Log"):
        x.log().sum()  # log(0) = -inf: named, and NumPy's warning does not get there first


def test_anomaly_detection_blames_data_not_the_first_op_that_sees_it():
    x = st.tensor([[np.inf, 1.0]])
    w = st.ones(2, 2, requires_grad=True)
    with st.autograd.detect_anomaly(), pytest.raises(FloatingPointError, match="already non"):
        x @ w


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only float"):
        st.tensor([1, 2], requires_grad=True)


def test_scalars_keep_the_tensor_dtype():
    x = st.ones(3)
    assert (x * 2.5).dtype == np.float32
    assert (2.5 - x).dtype == np.float32
    assert (st.ones(3, dtype=np.float64) * 2).dtype == np.float64


def test_validation_survives_python_dash_O():
    code = (
        "import steepest as st\n"
        "try:\n    st.zeros(2) + st.zeros(3)\nexcept st.OpError as e:\n    print('OpError', e)\n"
        "try:\n    st.tensor([1.0, 2.0], requires_grad=True).__mul__(2).backward()\n"
        "except RuntimeError as e:\n    print('RuntimeError', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-O", "-c", code], capture_output=True, text=True, check=True
    )
    assert "OpError" in out.stdout and "explicit gradient" in out.stdout


@settings(max_examples=60, deadline=None)
@given(
    hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    hst.sampled_from(["add", "sub", "mul", "maximum"]),
)
def test_broadcasting_gradients_have_input_shapes(shapes, op):
    (sa, sb), result = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(0)
    a = st.Tensor(rng.standard_normal(sa), requires_grad=True)
    b = st.Tensor(rng.standard_normal(sb) + 3.0, requires_grad=True)
    out = getattr(st, op)(a, b)
    assert out.shape == result
    out.sum().backward()
    assert a.grad.shape == sa and b.grad.shape == sb
    assert st.gradcheck(getattr(st, op), [a, b])


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
        elements=hst.floats(-1e4, 1e4),
    )
)
def test_activations_stay_finite_for_large_inputs(x):
    t = st.Tensor(x, requires_grad=True)
    for f in (
        st.sigmoid,
        st.tanh,
        st.softplus,
        st.elu,
        st.gelu,
        st.softmax,
        st.log_softmax,
        st.logsumexp,
    ):
        out = f(t)
        out.sum().backward()
        assert np.isfinite(out.numpy()).all(), f.__name__
        assert np.isfinite(t.grad.numpy()).all(), f.__name__
        t.grad = None
