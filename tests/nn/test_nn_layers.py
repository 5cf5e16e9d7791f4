"""Every layer: forward against NumPy, and gradcheck in float64 for its input and parameters."""

import numpy as np
import pytest

import steepest as st
from steepest import nn

F64 = np.float64


def test_linear_forward_and_gradcheck(check_module, randn64):
    lin = nn.Linear(3, 2, dtype=F64)
    x = randn64(4, 3)
    np.testing.assert_allclose(lin(x).data, x.data @ lin.weight.data.T + lin.bias.data, rtol=1e-12)
    check_module(lin, x)
    check_module(nn.Linear(3, 2, bias=False, dtype=F64), randn64(2, 5, 3))  # leading dims


def test_linear_rejects_wrong_width():
    with pytest.raises(ValueError, match="last dimension must be 3, got shape \\(4, 2\\)"):
        nn.Linear(3, 2)(st.randn(4, 2))
    with pytest.raises(ValueError, match="positive"):
        nn.Linear(0, 2)


@pytest.mark.parametrize(
    "layer",
    [
        nn.ReLU(),
        nn.LeakyReLU(0.1),
        nn.ELU(0.7),
        nn.GELU(),
        nn.Sigmoid(),
        nn.Tanh(),
        nn.Softplus(),
        nn.Softplus(beta=2.0),
        nn.Softmax(dim=1),
        nn.LogSoftmax(dim=0),
        nn.Identity(),
        nn.Flatten(),
    ],
    ids=repr,
)
def test_activation_and_shape_modules_gradcheck(layer, check_module, randn64):
    x = randn64(3, 2, 2)
    x.data[np.abs(x.data) < 1e-3] = 0.5  # keep away from the kinks of relu-like functions
    check_module(layer, x)


def test_activation_modules_match_the_ops(rng):
    x = st.Tensor(rng.standard_normal((4, 5)))
    np.testing.assert_array_equal(nn.ReLU()(x).data, np.maximum(x.data, 0))
    np.testing.assert_allclose(nn.Softplus(beta=2.0)(x).data, np.logaddexp(0, 2 * x.data) / 2)
    np.testing.assert_allclose(nn.Softmax()(x).data.sum(axis=-1), 1.0)
    assert nn.Flatten()(st.zeros(2, 3, 4)).shape == (2, 12)
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"


def test_layer_norm_forward_and_gradcheck(check_module, randn64):
    ln = nn.LayerNorm((2, 3), dtype=F64)
    ln.weight.data[...] = np.arange(6).reshape(2, 3) * 0.3 + 0.5
    ln.bias.data[...] = 0.1
    x = randn64(4, 2, 3)
    mean = x.data.mean(axis=(1, 2), keepdims=True)
    var = x.data.var(axis=(1, 2), keepdims=True)
    expected = (x.data - mean) / np.sqrt(var + 1e-5) * ln.weight.data + ln.bias.data
    np.testing.assert_allclose(ln(x).data, expected, rtol=1e-10)
    check_module(ln, x)
    with pytest.raises(ValueError, match="last dimensions must be \\(2, 3\\)"):
        ln(st.randn(4, 3, 2))


def test_batch_norm_gradcheck_in_train_and_eval(check_module, randn64):
    bn = nn.BatchNorm1d(3, dtype=F64)
    bn.weight.data[...] = [0.5, 1.5, -1.0]
    bn.bias.data[...] = [0.1, 0.0, -0.2]
    check_module(bn, randn64(5, 3))
    check_module(bn, randn64(4, 3, 2))
    bn2 = nn.BatchNorm2d(2, dtype=F64)
    check_module(bn2, randn64(2, 2, 2, 3))
    bn2.eval()
    check_module(bn2, randn64(2, 2, 2, 3))


def test_embedding_forward_and_gradient_adds_repeated_rows(check_module):
    emb = nn.Embedding(5, 3, dtype=F64)
    ids = np.array([[0, 2], [2, 4]])
    np.testing.assert_array_equal(emb(ids).data, emb.weight.data[ids])
    check_module(emb, st.tensor(ids))
    emb(st.tensor(ids)).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[:, 0], [1, 0, 2, 0, 1])


