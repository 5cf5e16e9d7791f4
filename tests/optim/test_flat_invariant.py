"""The flat-buffer invariant (docs/architecture.md, "Flat buffers").

An optimizer points every parameter's ``.data`` and ``.grad.data`` at views of its flat
buffers. Gradient accumulation, ``Module.zero_grad``, ``Module.load_state_dict`` and a
``Module.to`` that changes nothing must write through those views, never rebind them; each
test below fails if one of the four rebinds.
"""

import itertools

import numpy as np
import pytest

import steepest as st


def _stepped():
    """A model whose optimizer has taken one step, so its views are in place."""
    st.manual_seed(0)
    model = st.nn.Sequential(st.nn.Linear(4, 5), st.nn.Tanh(), st.nn.Linear(5, 2))
    opt = st.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = st.randn(8, 4)
    model(x).pow(2).mean().backward()
    opt.step()
    return model, opt, x


def _views(model):
    return [(p.data, p.grad, p.grad.data) for p in model.parameters()]


def _assert_same_views(model, before):
    for (data, grad, grad_data), p in zip(before, model.parameters(), strict=True):
        assert p.data is data, "a parameter's .data was rebound"
        assert p.grad is grad and p.grad.data is grad_data, "a parameter's .grad was rebound"


def test_the_optimizer_views_share_one_buffer():
    model, _, _ = _stepped()
    params = list(model.parameters())
    # the parameters lie end to end in one array: a write to a view is a write to it
    assert not any(np.shares_memory(a.data, b.data) for a, b in itertools.pairwise(params))
    first, last = params[0].data, params[-1].data
    base = first.base if first.base is not None else first
    assert np.shares_memory(base, last)


def test_gradient_accumulation_writes_in_place():
    model, _, x = _stepped()
    before = _views(model)
    old = [p.grad.data.copy() for p in model.parameters()]
    model(x).pow(2).mean().backward()  # adds to the existing .grad
    _assert_same_views(model, before)
    new = [p.grad.data for p in model.parameters()]
    assert any(not np.array_equal(o, n) for o, n in zip(old, new, strict=True))


def test_module_zero_grad_writes_in_place():
    model, _, _ = _stepped()
    before = _views(model)
    model.zero_grad(set_to_none=False)  # the in-place form (the default drops the gradient)
    _assert_same_views(model, before)
    assert all(not p.grad.data.any() for p in model.parameters())
    model.zero_grad()  # PyTorch 2's default drops the gradients; step() re-points them later
    assert all(p.grad is None for p in model.parameters())


def test_load_state_dict_writes_in_place():
    model, _, _ = _stepped()
    state = {k: np.full_like(v, 0.25) for k, v in model.state_dict().items()}
    before = _views(model)
    model.load_state_dict(state)
    _assert_same_views(model, before)
    assert all(np.all(p.data == 0.25) for p in model.parameters())


@pytest.mark.parametrize("kwargs", [{"device": "cpu"}, {"dtype": np.float32},
                                    {"device": "cpu", "dtype": np.float32}, {}])
def test_module_to_without_a_change_keeps_the_views(kwargs):
    model, _, _ = _stepped()
    before = _views(model)
    model.to(**kwargs)
    _assert_same_views(model, before)


def test_after_the_four_the_optimizer_steps_the_values_the_model_uses():
    # the consequence that matters: no stale copy, the step moves what the model computes with
    model, opt, x = _stepped()
    model.load_state_dict({k: np.ones_like(v) for k, v in model.state_dict().items()})
    model.to(dtype=np.float32)
    model.zero_grad(set_to_none=False)
    model(x).pow(2).mean().backward()
    params = list(model.parameters())
    old_buffer = [opt.state[p]["momentum_buffer"].copy() for p in params]
    grads = [p.grad.data.copy() for p in params]
    opt.step()
    for p, b, g in zip(params, old_buffer, grads, strict=True):
        np.testing.assert_allclose(p.data, 1.0 - 0.1 * (0.9 * b + g), rtol=1e-6, atol=1e-7)
