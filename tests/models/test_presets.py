"""Every preset: output shape, parameter count against a hand count, one SGD step lowers the loss.

Shapes are tiny and the models float64 so one small gradient step must lower the loss.
"""

import numpy as np
import pytest

import steepest as st
from steepest.nn import functional as F

F64 = {"dtype": np.float64}


def images(n, c, side):
    return st.Tensor(np.random.default_rng(0).standard_normal((n, c, side, side), np.float32))


def tokens(n, length, vocab):
    ids = np.random.default_rng(0).integers(1, vocab, size=(n, length))
    ids[0, :2] = 0  # some padding, at the front as pad_sequences puts it
    return st.Tensor(ids)


def flat(n, d):
    return st.Tensor(np.random.default_rng(0).standard_normal((n, d), np.float32))


# name, builder kwargs, input, expected output shape, parameter count by hand
PRESETS = [
    # (6 + 1) 5 + (5 + 1) 4 + (4 + 1) 3
    ("mlp", {"in_features": 6, "hidden": (5, 4), "num_classes": 3}, flat(8, 6), (8, 3), 74),
    # no hidden biases with batch norm; each BatchNorm1d(w) has 2 w parameters
    ("mlp", {"in_features": 6, "hidden": (5, 4), "num_classes": 3, "batch_norm": True,
             "activation": "tanh"}, flat(8, 6), (8, 3), 6 * 5 + 5 * 4 + 5 * 3 + 2 * 5 + 2 * 4),
    # 156 + 2,416 + 48,120 + 10,164 + 850
    ("lenet5", {"in_channels": 1, "num_classes": 10, "image_size": 28}, images(2, 1, 28),
     (2, 10), 61706),
    # batch norm: the convolutions lose their biases (6 + 16), each BatchNorm2d(c) has 2 c
    ("lenet5", {"in_channels": 1, "num_classes": 10, "image_size": 28, "batch_norm": True},
     images(4, 1, 28), (4, 10), 61706 - 6 - 16 + 2 * 6 + 2 * 16),
    # 32x32 input, 3 channels: conv1 has 3 * 25 * 6 + 6 = 456 parameters instead of 156
    ("lenet5", {"in_channels": 3, "num_classes": 4, "image_size": 32, "pool": "avg"},
     images(2, 3, 32), (2, 4), 456 + 2416 + 48120 + 10164 + 85 * 4),
    # image 10: 10 -> 8 -> 6 -> pool 3; 320 + 18,496 + (576 + 1) 128 + (128 + 1) 5
    ("mnist_cnn", {"image_size": 10, "num_classes": 5, "dropout": 0.0}, images(3, 1, 10), (3, 5),
     320 + 18496 + 577 * 128 + 129 * 5),
    # stem 3*4*9 + bn 8; block 4->4: 2 * 144 + 2 * 8; block 4->8/2: 288 + 16 + 576 + 16
    # + shortcut 32 + 16; fc 8 * 5 + 5
    ("resnet", {"in_channels": 3, "num_classes": 5, "widths": (4, 8)}, images(2, 3, 8), (2, 5),
     108 + 8 + 304 + 944 + 45),
    # 64 * 8 + (8 + 1) 2
    ("fasttext", {"num_buckets": 64, "embed_dim": 8, "num_classes": 2}, tokens(4, 6, 30), (4, 2),
     530),
    # 50 * 8 + (2 * 8 + 1) 4 + (3 * 8 + 1) 4 + (8 + 1) 2
    ("text_cnn", {"vocab_size": 50, "embed_dim": 8, "kernel_sizes": (2, 3), "filters": 4,
                  "dropout": 0.0}, tokens(4, 7, 50), (4, 2), 586),
    # 50 * 8 + 4 * 16 (8 + 16 + 2) + (16 + 1) 2
    ("text_lstm", {"vocab_size": 50, "embed_dim": 8, "hidden_size": 16}, tokens(3, 5, 50),
     (3, 2), 2098),
    # bidirectional, 2 layers: 50 * 8 + 2 * 4 * 4 (8 + 4 + 2) + 2 * 4 * 4 (2 * 4 + 4 + 2)
    # + (2 * 4 + 1) 2: layer 1 and the head read both directions
    ("text_lstm", {"vocab_size": 50, "embed_dim": 8, "hidden_size": 4, "num_layers": 2,
                   "bidirectional": True}, tokens(3, 5, 50), (3, 2), 1314),
    # encoder (12+1) 6 + (6+1) 3, decoder (3+1) 6 + (6+1) 12
    ("autoencoder", {"in_features": 12, "hidden": (6,), "latent": 3},
     st.Tensor(np.random.default_rng(0).random((4, 3, 2, 2), np.float32)), (4, 3, 2, 2), 207),
]
IDS = [f"{p[0]}-{i}" for i, p in enumerate(PRESETS)]


def _loss(name, model, x):
    out = model(x)
    if st.models.spec(name).task == "reconstruct":
        return F.mse_loss(out, x)
    labels = np.arange(out.shape[0]) % out.shape[1]
    return F.cross_entropy(out, st.Tensor(labels))


@pytest.mark.parametrize(("name", "kwargs", "x", "shape", "count"), PRESETS, ids=IDS)
def test_output_shape_and_parameter_count(name, kwargs, x, shape, count):
    model = st.models.get(name, **kwargs, generator=st.Generator(0))
    assert model(x).shape == shape
    assert model.num_parameters() == count


@pytest.mark.parametrize(("name", "kwargs", "x", "shape", "count"), PRESETS, ids=IDS)
def test_one_sgd_step_lowers_the_loss(name, kwargs, x, shape, count):
    model = st.models.get(name, **kwargs, **F64, generator=st.Generator(1))
    x = st.Tensor(x.data.astype(np.float64)) if x.dtype.kind == "f" else x
    opt = st.optim.SGD(model.parameters(), lr=1e-2)
    before = _loss(name, model, x)
    opt.zero_grad()
    before.backward()
    assert all(p.grad is not None and np.isfinite(p.grad.data).all() for p in model.parameters())
    opt.step()
    after = _loss(name, model, x)
    assert after.item() < before.item()


def test_bidirectional_text_lstm_head_reads_the_last_forward_and_first_reverse_state():
    model = st.models.get("text_lstm", vocab_size=50, embed_dim=8, hidden_size=4, num_layers=2,
                          bidirectional=True, **F64, generator=st.Generator(0))
    ids = tokens(3, 5, 50)
    out, _ = model.lstm(model.embedding(ids))  # (N, L, 2H): forward features, then reverse
    features = np.concatenate([out.data[:, -1, :4], out.data[:, 0, 4:]], axis=1)
    want = features @ model.fc.weight.data.T + model.fc.bias.data
    np.testing.assert_allclose(model(ids).data, want, rtol=1e-12)


@pytest.mark.parametrize(
    ("name", "count"),
    [("mlp", 535818), ("lenet5", 61706), ("mnist_cnn", 1199882), ("resnet", 78042),
     ("resnet20", 272474), ("autoencoder", 419120)],
)
def test_default_sizes_match_the_documented_counts(name, count):
    # mlp 784-512-256-10; mnist_cnn 320 + 18,496 + 1,179,776 + 1,290; ResNet-20 about 0.27M
    assert st.models.get(name).num_parameters() == count