def test_dropout_train_eval_and_gradcheck_with_fixed_mask(check_module, randn64):
    g = st.Generator(0)
    drop = nn.Dropout(0.5, generator=g)
    y = drop(st.ones(1000))
    assert set(np.unique(y.data)) <= {0.0, 2.0}
    assert 0.4 < (y.data == 0).mean() < 0.6
    drop.eval()
    x = st.randn(3, 3)
    assert drop(x) is x
    drop.train()

    class Reseeded(nn.Module):  # the same mask at every call, so finite differences make sense
        def forward(self, x):
            g.manual_seed(1)
            return drop(x)

    check_module(Reseeded(), randn64(4, 3))
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.0)


def test_dropout_same_seed_same_mask():
    a = nn.Dropout(0.3, generator=st.Generator(4))(st.ones(50))
    b = nn.Dropout(0.3, generator=st.Generator(4))(st.ones(50))
    np.testing.assert_array_equal(a.data, b.data)


def test_sequential_of_layers_gradcheck(check_module, randn64):
    model = nn.Sequential(
        nn.Linear(3, 4, dtype=F64),
        nn.Tanh(),
        nn.LayerNorm(4, dtype=F64),
        nn.Linear(4, 2, dtype=F64),
    )
    check_module(model, randn64(5, 3))


def np_conv2d(x, w, b, stride, padding):
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho = (h + 2 * padding - kh) // stride + 1
    wo = (wd + 2 * padding - kw) // stride + 1
    out = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out + b.reshape(1, -1, 1, 1)


def test_conv2d_forward_and_gradcheck(check_module, randn64):
    conv = nn.Conv2d(2, 3, kernel_size=3, stride=2, padding=1, dtype=F64)
    x = randn64(2, 2, 5, 5)
    expected = np_conv2d(x.data, conv.weight.data, conv.bias.data, 2, 1)
    np.testing.assert_allclose(conv(x).data, expected, rtol=1e-10, atol=1e-12)
    check_module(conv, x)
    grouped = nn.Conv2d(4, 2, kernel_size=(2, 1), groups=2, bias=False, dtype=F64)
    check_module(grouped, randn64(1, 4, 3, 3))


def test_conv2d_validates_arguments():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="expected input \\(N, 3, H, W\\) or \\(3, H, W\\)"):
        nn.Conv2d(3, 4, 3)(st.randn(1, 2, 5, 5))
    conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
    assert conv.weight.shape == (4, 3, 3, 3) and conv.bias is None
    assert (
        repr(conv) == "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"
    )


def test_pooling_forward_and_gradcheck(check_module, randn64):
    x = randn64(1, 2, 4, 4)
    expected_max = x.data.reshape(1, 2, 2, 2, 2, 2).max(axis=(3, 5))
    np.testing.assert_allclose(nn.MaxPool2d(2)(x).data, expected_max)
    expected_avg = x.data.reshape(1, 2, 2, 2, 2, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(nn.AvgPool2d(2)(x).data, expected_avg)
    np.testing.assert_allclose(
        nn.AdaptiveAvgPool2d(1)(x).data, x.data.mean(axis=(2, 3), keepdims=True)
    )
    for layer in (nn.MaxPool2d(2), nn.AvgPool2d(3, stride=1, padding=1), nn.AdaptiveAvgPool2d(2)):
        check_module(layer, x)


def test_residual_block_shapes_and_gradcheck(check_module, randn64):
    same = nn.ResidualBlock(2, 2, dtype=F64)
    assert isinstance(same.shortcut, nn.Identity)
    check_module(same, randn64(2, 2, 3, 3), atol=1e-4)
    down = nn.ResidualBlock(2, 3, stride=2, dtype=F64)
    assert isinstance(down.shortcut, nn.Sequential)
    x = randn64(2, 2, 4, 4)
    assert down(x).shape == (2, 3, 2, 2)
    check_module(down, x, atol=1e-4)


def test_residual_block_parameters_and_names():
    block = nn.ResidualBlock(4, 8, stride=2)
    names = [n for n, _ in block.named_parameters()]
    assert names == [
        "conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias",
        "shortcut.0.weight", "shortcut.1.weight", "shortcut.1.bias",
    ]  # fmt: skip
    assert block.num_parameters() == 4 * 8 * 9 + 8 * 8 * 9 + 4 * 8 + 3 * 2 * 8
