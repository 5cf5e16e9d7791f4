"""st.onnx.export: every preset and every listed layer, run in onnxruntime at two batch sizes,
matches steepest's evaluation-mode output (rtol 1e-5, atol 1e-6 in float32)."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
from steepest import nn

ort = pytest.importorskip("onnxruntime")  # installed by `make test` (the onnx extra)
onnx = pytest.importorskip("onnx")

RTOL, ATOL = 1e-5, 1e-6


def _inputs(shape, tokens=None, batches=(3, 5)):
    for b in batches:
        rng = np.random.default_rng(b)
        if tokens:
            yield rng.integers(0, tokens, (b, *shape)).astype(np.int64)
        else:
            yield rng.standard_normal((b, *shape)).astype(np.float32)


def _leaves(out):
    return [t for item in out for t in _leaves(item)] if isinstance(out, tuple | list) else [out]


def _roundtrip(model, shape, tmp_path, tokens=None, example_batch=2):
    example = next(_inputs(shape, tokens, (example_batch,)))
    path = st.onnx.export(model, st.tensor(example), tmp_path / "m.onnx")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path))
    model.eval()
    for x in _inputs(shape, tokens):
        want = [t.numpy() for t in _leaves(model(st.tensor(x)))]
        got = session.run(None, {"input": x})
        assert len(got) == len(want)  # every output: a recurrent layer's states, a VAE's mu
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    return session


PRESETS = ["mlp", "lenet5", "mnist_cnn", "resnet", "resnet20", "text_cnn", "text_lstm",
           "autoencoder", "dae", "vae", "gan", "charlstm", "transformer"]  # fmt: skip


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_runs_in_onnxruntime(name, tmp_path):
    st.manual_seed(0)
    spec = st.models.spec(name)
    model = st.models.get(name)
    tokens = 50 if spec.inputs == "tokens" else None
    _roundtrip(model, spec.default_input, tmp_path, tokens)


def test_presets_list_is_complete():
    assert set(PRESETS) | {"fasttext"} == set(st.models.names())


def test_fasttext_computes_in_numpy_and_says_so(tmp_path):
    model = st.models.get("fasttext")
    ids = st.tensor(np.ones((2, 20), dtype=np.int64))
    with pytest.raises(st.onnx.ExportError, match="does not depend on 'input'"):
        st.onnx.export(model, ids, tmp_path / "f.onnx")


def _bn(m):
    rng = np.random.default_rng(7)
    m.running_mean.data[...] = rng.standard_normal(m.num_features)
    m.running_var.data[...] = rng.uniform(0.5, 2.0, m.num_features)
    m.weight.data[...] = rng.uniform(0.5, 1.5, m.num_features)
    m.bias.data[...] = rng.standard_normal(m.num_features)
    return m


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = _bn(nn.BatchNorm2d(4))

    def forward(self, x):
        return st.relu(x + self.bn(self.conv(x)))


LAYERS = {
    "linear": (nn.Linear(6, 4), (6,)),
    "linear_3d": (nn.Linear(6, 4), (3, 6)),
    "conv_stride_pad": (nn.Conv2d(3, 4, 3, stride=2, padding=1), (3, 9, 9)),
    "conv_dilation_groups": (nn.Conv2d(4, 6, 3, dilation=2, groups=2, bias=False), (4, 9, 9)),
    "conv_same": (nn.Conv2d(2, 3, 4, padding="same"), (2, 8, 8)),
    "batchnorm1d": (_bn(nn.BatchNorm1d(5)), (5,)),
    "batchnorm2d": (_bn(nn.BatchNorm2d(3)), (3, 4, 4)),
    "layernorm": (nn.LayerNorm(6), (4, 6)),
    "relu": (nn.ReLU(), (7,)),
    "leaky_relu": (nn.LeakyReLU(0.2), (7,)),
    "elu": (nn.ELU(0.7), (7,)),
    "gelu": (nn.GELU(), (7,)),
    "gelu_tanh": (nn.GELU(approximate="tanh"), (7,)),
    "silu": (nn.SiLU(), (7,)),
    "sigmoid": (nn.Sigmoid(), (7,)),
    "tanh": (nn.Tanh(), (7,)),
    "softmax": (nn.Softmax(dim=1), (7,)),
    "log_softmax": (nn.LogSoftmax(dim=-1), (2, 7)),
    "maxpool": (nn.MaxPool2d(2), (2, 6, 6)),
    "maxpool_stride_pad": (nn.MaxPool2d(3, stride=2, padding=1), (2, 7, 7)),
    "avgpool": (nn.AvgPool2d(2), (2, 6, 6)),
    "adaptive_avgpool_global": (nn.AdaptiveAvgPool2d(1), (2, 5, 7)),
    "adaptive_avgpool_2x2": (nn.AdaptiveAvgPool2d(2), (2, 6, 4)),
    "flatten": (nn.Flatten(), (2, 3, 4)),
    "dropout": (nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), (4,)),
    "residual_add": (Residual(), (4, 5, 5)),
    "lstm_2layer_bidirectional": (
        nn.LSTM(5, 4, num_layers=2, batch_first=True, bidirectional=True),
        (6, 5),
    ),
    "lstm_time_major": (nn.LSTM(5, 4), (6, 5)),
    "gru": (nn.GRU(5, 4, batch_first=True, num_layers=2), (6, 5)),
    "gru_bidirectional": (nn.GRU(5, 3, batch_first=True, bidirectional=True), (4, 5)),
    "rnn_relu": (nn.RNN(5, 4, batch_first=True, nonlinearity="relu"), (6, 5)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_listed_layer_runs_in_onnxruntime(name, tmp_path):
    model, shape = LAYERS[name]
    if name == "lstm_time_major":  # (T, N, F): the batch is the second axis; export it fixed
        x = st.randn(6, 2, 5)
        path = st.onnx.export(model, x, tmp_path / "m.onnx", dynamic_batch=False)
        got = ort.InferenceSession(str(path)).run(None, {"input": x.numpy()})
        want = model(x)
        np.testing.assert_allclose(got[0], want[0].numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(got[1], want[1][0].numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(got[2], want[1][1].numpy(), rtol=RTOL, atol=ATOL)
        return
    _roundtrip(model, shape, tmp_path)


def test_embedding_layer(tmp_path):
    _roundtrip(nn.Sequential(nn.Embedding(30, 4), nn.Flatten()), (5,), tmp_path, tokens=30)


def test_recurrent_states_are_outputs_too(tmp_path):
    lstm = nn.LSTM(5, 4, num_layers=2, batch_first=True)
    x = st.randn(3, 6, 5)
    path = st.onnx.export(lstm, x, tmp_path / "l.onnx")
    out, h, c = ort.InferenceSession(str(path)).run(None, {"input": x.numpy()})
    want_out, (want_h, want_c) = lstm(x)
    for got, want in ((out, want_out), (h, want_h), (c, want_c)):
        np.testing.assert_allclose(got, want.numpy(), rtol=RTOL, atol=ATOL)


def test_a_layer_without_onnx_form_is_named(tmp_path):
    class Odd(nn.Module):
        def forward(self, x):
            return st.cumsum(x, 1)

    with pytest.raises(st.onnx.ExportError, match=r"1 \(Odd\): op Cumsum has no ONNX form"):
        st.onnx.export(nn.Sequential(nn.Linear(3, 3), Odd()), st.randn(2, 3), tmp_path / "o.onnx")


def test_export_restores_training_mode_and_writes_atomically(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.train()
    st.onnx.export(model, st.randn(2, 3), tmp_path / "m.onnx")
    assert model.training
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]
