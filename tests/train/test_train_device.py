"""Training on every device (cpu, fake_cuda, cuda): fit, checkpoints written on one device and
resumed on another, and a DataLoader's host batches going to the model's device."""

from __future__ import annotations

import numpy as np
import pytest
from _train_helpers import make_data, make_loader, make_model

import steepest as st


def _trainer(device: str, dropout: float = 0.0):
    model = make_model(dropout=dropout).to(device)
    opt = st.optim.Adam(model.parameters(), lr=0.02)
    return st.train.Trainer(model, st.nn.CrossEntropyLoss(), opt, progress=False)


# float32 on a GPU sums in another order than on the host; a missed or doubled step moves the
# weights by about 1e-2, far outside these tolerances
RTOL, ATOL = 1e-3, 1e-4


def _weights(model):
    return {k: v for k, v in model.state_dict().items()}


def test_fit_on_device_matches_host(device):
    x, y = make_data()
    host, moved = _trainer("cpu"), _trainer(device)
    h_host = host.fit(make_loader(x, y), make_loader(x, y, shuffle=False), epochs=2)
    h_dev = moved.fit(make_loader(x, y), make_loader(x, y, shuffle=False), epochs=2)
    assert all(p.device == device for p in moved.model.parameters())
    np.testing.assert_allclose(h_dev["loss"], h_host["loss"], rtol=RTOL)
    want = _weights(host.model)
    for k, v in _weights(moved.model).items():
        assert type(v) is np.ndarray  # state_dict gives host copies whatever the device
        np.testing.assert_allclose(v, want[k], rtol=RTOL, atol=ATOL, err_msg=k)


@pytest.mark.parametrize("direction", ["device->cpu", "cpu->device"])
def test_checkpoint_resumes_across_devices(direction, device, tmp_path):
    first, second = direction.split("->")
    first = device if first == "device" else first
    second = device if second == "device" else second
    x, y = make_data()
    straight = _trainer(second)
    straight.fit(make_loader(x, y), epochs=3)
    before = _trainer(first)
    before.fit(make_loader(x, y), epochs=1)
    path = before.save_checkpoint(tmp_path / "run.safetensors")
    after = _trainer(second)
    after.load_checkpoint(path)
    assert all(p.device == second for p in after.model.parameters())
    after.fit(make_loader(x, y), epochs=3)
    want = _weights(straight.model)
    for k, v in _weights(after.model).items():
        np.testing.assert_allclose(v, want[k], rtol=RTOL, atol=ATOL, err_msg=k)


def test_dropout_run_resumes_on_device(device, tmp_path):
    """Device dropout masks come from a generator re-seeded from the restored host state, so a
    resumed run continues with finite losses and its weights on the device."""
    x, y = make_data()
    trainer = _trainer(device, dropout=0.3)
    trainer.fit(make_loader(x, y), epochs=1)
    path = trainer.save_checkpoint(tmp_path / "drop.safetensors")
    again = _trainer(device, dropout=0.3)
    again.load_checkpoint(path)
    history = again.fit(make_loader(x, y), epochs=2)
    assert np.isfinite(history["loss"]).all() and len(history["loss"]) == 2


def test_dataloader_batches_to_device(device):
    x, y = make_data(n=40)
    loader = make_loader(x, y, batch_size=16, shuffle=False)
    model = make_model().to(device)
    seen = 0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        assert xb.device == device and yb.device == device
        out = model(xb)
        assert out.device == device
        seen += len(xb)
    assert seen == 40
    preds = st.train.predict(model, x)
    assert type(preds) is np.ndarray and preds.shape == (40, 3)
    np.testing.assert_allclose(preds, st.train.predict(make_model(), x), rtol=RTOL, atol=ATOL)
    result = st.train.evaluate(model, st.nn.CrossEntropyLoss(), loader)
    assert np.isfinite(result["loss"])


def test_generative_training_on_device(device):
    """VAE (device noise), denoising autoencoder (device corruption) and GAN (both players)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (64, 1, 4, 4)).astype(np.float32)
    loader = st.data.DataLoader(st.data.ArrayDataset(x, x), batch_size=16, shuffle=True, seed=0)
    for name, loss in (("vae", st.train.VAELoss()), ("dae", st.nn.MSELoss())):
        st.manual_seed(0)
        model = st.models.get(name, in_features=16, hidden=(8,), latent=2).to(device)
        trainer = st.train.Trainer(model, loss, st.optim.Adam(model.parameters(), lr=1e-2),
                                   metrics=[], progress=False)
        history = trainer.fit(loader, epochs=2)
        assert np.isfinite(history["loss"]).all(), name
        assert all(p.device == device for p in model.parameters()), name
    st.manual_seed(0)
    gan = st.models.GAN(16, latent=3, hidden=(8,), dropout=0.2).to(device)
    opt = lambda m: st.optim.Adam(m.parameters(), lr=2e-3)  # noqa: E731
    trainer = st.train.GANTrainer(gan, opt(gan.G), opt(gan.D), progress=False)
    history = trainer.fit(loader, epochs=2)
    assert np.isfinite(history["d_loss"]).all() and np.isfinite(history["d_real"]).all()


def test_save_and_load_across_devices(device, tmp_path):
    """st.save writes host arrays from any device; st.load(map_location=) puts them back."""
    model = make_model().to(device)
    path = tmp_path / "m.safetensors"
    st.save(model.state_dict(), path)
    host = st.load(path)
    assert all(t.device == "cpu" for t in host.values())
    back = st.load(path, map_location=device)
    assert all(t.device == device for t in back.values())
    fresh = make_model(seed=3).to(device)
    fresh.load_state_dict(back)
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v, model.state_dict()[k], err_msg=k)
    assert all(p.device == device for p in fresh.parameters())
