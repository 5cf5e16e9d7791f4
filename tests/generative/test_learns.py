"""Each generative model learns: its loss falls by a stated factor on a small problem."""

import numpy as np
import pytest

import steepest as st
from steepest import train


def _digits(n=256, seed=0):
    """8x8 'images' in [0, 1]: one of four bright bars plus a little noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.uniform(0, 0.1, (n, 1, 8, 8)).astype(np.float32)
    for k in range(4):
        rows = x[y == k]
        if k < 2:
            rows[:, 0, 2 + 3 * k, :] = 0.9
        else:
            rows[:, 0, :, 2 + 3 * (k - 2)] = 0.9
        x[y == k] = rows
    return x, y


def _fit(model, loss_fn, x, target, epochs, lr, metrics=()):
    loader = st.data.DataLoader(
        st.data.ArrayDataset(x, target), batch_size=32, shuffle=True, seed=0
    )
    trainer = train.Trainer(
        model,
        loss_fn,
        st.optim.Adam(model.parameters(), lr=lr),
        metrics=list(metrics),
        progress=False,
    )
    trainer.fit(loader, epochs=epochs)
    return trainer.history.history


@pytest.mark.parametrize("name", ["autoencoder", "dae"])
def test_autoencoders_reconstruction_loss_falls_5x(name):
    st.manual_seed(0)
    x, _ = _digits()
    model = st.models.get(name, in_features=64, hidden=(32,), latent=4)
    loss = _fit(model, st.nn.MSELoss(), x, x, epochs=15, lr=1e-2)["loss"]
    assert loss[-1] < loss[0] / 5, loss


def test_denoising_autoencoder_corrupts_only_in_training_and_reproducibly():
    dae = st.models.DenoisingAutoencoder(
        16, hidden=(8,), latent=2, sigma=0.5, generator=st.Generator(0)
    )
    x = st.rand(4, 16)
    a = dae.corrupt(x, st.Generator(1)).numpy()
    np.testing.assert_array_equal(a, dae.corrupt(x, st.Generator(1)).numpy())
    assert not np.array_equal(a, x.numpy()) and a.min() >= 0 and a.max() <= 1
    dae.eval()
    np.testing.assert_array_equal(dae(x).numpy(), dae.decode(dae.encode(x)).numpy())


def test_vae_negative_elbo_falls_2x_and_both_terms_are_logged():
    st.manual_seed(0)
    x, _ = _digits()
    vae = st.models.VAE(64, hidden=(32,), latent=2)
    h = _fit(vae, train.VAELoss(), x, x, epochs=15, lr=1e-2, metrics=train.vae_metrics())
    assert h["loss"][-1] < h["loss"][0] / 2, h["loss"]
    np.testing.assert_allclose(np.add(h["recon"], h["kl"]), h["loss"], rtol=1e-5)
    assert all(k > 0 for k in h["kl"])


def test_vae_loss_is_the_closed_form_negative_elbo():
    mu = np.array([[0.5, -1.0]])
    logvar = np.array([[0.2, -0.3]])
    logits = np.array([[2.0, -1.0, 0.0]])
    x = np.array([[1.0, 0.0, 0.5]])
    out = st.models.VAEOutput(st.tensor(logits), st.tensor(mu), st.tensor(logvar))
    recon = -(x * np.log(1 / (1 + np.exp(-logits))) + (1 - x) * np.log(1 / (1 + np.exp(logits))))
    kl = -0.5 * (1 + logvar - mu**2 - np.exp(logvar)).sum()
    assert train.VAELoss()(out, x).item() == pytest.approx(recon.sum() + kl, rel=1e-12)
    assert train.VAELoss(beta=0)(out, x).item() == pytest.approx(recon.sum(), rel=1e-12)


def test_vae_reparameterization_is_seeded_differentiable_and_off_in_eval():
    a = st.models.VAE(4, hidden=(), latent=2, generator=st.Generator(0), dtype=np.float64)
    b = st.models.VAE(4, hidden=(), latent=2, generator=st.Generator(0), dtype=np.float64)
    x = st.rand(3, 4, dtype=np.float64)
    np.testing.assert_array_equal(a(x).logits.numpy(), b(x).logits.numpy())
    mu, logvar = (st.randn(3, 2, dtype=np.float64, requires_grad=True) for _ in range(2))

    def sample(mu, logvar):
        a.noise.manual_seed(5)  # the same eps at every evaluation
        return (a.reparameterize(mu, logvar) ** 2).sum()

    assert st.gradcheck(sample, [mu, logvar])
    a.eval()
    np.testing.assert_array_equal(a(x).logits.numpy(), a.decode(a.encode(x)[0]).numpy())


def test_gan_moves_its_samples_3x_closer_to_the_data():
    st.manual_seed(0)
    x, _ = _digits(256)
    gan = st.models.GAN(64, latent=8, hidden=(32,), dropout=0.0)
    loader = st.data.DataLoader(st.data.ArrayDataset(x, x), batch_size=32, shuffle=True, seed=0)
    opt = lambda m: st.optim.Adam(m.parameters(), lr=2e-3, betas=(0.5, 0.999))  # noqa: E731
    trainer = train.GANTrainer(gan, opt(gan.G), opt(gan.D), progress=False)

    def gap():  # distance between the mean sample and the mean image
        with st.no_grad():
            return float(
                np.abs(
                    gan.sample(256, st.Generator(9)).numpy().mean(0) - x.reshape(len(x), -1).mean(0)
                ).mean()
            )

    before = gap()
    trainer.fit(loader, epochs=12)
    h = trainer.history.history
    assert gap() < before / 3, (before, gap())
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(h)
    np.testing.assert_allclose(np.add(h["d_loss"], h["g_loss"]), h["loss"], rtol=1e-6)


def test_gan_checkpoint_holds_both_optimizers_and_resumes_bit_identically(tmp_path):
    x, _ = _digits(64)

    def make():
        st.manual_seed(0)
        gan = st.models.GAN(64, latent=4, hidden=(16,), dropout=0.2)
        loader = st.data.DataLoader(st.data.ArrayDataset(x, x), batch_size=16, shuffle=True, seed=0)
        trainer = train.GANTrainer(
            gan,
            st.optim.Adam(gan.G.parameters(), lr=1e-3),
            st.optim.SGD(gan.D.parameters(), lr=1e-2, momentum=0.9),
            progress=False,
        )
        return trainer, loader

    full, loader = make()
    full.fit(loader, epochs=3)
    part, loader = make()
    part.fit(loader, epochs=1, max_steps=6)
    part.save_checkpoint(tmp_path / "c.safetensors")
    state = train.load_checkpoint(tmp_path / "c.safetensors")
    assert set(state["optimizer"]) == {"g", "d"}
    resumed, loader = make()
    resumed.load_checkpoint(tmp_path / "c.safetensors")
    resumed.fit(loader, epochs=3)
    for key, value in full.model.state_dict().items():
        np.testing.assert_array_equal(value, resumed.model.state_dict()[key], err_msg=key)


CORPUS = "the cat sat on the mat. the dog sat on the log. " * 12


def _char_data(seq_len=24):
    alphabet = "".join(sorted(set(CORPUS)))
    ids = np.array([alphabet.index(c) for c in CORPUS], np.int64)
    from steepest.cli.generative import chunks

    x, y = chunks(ids, seq_len)
    return alphabet, x, y


@pytest.mark.parametrize(
    "name, kwargs, lr",
    [
        ("charlstm", {"embed_dim": 16, "hidden_size": 48}, 1e-2),
        ("charlstm", {"embed_dim": 16, "hidden_size": 48, "cell": "gru"}, 1e-2),
        ("transformer", {"d_model": 32, "heads": 4, "layers": 1, "max_len": 24}, 3e-3),
    ],
)
def test_language_models_cross_entropy_falls_4x_and_greedy_text_follows_the_corpus(
    name, kwargs, lr
):
    st.manual_seed(0)
    alphabet, x, y = _char_data()
    lm = st.models.get(name, vocab_size=len(alphabet), **kwargs)
    lm.set_alphabet(alphabet)
    h = _fit(
        lm, train.SequenceCrossEntropy(), x, y, epochs=40, lr=lr, metrics=[train.NextCharAccuracy()]
    )
    assert h["loss"][-1] < h["loss"][0] / 4, h["loss"]
    assert h["char_accuracy"][-1] > 0.8
    assert st.models.generate(lm, "the d", length=10, temperature=0.0) == "the dog sat on "


def test_sequence_cross_entropy_is_the_mean_over_positions():
    logits = st.randn(2, 3, 5, dtype=np.float64)
    y = np.array([[0, 1, 2], [3, 4, 0]])
    want = st.nn.functional.cross_entropy(logits.reshape(6, 5), y.reshape(6)).item()
    assert train.SequenceCrossEntropy()(logits, y).item() == pytest.approx(want)
    with pytest.raises(ValueError, match=r"logits \(N, T, V\) and targets \(N, T\)"):
        train.SequenceCrossEntropy()(logits, y[:, :2])
