"""Layers on every device (cpu, fake_cuda, cuda): the same weights give the same outputs and
gradients as on the host, state the layer makes for itself (an RNN's zero state, BatchNorm's
running statistics, a dropout mask) lives on the input's device."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
from steepest import nn


def _pair(make, device):
    """The layer on the host and an identical copy on ``device``."""
    st.manual_seed(0)
    host = make()
    st.manual_seed(0)
    moved = make().to(device)
    return host, moved


def _run(module, x, device):
    xt = st.Tensor(st.backend.to_device(x, device), requires_grad=x.dtype.kind == "f")
    out = module(xt)
    out = out[0] if isinstance(out, tuple) else out
    (out * out).sum().backward()
    return out, xt


LAYERS = {
    "linear": (lambda: nn.Linear(4, 3), (5, 4)),
    "conv2d": (lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5)),
    "maxpool": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2)), (2, 1, 6, 6)),
    "avgpool": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.AvgPool2d(2)), (2, 1, 6, 6)),
    "layernorm": (lambda: nn.LayerNorm(4), (3, 4)),
    "adaptive_pool": (lambda: nn.Sequential(nn.Conv2d(1, 2, 2), nn.AdaptiveAvgPool2d((2, 3))),
                      (2, 1, 6, 8)),
    "rnn": (lambda: nn.RNN(3, 4, num_layers=2), (5, 2, 3)),
    "gru": (lambda: nn.GRU(3, 4, bidirectional=True), (5, 2, 3)),
    "lstm": (lambda: nn.LSTM(3, 4, batch_first=True), (2, 5, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_host(name, device):
    make, shape = LAYERS[name]
    host, moved = _pair(make, device)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    want, wx = _run(host, x, "cpu")
    got, gx = _run(moved, x, device)
    assert got.device == device and gx.grad.device == device
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gx.grad.numpy(), wx.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (n, p), q in zip(moved.named_parameters(), host.parameters(), strict=True):
        assert p.grad.device == device, n
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_recurrent_without_initial_state_on_device(cls, device):
    """Regression (issue 18): h0/c0 were built on the host, then mixed with device arrays."""
    rnn = cls(3, 4).to(device)
    out, state = rnn(st.randn(6, 2, 3, device=device))
    states = state if isinstance(state, tuple) else (state,)
    assert out.device == device and all(s.device == device for s in states)


def test_batchnorm_running_stats_on_device(device):
    host, moved = _pair(lambda: nn.BatchNorm2d(3), device)
    x = np.random.default_rng(2).standard_normal((4, 3, 2, 2)).astype(np.float32) * 3 + 1
    for _ in range(2):
        _run(host, x, "cpu")
        _run(moved, x, device)
    assert moved.running_mean.device == device
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(moved, name).numpy(), getattr(host, name).numpy(),
                                   rtol=1e-5, err_msg=name)
    host.eval(), moved.eval()
    want, _ = _run(host, x, "cpu")
    got, _ = _run(moved, x, device)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)


def test_embedding_on_device(device):
    host, moved = _pair(lambda: nn.Embedding(6, 3, padding_idx=0), device)
    ids = np.array([[1, 0, 5], [5, 5, 2]])
    for module, dev in ((host, "cpu"), (moved, device)):
        out = module(st.Tensor(st.backend.to_device(ids, dev)))
        (out * out).sum().backward()
        assert out.device == dev
    np.testing.assert_allclose(moved.weight.grad.numpy(), host.weight.grad.numpy(), rtol=1e-6)
    assert not moved.weight.grad.numpy()[0].any()  # the padding row gets no gradient


def test_dropout_mask_on_device_and_seeded(device):
    drop = nn.Dropout(0.5)
    x = st.ones(64, 32, device=device)
    st.manual_seed(3)
    a = drop(x)
    st.manual_seed(3)
    b = drop(x)
    assert a.device == device
    values = set(np.unique(a.numpy()).tolist())
    assert values == {0.0, 2.0}
    assert 0.35 < (a.numpy() == 0).mean() < 0.65
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # st.manual_seed covers device draws
    drop.eval()
    assert drop(x) is x


LOSSES = ["cross_entropy", "nll_loss", "mse_loss", "bce_logits", "kl", "soft_targets",
          "label_smoothing", "ignore_index", "st_bce", "st_bce_logits"]


@pytest.mark.parametrize("loss", LOSSES)
def test_losses_take_host_targets_to_the_device(loss, device):
    rng = np.random.default_rng(4)
    logits = st.Tensor(st.backend.to_device(rng.standard_normal((5, 3)), device))
    logits.requires_grad_()
    labels = rng.integers(0, 3, 5)
    target = rng.random((5, 3))
    F = nn.functional
    out = {
        "cross_entropy": lambda: F.cross_entropy(logits, labels),
        "nll_loss": lambda: F.nll_loss(logits.log_softmax(1), labels, weight=np.ones(3)),
        "mse_loss": lambda: F.mse_loss(logits, target),
        "bce_logits": lambda: F.binary_cross_entropy_with_logits(logits, target.round()),
        "kl": lambda: F.kl_div(logits.log_softmax(1), target / target.sum(1, keepdims=True)),
        "soft_targets": lambda: st.cross_entropy(logits, target / target.sum(1, keepdims=True)),
        "label_smoothing": lambda: st.cross_entropy(logits, labels.tolist(), label_smoothing=0.1),
        "ignore_index": lambda: F.cross_entropy(logits, np.where(labels == 0, -100, labels),
                                                weight=np.ones(3)),
        "st_bce": lambda: st.binary_cross_entropy(logits.sigmoid(), target.round()),
        "st_bce_logits": lambda: st.binary_cross_entropy_with_logits(logits, target.round()),
    }[loss]()
    out.backward()
    assert out.device == device and logits.grad.device == device
