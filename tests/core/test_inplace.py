"""In-place ops: PyTorch's rules for leaves, version counters caught at backward, flat buffers."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st


def test_textbook_gradient_descent_loop_keeps_the_leaf_and_converges():
    w = st.randn(3, generator=st.Generator(0), requires_grad=True)
    start = float((w * w).sum().item())
    for _ in range(100):
        loss = (w * w).sum()
        loss.backward()
        with st.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
    assert w.is_leaf and w.requires_grad
    assert float((w * w).sum().item()) < 1e-12 * max(start, 1.0)
    assert w._version == 100


@pytest.mark.parametrize(
    "update",
    [
        lambda w: w.__isub__(0.5),
        lambda w: w.sub_(0.5),
        lambda w: w.add_(-0.5),
        lambda w: w.add_(st.tensor([1.0, 1.0]), alpha=-0.5),
        lambda w: w.sub_(st.tensor([0.25, 0.25]), alpha=2),
    ],
)
def test_in_place_updates_under_no_grad_write_the_same_buffer(update):
    w = st.tensor([1.0, 2.0], requires_grad=True)
    buffer = w.data
    with st.no_grad():
        out = update(w)
    assert out is w and w.data is buffer
    np.testing.assert_allclose(w.numpy(), [0.5, 1.5])


def test_each_in_place_method_computes_what_pytorch_does():
    x = st.tensor([1.0, -2.0, 3.0])
    assert x.mul_(2) is x
    np.testing.assert_allclose(x.numpy(), [2, -4, 6])
    x.div_(st.tensor([2.0, 4.0, 3.0]))
    np.testing.assert_allclose(x.numpy(), [1, -1, 2])
    x *= 3
    x /= 2
    np.testing.assert_allclose(x.numpy(), [1.5, -1.5, 3])
    x.clamp_(-1.0, 2.0)
    np.testing.assert_allclose(x.numpy(), [1.5, -1, 2])
    x.clamp_(min=1.8)
    np.testing.assert_allclose(x.numpy(), [1.8, 1.8, 2])
    x.copy_(st.tensor([7.0, 8.0, 9.0], dtype=np.float64))
    assert x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), [7, 8, 9])
    x.fill_(4.0)
    np.testing.assert_allclose(x.numpy(), [4, 4, 4])
    x.zero_()
    np.testing.assert_allclose(x.numpy(), [0, 0, 0])
    assert x._version == 9


def test_normal_and_uniform_follow_the_global_seed_and_generator():
    x = st.zeros(1000)
    st.manual_seed(3)
    x.normal_(2.0, 0.5)
    first = x.numpy().copy()
    assert abs(first.mean() - 2.0) < 0.1 and abs(first.std() - 0.5) < 0.1
    st.manual_seed(3)
    np.testing.assert_array_equal(x.normal_(2.0, 0.5).numpy(), first)
    x.uniform_(-1.0, 3.0, generator=st.Generator(1))
    u = x.numpy()
    assert u.min() >= -1.0 and u.max() <= 3.0 and abs(u.mean() - 1.0) < 0.2
    np.testing.assert_array_equal(
        st.zeros(1000).uniform_(-1.0, 3.0, generator=st.Generator(1)).numpy(), u
    )


def test_in_place_on_a_0d_tensor():
    s = st.tensor(2.0)
    s += 1
    s.mul_(2)
    assert s.item() == 6.0 and s.shape == ()


def test_int_tensor_refuses_a_float_result_in_place():
    i = st.tensor([1, 2, 3])
    i += 2
    np.testing.assert_array_equal(i.numpy(), [3, 4, 5])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(0.5)


def test_in_place_result_must_fit_the_tensor_shape():
    x = st.zeros(3)
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        x.add_(st.ones(2, 3))


@pytest.mark.parametrize(
    "op",
    [
        lambda w: w.add_(1.0),
        lambda w: w.__iadd__(1.0),
        lambda w: w.zero_(),
        lambda w: w.fill_(1.0),
        lambda w: w.normal_(),
        lambda w: w.clamp_(0.0),
    ],
)
def test_a_leaf_that_requires_grad_refuses_in_place_outside_no_grad(op):
    w = st.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="a leaf Variable that requires grad is being used in an in-place operation",
    ):
        op(w)
    np.testing.assert_allclose(w.numpy(), [1, 2])  # unchanged
    assert w._version == 0


def test_in_place_on_a_graph_tensor_raises_and_names_the_out_of_place_spelling():
    w = st.tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    with pytest.raises(RuntimeError, match=r"recorded graph.*y = y \+ x"):
        y += 1
    total = st.zeros(2)
    with pytest.raises(RuntimeError, match="recorded graph"):
        total += y  # the operand requires grad: the result would need a graph node
    np.testing.assert_allclose(total.numpy(), [0, 0])


def test_input_changed_after_an_op_saved_it_raises_at_backward():
    w = st.tensor([1.0, 2.0], requires_grad=True)
    x = st.tensor([3.0, 4.0])
    y = (w * x).sum()
    x.mul_(10)  # Mul's rule needs the old x for w's gradient
    with pytest.raises(
        RuntimeError, match=r"modified by an inplace operation: input 1 of Mul .* version 1"
    ):
        y.backward()


def test_output_changed_after_an_op_saved_it_raises_at_backward():
    w = st.tensor([1.0, 2.0], requires_grad=True)
    e = w.exp()  # exp's rule reads its output
    with st.no_grad():
        e.add_(1)
    with pytest.raises(RuntimeError, match="its output of Exp"):
        e.sum().backward()


def test_leaf_updated_between_retained_backwards_raises():
    w = st.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    with st.no_grad():
        w.sub_(w.grad)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_a_change_an_op_does_not_need_is_allowed_as_in_pytorch():
    w = st.tensor([1.0, 2.0], requires_grad=True)
    b = st.tensor([5.0, 5.0])
    y = w + b  # add's rule reads neither input
    b.add_(1)
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1, 1])


def test_changes_before_the_op_ran_are_fine():
    x = st.tensor([3.0, 4.0])
    x.mul_(2)
    w = st.tensor([1.0, 2.0], requires_grad=True)
    (w * x).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [6, 8])


def test_data_writes_do_not_bump_the_version():
    w = st.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.data[...] = 0.0  # PyTorch's .data: an escape hatch the version counter does not see
    assert w._version == 0
    y.backward()  # no error, as in PyTorch (and a gradient of the new values)


def test_in_place_updates_keep_optimizer_flat_buffers_shared():
    model = st.nn.Linear(3, 2)
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    x = st.randn(4, 3, generator=st.Generator(0))
    model(x).sum().backward()
    views = [(p.data, p.grad.data) for p in model.parameters()]
    with st.no_grad():
        for p in model.parameters():
            p.mul_(0.5)
            p.grad.zero_()
    for p, (d, g) in zip(model.parameters(), views, strict=True):
        assert p.data is d and p.grad.data is g
        assert p.is_leaf and p.requires_grad
    before = [p.numpy().copy() for p in model.parameters()]
    model(x).sum().backward()
    opt.step()  # the flat buffers still hold the halved weights and the fresh gradients
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_allclose(p.numpy(), b - 0.1 * p.grad.numpy(), rtol=1e-6)


def test_a_change_through_a_view_is_seen_by_the_base_tensor():
    w = st.tensor([1.0, 2.0], requires_grad=True)
    x = st.tensor([3.0, 4.0])
    y = (w * x).sum()
    x[0].mul_(10)  # x[0] is a view of x's memory, as in PyTorch
    assert x._version == 1 and x.numpy()[0] == 30.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_a_change_through_detach_is_seen_by_the_graph():
    w = st.tensor([1.0, 2.0], requires_grad=True)
    e = w.exp()
    e.detach().zero_()  # detach shares memory and, as in PyTorch, the version counter
    with pytest.raises(RuntimeError, match="its output of Exp"):
        e.sum().backward()
