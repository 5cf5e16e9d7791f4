"""RNN / GRU / LSTM: forward against NumPy gate equations, BPTT gradients over 20+ steps."""

import numpy as np
import pytest

import steepest as st
from steepest import nn


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def np_cell(kind, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One time step from the published equations (PyTorch's gate order)."""
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if kind == "rnn":
        return np.tanh(gi + gh), None
    if kind == "gru":
        ir, iz, in_ = np.split(gi, 3, axis=1)
        hr, hz, hn = np.split(gh, 3, axis=1)
        r, z = sigmoid(ir + hr), sigmoid(iz + hz)
        n = np.tanh(in_ + r * hn)
        return (1 - z) * n + z * h, None
    i, f, g, o = np.split(gi + gh, 4, axis=1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def np_recurrent(kind, module, x, h0, c0):
    """x (T, N, F); returns output (T, N, H), h_n and c_n (L, N, H)."""
    p = {name: t.data for name, t in module.named_parameters()}
    layer_in = x
    hs, cs = [], []
    for layer in range(module.num_layers):
        h, c = h0[layer], c0[layer]
        outs = []
        for t in range(x.shape[0]):
            h, c = np_cell(
                kind, layer_in[t], h, c, p[f"weight_ih_l{layer}"], p[f"weight_hh_l{layer}"],
                p[f"bias_ih_l{layer}"], p[f"bias_hh_l{layer}"],
            )  # fmt: skip
            outs.append(h)
        layer_in = np.stack(outs)
        hs.append(h)
        cs.append(c)
    return layer_in, np.stack(hs), (np.stack(cs) if kind == "lstm" else None)


MODULES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
# GRU and LSTM run fused (one node per layer) by default; fused=False is the per-step graph.
VARIANTS = [("rnn", {}), ("gru", {}), ("gru", {"fused": False}), ("lstm", {}),
            ("lstm", {"fused": False})]  # fmt: skip
VARIANT_IDS = [kind + ("-unfused" if extra else "") for kind, extra in VARIANTS]


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_forward_matches_numpy_gate_equations(kind, extra, batch_first, rng):
    layers, t_steps, n, f, h = 2, 6, 3, 4, 5
    module = MODULES[kind](
        f, h, num_layers=layers, batch_first=batch_first, dtype=np.float64, **extra
    )
    x = rng.standard_normal((t_steps, n, f))
    h0 = rng.standard_normal((layers, n, h))
    c0 = rng.standard_normal((layers, n, h))
    out_ref, h_ref, c_ref = np_recurrent(kind, module, x, h0, c0)
    x_in = st.Tensor(x.transpose(1, 0, 2) if batch_first else x)
    state = (st.Tensor(h0), st.Tensor(c0)) if kind == "lstm" else st.Tensor(h0)
    out, final = module(x_in, state)
    h_n, c_n = final if kind == "lstm" else (final, None)
    got = out.data.transpose(1, 0, 2) if batch_first else out.data
    np.testing.assert_allclose(got, out_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_n.data, h_ref, rtol=1e-10, atol=1e-12)
    if kind == "lstm":
        np.testing.assert_allclose(c_n.data, c_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=VARIANT_IDS)
def test_bptt_gradcheck_through_20_steps(kind, extra, check_module, randn64):
    module = MODULES[kind](
        2, 3, batch_first=True, dtype=np.float64, generator=st.Generator(0), **extra
    )
    x = randn64(1, 20, 2)

    class LastOutput(nn.Module):  # the gradient must flow back through all 20 steps
        def __init__(self):
            super().__init__()
            self.rnn = module

        def forward(self, x):
            out, _ = self.rnn(x)
            return out[:, -1]

    check_module(LastOutput(), x)


def test_gradient_reaches_the_first_step_and_initial_state(randn64):
    lstm = nn.LSTM(2, 3, dtype=np.float64)
    x = randn64(25, 1, 2)
    h0, c0 = randn64(1, 1, 3), randn64(1, 1, 3)
    out, (_, c_n) = lstm(x, (h0, c0))
    (out[-1].sum() + c_n.sum()).backward()
    assert np.abs(x.grad.data[0]).sum() > 0
    assert h0.grad is not None and c0.grad is not None


def test_multilayer_gru_with_initial_state_gradcheck(check_module, randn64):
    gru = nn.GRU(2, 2, num_layers=2, dtype=np.float64)
    h0 = randn64(2, 3, 2)

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = gru

        def forward(self, x, h0):
            out, h_n = self.gru(x, h0)
            return out.sum() + (h_n * h_n).sum()

    check_module(WithState(), randn64(4, 3, 2), h0)


def test_relu_rnn_and_unbatched_input(rng):
    rnn = nn.RNN(3, 4, nonlinearity="relu", dtype=np.float64)
    x = rng.standard_normal((5, 3))
    out, h_n = rnn(st.Tensor(x))  # (T, F): no batch axis
    assert out.shape == (5, 4) and h_n.shape == (1, 4)
    batched, _ = rnn(st.Tensor(x[:, None, :]))
    np.testing.assert_allclose(out.data, batched.data[:, 0])
    assert np.all(out.data >= 0)


def test_parameter_names_and_shapes_follow_pytorch():
    lstm = nn.LSTM(3, 5, num_layers=2, bias=True)
    shapes = {name: p.shape for name, p in lstm.named_parameters()}
    assert shapes == {
        "weight_ih_l0": (20, 3), "weight_hh_l0": (20, 5), "bias_ih_l0": (20,),
        "bias_hh_l0": (20,), "weight_ih_l1": (20, 5), "weight_hh_l1": (20, 5),
        "bias_ih_l1": (20,), "bias_hh_l1": (20,),
    }  # fmt: skip
    gru = nn.GRU(3, 5, bias=False)
    assert [n for n, _ in gru.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert repr(lstm) == "LSTM(3, 5, num_layers=2)"


def test_dropout_between_layers_only_in_training(rng):
    st.manual_seed(0)
    lstm = nn.LSTM(2, 4, num_layers=2, dropout=0.5, dtype=np.float64)
    x = st.Tensor(rng.standard_normal((3, 2, 2)))
    a, _ = lstm(x)
    b, _ = lstm(x)
    assert not np.allclose(a.data, b.data)
    lstm.eval()
    c, _ = lstm(x)
    d, _ = lstm(x)
    np.testing.assert_array_equal(c.data, d.data)


def test_bad_shapes_and_arguments_raise_clear_errors():
    lstm = nn.LSTM(3, 4, batch_first=True)
    with pytest.raises(ValueError, match="\\(N, T, F\\) or \\(T, F\\) with F = 3"):
        lstm(st.randn(2, 5, 2))
    with pytest.raises(ValueError, match="initial state must have shape \\(1, 2, 4\\)"):
        lstm(st.randn(2, 5, 3), (st.zeros(1, 3, 4), st.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match="pair"):
        lstm(st.randn(2, 5, 3), st.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(2, 2, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(2, 2, dropout=1.0)
