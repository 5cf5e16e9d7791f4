"""Fused GRU / LSTM (one GRUSequence / LSTMSequence node per layer) against the per-step graph
(fused=False): same outputs and gradients; gradchecks of the ops; the create_graph error."""

import numpy as np
import pytest
from _recurrent_run import run_and_collect

import steepest as st
from steepest import nn
from steepest.ops.recurrent import GRUSequence, LSTMSequence, gru_layer, lstm_layer

OPS = {"lstm": LSTMSequence, "gru": GRUSequence}
MODULES = {"lstm": nn.LSTM, "gru": nn.GRU}


def _op_inputs(rng, t_len=3, n=2, d=3, h=2, bias=True, dtype=np.float64, kind="lstm"):
    gates, states = (4, 2) if kind == "lstm" else (3, 1)
    shapes = [(t_len, n, d), *[(n, h)] * states, (gates * h, d), (gates * h, h)]
    shapes += [(gates * h,), (gates * h,)] if bias else []
    return [st.Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]


@pytest.mark.parametrize("kind", sorted(OPS))
@pytest.mark.parametrize("bias", [True, False])
def test_op_gradcheck_every_input(rng, kind, bias):
    inputs = _op_inputs(rng, bias=bias, kind=kind)
    assert st.gradcheck(lambda *xs: OPS[kind].apply(*xs), inputs)


def test_gru_op_gradcheck_through_the_sliced_outputs(rng):
    inputs = _op_inputs(rng, t_len=4, n=1, d=2, h=3, kind="gru")

    def fn(*xs):
        out, h_n = gru_layer(*xs)
        return out[1].sum() + (h_n * h_n).sum()

    assert st.gradcheck(fn, inputs)


def test_op_gradcheck_through_the_sliced_outputs(rng):
    inputs = _op_inputs(rng, t_len=4, n=1, d=2, h=3)

    def fn(*xs):
        out, h_n, c_n = lstm_layer(*xs)
        return out[0].sum() + (h_n * c_n).sum()

    assert st.gradcheck(fn, inputs)


def test_op_without_time_steps_returns_the_initial_state(rng):
    x, h0, c0, *params = _op_inputs(rng, t_len=0)
    out, h_n, c_n = lstm_layer(x, h0, c0, *params)
    assert out.shape == (0, 2, 2)
    np.testing.assert_array_equal(h_n.data, h0.data)
    np.testing.assert_array_equal(c_n.data, c0.data)
    (h_n.sum() + 2 * c_n.sum()).backward()
    np.testing.assert_array_equal(h0.grad.data, np.ones((2, 2)))
    np.testing.assert_array_equal(c0.grad.data, np.full((2, 2), 2.0))
    x, h0, *params = _op_inputs(rng, t_len=0, kind="gru")
    out, h_n = gru_layer(x, h0, *params)
    assert out.shape == (0, 2, 2)
    (3 * h_n.sum()).backward()
    np.testing.assert_array_equal(h0.grad.data, np.full((2, 2), 3.0))
    np.testing.assert_array_equal(params[0].grad.data, np.zeros((6, 3)))


@pytest.mark.parametrize("kind", sorted(OPS))
def test_op_keeps_float32(rng, kind):
    inputs = _op_inputs(rng, dtype=np.float32, kind=kind)
    y = OPS[kind].apply(*inputs)
    y.sum().backward()
    assert y.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in inputs)


def _pair(num_layers, batch_first, bias=True, kind="lstm"):
    kwargs = dict(num_layers=num_layers, batch_first=batch_first, bias=bias, dtype=np.float64)
    fused = MODULES[kind](3, 4, generator=st.Generator(1), **kwargs)
    plain = MODULES[kind](3, 4, generator=st.Generator(1), fused=False, **kwargs)
    return fused, plain


