"""The fused LSTM (one LSTMSequence node per layer) against its per-step graph (fused=False)."""

import numpy as np
import pytest

import steepest as st
from steepest import nn
from steepest.ops.recurrent import LSTMSequence, lstm_layer


def _op_inputs(rng, t_len=3, n=2, d=3, h=2, bias=True, dtype=np.float64):
    shapes = [(t_len, n, d), (n, h), (n, h), (4 * h, d), (4 * h, h)]
    shapes += [(4 * h,), (4 * h,)] if bias else []
    return [st.Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]


@pytest.mark.parametrize("bias", [True, False])
def test_op_gradcheck_every_input(rng, bias):
    inputs = _op_inputs(rng, bias=bias)
    assert st.gradcheck(lambda *xs: LSTMSequence.apply(*xs), inputs)


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


def test_op_keeps_float32(rng):
    inputs = _op_inputs(rng, dtype=np.float32)
    y = LSTMSequence.apply(*inputs)
    y.sum().backward()
    assert y.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in inputs)


def _pair(num_layers, batch_first, bias=True):
    kwargs = dict(num_layers=num_layers, batch_first=batch_first, bias=bias, dtype=np.float64)
    fused = nn.LSTM(3, 4, generator=st.Generator(1), **kwargs)
    plain = nn.LSTM(3, 4, generator=st.Generator(1), fused=False, **kwargs)
    return fused, plain


def _run(module, x, state):
    x = st.Tensor(x.copy(), requires_grad=True)
    state = None if state is None else tuple(st.Tensor(s.copy(), requires_grad=True) for s in state)
    out, (h_n, c_n) = module(x, state)
    weights = np.linspace(-1, 1, out.size).reshape(out.shape)
    loss = (out * st.Tensor(weights)).sum() + (h_n * h_n).sum() + (c_n * c_n * c_n).sum()
    loss.backward()
    results = {"out": out.data, "h_n": h_n.data, "c_n": c_n.data, "x.grad": x.grad.data}
    if state is not None:
        results.update({"h0.grad": state[0].grad.data, "c0.grad": state[1].grad.data})
    results.update({f"{k}.grad": p.grad.data for k, p in module.named_parameters()})
    return results


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_fused_matches_unfused(rng, num_layers, batch_first, with_state):
    fused, plain = _pair(num_layers, batch_first)
    x = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    state = None
    if with_state:
        state = tuple(rng.standard_normal((num_layers, 2, 4)) for _ in range(2))
    got, want = _run(fused, x, state), _run(plain, x, state)
    assert got.keys() == want.keys()
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-13, err_msg=key)


def test_fused_matches_unfused_without_bias_and_unbatched(rng):
    fused, plain = _pair(2, False, bias=False)
    x = rng.standard_normal((6, 3))  # (T, F): no batch axis
    got, want = _run(fused, x, None), _run(plain, x, None)
    assert got["out"].shape == (6, 4) and got["h_n"].shape == (2, 4)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-13, err_msg=key)


def test_dropout_between_fused_layers(rng):
    x = st.Tensor(rng.standard_normal((4, 2, 3)))
    outs = []
    for fused in (True, False):
        st.manual_seed(0)  # the same dropout masks in both
        lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5, fused=fused, dtype=np.float64,
                       generator=st.Generator(2))  # fmt: skip
        outs.append(lstm(x)[0].data)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)


def test_float32_fused_close_to_unfused(rng):
    x = rng.standard_normal((20, 8, 3)).astype(np.float32)
    fused, plain = (nn.LSTM(3, 4, fused=f, generator=st.Generator(3)) for f in (True, False))
    got, want = _run(fused, x, None), _run(plain, x, None)
    for key in want:
        assert got[key].dtype == np.float32, key
        np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_create_graph_raises_when_fused_and_works_unfused(rng):
    x = rng.standard_normal((3, 2, 3))
    fused, plain = _pair(1, False)
    out, _ = fused(st.Tensor(x))
    with pytest.raises(RuntimeError, match=r"LSTMSequence is once differentiable.*fused=False"):
        st.grad(out.sum(), fused.weight_hh_l0, create_graph=True)
    out, _ = plain(st.Tensor(x))
    (g,) = st.grad((out * out).sum(), plain.weight_hh_l0, create_graph=True)
    (g * g).sum().backward()  # a second derivative through the per-step graph
    assert plain.weight_hh_l0.grad is not None


def test_fused_is_the_default_and_shows_when_off():
    assert nn.LSTM(2, 3).fused
    assert repr(nn.LSTM(2, 3)) == "LSTM(2, 3)"
    assert repr(nn.LSTM(2, 3, fused=False)) == "LSTM(2, 3, fused=False)"
    assert not nn.LSTM(2, 3, 1, False).bias  # positional arguments keep their meaning


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
