"""Bidirectional RNN / GRU / LSTM: NumPy gate equations, two unidirectional layers composed by
hand, gradchecks, fused against per-step graph, PyTorch's parameter names and state layout."""

import numpy as np
import pytest
from _recurrent_run import run_and_collect

import steepest as st
from steepest import nn

MODULES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
# RNN has only the per-step graph; GRU and LSTM run fused by default.
VARIANTS = [("rnn", {}), ("gru", {}), ("gru", {"fused": False}), ("lstm", {}),
            ("lstm", {"fused": False})]  # fmt: skip
IDS = [kind + ("-unfused" if extra else "") for kind, extra in VARIANTS]


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def np_direction(kind, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One direction of one layer over x (T, N, F), from the published equations."""
    outs = []
    for x_t in x:
        gi, gh = x_t @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        if kind == "rnn":
            h = np.tanh(gi + gh)
        elif kind == "gru":
            (ir, iz, in_), (hr, hz, hn) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
            r, z = sigmoid(ir + hr), sigmoid(iz + hz)
            n = np.tanh(in_ + r * hn)
            h = (1 - z) * n + z * h
        else:
            i, f, g, o = np.split(gi + gh, 4, axis=1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs), h, c


def _state(kind, h0, c0):
    return (st.Tensor(h0), st.Tensor(c0)) if kind == "lstm" else st.Tensor(h0)


def _split(kind, final):
    return final if kind == "lstm" else (final, None)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=IDS)
def test_one_layer_matches_numpy_equations(rng, kind, extra):
    t_len, n, f, h = 5, 3, 4, 2
    module = MODULES[kind](f, h, dtype=np.float64, bidirectional=True, **extra)
    p = {k: v.data for k, v in module.named_parameters()}
    x = rng.standard_normal((t_len, n, f))
    h0, c0 = rng.standard_normal((2, n, h)), rng.standard_normal((2, n, h))
    want_out, want_h, want_c = [], [], []
    for d, sfx in enumerate(("", "_reverse")):
        seq = x[::-1] if d else x
        params = [p[f"{name}_l0{sfx}"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        out, h_t, c_t = np_direction(kind, seq, h0[d], c0[d], *params)
        want_out.append(out[::-1] if d else out)
        want_h.append(h_t)
        want_c.append(c_t)
    out, final = module(st.Tensor(x), _state(kind, h0, c0))
    h_n, c_n = _split(kind, final)
    assert out.shape == (t_len, n, 2 * h) and h_n.shape == (2, n, h)
    np.testing.assert_allclose(out.data, np.concatenate(want_out, axis=2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.data, np.stack(want_h), rtol=1e-12, atol=1e-14)
    if kind == "lstm":
        np.testing.assert_allclose(c_n.data, np.stack(want_c), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=IDS)
def test_two_layers_equal_unidirectional_layers_composed_by_hand(rng, kind, extra):
    """Layer by layer: a forward module, and a reverse one run on the flipped sequence."""
    t_len, n, f, h = 4, 2, 3, 5
    bi = MODULES[kind](f, h, 2, dtype=np.float64, bidirectional=True, **extra)
    x = rng.standard_normal((t_len, n, f))
    h0, c0 = rng.standard_normal((4, n, h)), rng.standard_normal((4, n, h))
    layer_in, want_h, want_c = x, [], []
    for layer in range(2):
        outs = []
        for d, sfx in enumerate(("", "_reverse")):
            uni = MODULES[kind](layer_in.shape[2], h, dtype=np.float64, **extra)
            names = ("weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l")
            uni.load_state_dict({f"{m}0": getattr(bi, f"{m}{layer}{sfx}").data for m in names})
            k = 2 * layer + d
            seq = np.ascontiguousarray(layer_in[::-1] if d else layer_in)
            out, final = uni(st.Tensor(seq), _state(kind, h0[k : k + 1], c0[k : k + 1]))
            h_t, c_t = _split(kind, final)
            outs.append(out.data[::-1] if d else out.data)
            want_h.append(h_t.data[0])
            want_c.append(None if c_t is None else c_t.data[0])
        layer_in = np.concatenate(outs, axis=2)
    out, final = bi(st.Tensor(x), _state(kind, h0, c0))
    h_n, c_n = _split(kind, final)
    np.testing.assert_array_equal(out.data, layer_in)
    np.testing.assert_array_equal(h_n.data, np.stack(want_h))
    if kind == "lstm":
        np.testing.assert_array_equal(c_n.data, np.stack(want_c))


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=IDS)
def test_gradcheck_two_layers_with_initial_state(kind, extra, check_module, randn64):
    module = MODULES[kind](2, 2, 2, dtype=np.float64, bidirectional=True,
                           generator=st.Generator(0), **extra)  # fmt: skip
    lstm = kind == "lstm"

    class Loss(nn.Module):  # every output: out, h_n (and c_n), each weighted differently
        def __init__(self):
            super().__init__()
            self.rnn = module

        def forward(self, x, h0, c0):
            out, final = self.rnn(x, (h0, c0) if lstm else h0)
            h_n, c_n = final if lstm else (final, h0)
            weights = st.Tensor(np.linspace(-1.0, 1.0, out.numel()).reshape(out.shape))
            return (out * weights).sum() + (h_n * h_n).sum() + (c_n * c_n * c_n).sum()

    check_module(Loss(), randn64(3, 2, 2), randn64(4, 2, 2), randn64(4, 2, 2))


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_fused_matches_unfused_two_layers(rng, kind, batch_first, with_state):
    kwargs = dict(batch_first=batch_first, dtype=np.float64, bidirectional=True)
    fused = MODULES[kind](3, 4, 2, generator=st.Generator(1), **kwargs)
    plain = MODULES[kind](3, 4, 2, generator=st.Generator(1), fused=False, **kwargs)
    x = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    state = None
    if with_state:
        state = [rng.standard_normal((4, 2, 4)) for _ in range(2 if kind == "lstm" else 1)]
    got, want = run_and_collect(fused, x, state), run_and_collect(plain, x, state)
    assert got["out"].shape == ((2, 5, 8) if batch_first else (5, 2, 8))
    assert got.keys() == want.keys() and "weight_hh_l1_reverse.grad" in got
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-13, err_msg=key)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=IDS)
def test_unbatched_input_is_a_batch_of_one(rng, kind, extra):
    module = MODULES[kind](3, 4, 2, dtype=np.float64, bidirectional=True, **extra)
    x = rng.standard_normal((6, 3))
    h0, c0 = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    out, final = module(st.Tensor(x), _state(kind, h0, c0))
    h_n, c_n = _split(kind, final)
    assert out.shape == (6, 8) and h_n.shape == (4, 4)
    batched, final_b = module(st.Tensor(x[:, None]), _state(kind, h0[:, None], c0[:, None]))
    np.testing.assert_allclose(out.data, batched.data[:, 0], rtol=1e-14)
    np.testing.assert_allclose(h_n.data, _split(kind, final_b)[0].data[:, 0], rtol=1e-14)
    if kind == "lstm":
        np.testing.assert_allclose(c_n.data, final_b[1].data[:, 0], rtol=1e-14)


@pytest.mark.parametrize(("kind", "extra"), VARIANTS, ids=IDS)
def test_dropout_applies_to_the_concatenated_output(rng, kind, extra):
    """In training, two layers = layer 0 (both directions), dropout on its 2H output, layer 1."""
    bi = MODULES[kind](3, 4, 2, dropout=0.5, dtype=np.float64, bidirectional=True, **extra)
    first = MODULES[kind](3, 4, dtype=np.float64, bidirectional=True, **extra)
    second = MODULES[kind](8, 4, dtype=np.float64, bidirectional=True, **extra)
    state = bi.state_dict()
    first.load_state_dict({k: v for k, v in state.items() if "_l0" in k})
    second.load_state_dict({k.replace("_l1", "_l0"): v for k, v in state.items() if "_l1" in k})
    x = st.Tensor(rng.standard_normal((5, 2, 3)))
    st.manual_seed(3)
    got, _ = bi(x)
    st.manual_seed(3)
    mid, _ = first(x)
    want, _ = second(st.ops.dropout(mid, 0.5, training=True))
    np.testing.assert_array_equal(got.data, want.data)
    bi.eval()
    assert not np.allclose(bi(x)[0].data, got.data)  # the dropout did act


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_state_dict_keys_and_shapes_follow_pytorch(kind):
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    module = MODULES[kind](3, 5, 2, bidirectional=True)
    shapes = {name: array.shape for name, array in module.state_dict().items()}
    want = {}
    for layer, cols in ((0, 3), (1, 10)):  # layer 1 reads both directions: 2 * hidden_size
        for sfx in ("", "_reverse"):
            want[f"weight_ih_l{layer}{sfx}"] = (gates * 5, cols)
            want[f"weight_hh_l{layer}{sfx}"] = (gates * 5, 5)
            want[f"bias_ih_l{layer}{sfx}"] = (gates * 5,)
            want[f"bias_hh_l{layer}{sfx}"] = (gates * 5,)
    assert list(shapes.items()) == list(want.items())  # PyTorch's order, too
    no_bias = MODULES[kind](3, 5, bias=False, bidirectional=True)
    assert list(no_bias.state_dict()) == [
        "weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse"
    ]  # fmt: skip


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_bad_initial_state_names_the_expected_shape(kind):
    module = MODULES[kind](3, 4, 2, bidirectional=True)
    x = st.randn(5, 2, 3)
    good, bad = st.zeros(4, 2, 4), st.zeros(2, 2, 4)  # (num_layers, ...) forgets the directions
    state = (bad, good) if kind == "lstm" else bad
    message = (r"initial state must have shape \(4, 2, 4\) \(num_layers \* 2, batch, "
               r"hidden_size\), got \(2, 2, 4\)")  # fmt: skip
    with pytest.raises(ValueError, match=message):
        module(x, state)
    if kind == "lstm":
        with pytest.raises(ValueError, match=message):
            module(x, (good, bad))
    unbatched = (st.zeros(2, 4), st.zeros(4, 4)) if kind == "lstm" else st.zeros(2, 4)
    with pytest.raises(ValueError, match=r"must have shape \(4, 4\).*got \(2, 4\)"):
        module(st.randn(5, 3), unbatched)


def test_repr_and_arguments():
    assert repr(nn.LSTM(3, 4, bidirectional=True)) == "LSTM(3, 4, bidirectional=True)"
    assert repr(nn.GRU(3, 4, 2, bidirectional=True, fused=False)) == (
        "GRU(3, 4, num_layers=2, bidirectional=True, fused=False)"
    )
    assert repr(nn.RNN(3, 4, nonlinearity="relu", bidirectional=True)) == (
        "RNN(3, 4, bidirectional=True, nonlinearity='relu')"
    )
    assert not nn.LSTM(3, 4).bidirectional and not nn.LSTM(3, 4, 1, False).bias
    with pytest.raises(TypeError):
        nn.GRU(3, 4, 1, True, False, 0.0, None, None, True, True)  # bidirectional is keyword-only
