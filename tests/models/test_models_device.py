"""Every model preset on every device (cpu, fake_cuda, cuda): loss and gradients equal the
host's for the same weights, and what a model draws or builds for itself (a VAE's noise, a
GAN's latent codes, a transformer's causal mask, position ids) is made on its device."""

from __future__ import annotations

import numpy as np
import pytest
from test_presets import IDS, PRESETS, _loss

import steepest as st
from steepest import backend

F64 = {"dtype": np.float64}


def _on(x, device):
    data = x.data.astype(np.float64) if x.dtype.kind == "f" else x.data
    return st.Tensor(backend.to_device(data, device))


@pytest.mark.parametrize(("name", "kwargs", "x", "shape", "count"), PRESETS, ids=IDS)
def test_preset_on_device_matches_host(name, kwargs, x, shape, count, device):
    losses, grads = {}, {}
    for where in ("cpu", device):
        model = st.models.get(name, **kwargs, **F64, generator=st.Generator(1)).to(where)
        loss = _loss(name, model, _on(x, where))
        loss.backward()
        assert loss.device == where
        losses[where] = loss.item()
        grads[where] = [p.grad.numpy() for p in model.parameters()]
    np.testing.assert_allclose(losses[device], losses["cpu"], rtol=1e-10)
    for g, h in zip(grads[device], grads["cpu"], strict=True):
        np.testing.assert_allclose(g, h, rtol=1e-8, atol=1e-12)


def test_language_models_on_device(device):
    ids = st.Tensor(backend.to_device(np.random.default_rng(0).integers(0, 20, (2, 6)), device))
    for name, kw in (("transformer", dict(vocab_size=20, d_model=8, heads=2, layers=1,
                                          max_len=8, dropout=0.1)),
                     ("charlstm", dict(vocab_size=20, embed_dim=4, hidden_size=8))):
        model = st.models.get(name, **kw, generator=st.Generator(0)).to(device)
        out = model(ids)
        assert out.device == device and out.shape == (2, 6, 20), name
        st.nn.functional.cross_entropy(out.reshape(-1, 20), ids.reshape(-1)).backward()
        assert all(p.grad.device == device for p in model.parameters()), name


def test_generative_models_draw_on_their_device(device):
    vae = st.models.get("vae", in_features=12, hidden=(6,), latent=2,
                        generator=st.Generator(0)).to(device)
    out = vae(st.rand(4, 12, device=device))
    assert out.logits.device == device and vae.sample(3).device == device
    gan = st.models.get("gan", in_features=12, latent=3, hidden=(8,),
                        generator=st.Generator(0)).to(device)
    z = gan.z(5)
    assert z.device == device and gan.generate(z).device == device
    assert gan(gan.generate(z)).device == device


def test_device_draws_are_seeded_by_manual_seed(device):
    st.manual_seed(5)
    a = st.randn(3, 4, device=device)
    st.manual_seed(5)
    b = st.randn(3, 4, device=device)
    assert a.device == device
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert 0.0 <= st.rand(100, device=device).numpy().min() < 1.0