@pytest.mark.parametrize("kind", sorted(MODULES))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_fused_matches_unfused(rng, kind, num_layers, batch_first, with_state):
    fused, plain = _pair(num_layers, batch_first, kind=kind)
    x = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    state = None
    if with_state:
        state = [rng.standard_normal((num_layers, 2, 4)) for _ in range(2 if kind == "lstm" else 1)]
    got, want = run_and_collect(fused, x, state), run_and_collect(plain, x, state)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_fused_matches_unfused_without_bias_and_unbatched(rng, kind):
    fused, plain = _pair(2, False, bias=False, kind=kind)
    x = rng.standard_normal((6, 3))  # (T, F): no batch axis
    got, want = run_and_collect(fused, x, None), run_and_collect(plain, x, None)
    assert got["out"].shape == (6, 4) and got["h_n"].shape == (2, 4)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_dropout_between_fused_layers(rng, kind):
    x = st.Tensor(rng.standard_normal((4, 2, 3)))
    outs = []
    for fused in (True, False):
        st.manual_seed(0)  # the same dropout masks in both
        lstm = MODULES[kind](3, 4, num_layers=2, dropout=0.5, fused=fused, dtype=np.float64,
                       generator=st.Generator(2))  # fmt: skip
        outs.append(lstm(x)[0].data)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_float32_fused_close_to_unfused(rng, kind):
    x = rng.standard_normal((20, 8, 3)).astype(np.float32)
    fused, plain = (MODULES[kind](3, 4, fused=f, generator=st.Generator(3)) for f in (True, False))
    got, want = run_and_collect(fused, x, None), run_and_collect(plain, x, None)
    for key in want:
        assert got[key].dtype == np.float32, key
        np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-5, err_msg=key)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_create_graph_raises_when_fused_and_works_unfused(rng, kind):
    x = rng.standard_normal((3, 2, 3))
    fused, plain = _pair(1, False, kind=kind)
    out, _ = fused(st.Tensor(x))
    op = OPS[kind].__name__
    with pytest.raises(RuntimeError, match=rf"{op} is once differentiable.*fused=False"):
        st.grad(out.sum(), fused.weight_hh_l0, create_graph=True)
    out, _ = plain(st.Tensor(x))
    (g,) = st.grad((out * out).sum(), plain.weight_hh_l0, create_graph=True)
    (g * g).sum().backward()  # a second derivative through the per-step graph
    # d/dW sum(g^2) = 2 H g: compare with central differences of the fused first derivative
    # along g (float64), so the per-step graph's second derivative is checked against the
    # fused op's hand-written rule
    w, direction, eps = fused.weight_hh_l0, g.data.copy(), 1e-6

    def fused_grad(shift):
        w.data[...] = plain.weight_hh_l0.data + shift * direction
        out, _ = fused(st.Tensor(x))
        (first,) = st.grad((out * out).sum(), w)
        return first.data

    expected = (fused_grad(eps) - fused_grad(-eps)) / eps  # 2 * (H g), from two evaluations
    assert np.abs(expected).max() > 1e-3  # a real signal, not zeros matching zeros
    np.testing.assert_allclose(plain.weight_hh_l0.grad.data, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_fused_is_the_default_and_shows_when_off(kind):
    cls = MODULES[kind]
    assert cls(2, 3).fused
    assert repr(cls(2, 3)) == f"{cls.__name__}(2, 3)"
    assert repr(cls(2, 3, fused=False)) == f"{cls.__name__}(2, 3, fused=False)"
    assert not cls(2, 3, 1, False).bias  # positional arguments keep their meaning


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        ([(3, 2, 3), (2, 2), (2, 2), (8, 3), (8, 2)], None),  # valid: a control
        ([(2, 3), (2, 2), (2, 2), (8, 3), (8, 2)], r"x must be time-major \(T, N, D\)"),
        ([(3, 2, 3), (2, 2), (2, 2), (8, 3), (8, 3)], r"weight_hh must have shape \(4 H, H\)"),
        ([(3, 2, 3), (2, 2), (2, 2), (8, 4), (8, 2)], r"weight_ih must have shape \(8, 3\)"),
        ([(3, 2, 3), (1, 2), (2, 2), (8, 3), (8, 2)], r"h0 must have shape \(2, 2\), got \(1, 2\)"),
        ([(3, 2, 3), (2, 2), (2, 3), (8, 3), (8, 2)], r"c0 must have shape \(2, 2\), got \(2, 3\)"),
        ([(3, 2, 3), (2, 2), (2, 2), (8, 3), (8, 2), (8,), (4,)], r"bias_hh must have shape"),
    ],
)
def test_bad_shapes_name_the_op_and_shapes(shapes, message):
    arrays = [st.zeros(*s, dtype=np.float64) for s in shapes]
    if message is None:
        assert LSTMSequence.apply(*arrays).shape == (5, 2, 2)
        return
    with pytest.raises(ValueError, match="LSTMSequence") as info:
        LSTMSequence.apply(*arrays)
    assert info.match(message)


def test_gru_bad_shapes_name_the_op():
    arrays = [st.zeros(*s, dtype=np.float64) for s in [(3, 2, 3), (2, 2), (6, 3), (8, 2)]]
    with pytest.raises(ValueError, match=r"GRUSequence.*weight_hh must have shape \(3 H, H\)"):
        GRUSequence.apply(*arrays)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_second_backward_with_retained_graph_adds_the_same_gradient(rng, kind):
    module = MODULES[kind](3, 4, dtype=np.float64)
    out, _ = module(st.Tensor(rng.standard_normal((5, 2, 3))))
    loss = (out * out).sum()
    loss.backward(retain_graph=True)
    first = module.weight_hh_l0.grad.data.copy()
    loss.backward()  # backward must not have overwritten what it saved
    np.testing.assert_allclose(module.weight_hh_l0.grad.data, 2 * first, rtol=1e-12)


def test_integer_inputs_are_rejected_by_name():
    arrays = [st.zeros(*s, dtype=np.int64) for s in [(3, 2, 3), (2, 2), (2, 2), (8, 3), (8, 2)]]
    with pytest.raises(TypeError, match=r"LSTMSequence\(inputs.*must be floating point"):
        LSTMSequence.apply(*arrays)
