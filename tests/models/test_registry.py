"""The registry: names, building by name, sizing for a dataset, and its errors."""

import numpy as np
import pytest

import steepest as st


def test_names_lists_every_preset_in_order():
    assert st.models.names() == ["mlp", "lenet5", "mnist_cnn", "resnet", "resnet20", "fasttext",
                                 "text_cnn", "text_lstm", "autoencoder", "dae", "vae", "gan",
                                 "charlstm", "transformer"]


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown model 'vgg'; choose from: mlp, lenet5"):
        st.models.get("vgg")


def test_unknown_argument_names_it_and_the_accepted_ones():
    with pytest.raises(TypeError, match=r"model 'mlp' got unknown argument\(s\) widths; "
                                        r"it accepts: in_features, hidden"):
        st.models.get("mlp", widths=(3,))


def test_accepts():
    assert st.models.accepts("mlp", "dropout")
    assert not st.models.accepts("resnet", "dropout")


def test_register_a_new_model_and_reject_duplicates():
    name = "test_linear_probe"
    st.models.register(name, lambda in_features=4, num_classes=2: st.nn.Linear(in_features,
                       num_classes), "a linear classifier")
    try:
        assert st.models.for_data(name, (3, 2), num_classes=5)(st.randn(2, 6)).shape == (2, 5)
        with pytest.raises(ValueError, match="new non-empty string"):
            st.models.register(name, st.nn.Identity, "again")
    finally:
        st.models.registry._REGISTRY.pop(name)
    with pytest.raises(ValueError, match="inputs must be one of"):
        st.models.register("test_bad_kind", st.nn.Identity, "x", inputs="audio")


def test_for_data_sizes_each_input_kind():
    mlp = st.models.for_data("mlp", (1, 28, 28), num_classes=10, hidden=(8,))
    assert mlp.in_features == 784 and mlp.num_classes == 10
    lenet = st.models.for_data("lenet5", (3, 32, 32), num_classes=4)
    assert (lenet.in_channels, lenet.image_size, lenet.num_classes) == (3, 32, 4)
    lstm = st.models.for_data("text_lstm", (20,), num_classes=2, vocab_size=77, embed_dim=4,
                              hidden_size=4)
    assert lstm.vocab_size == 77
    ae = st.models.for_data("autoencoder", (2, 3), num_classes=9, hidden=(4,), latent=2)
    assert ae.in_features == 6


def test_for_data_rejects_the_wrong_kind_of_data():
    with pytest.raises(ValueError, match=r"model 'lenet5' needs square images \(C, H, W\), got "
                                         r"examples of shape \(2,\)"):
        st.models.for_data("lenet5", (2,), num_classes=3)
    with pytest.raises(ValueError, match="needs token-id sequences"):
        st.models.for_data("text_cnn", (1, 28, 28), num_classes=10, vocab_size=5)
    with pytest.raises(ValueError, match="needs the vocabulary size"):
        st.models.for_data("text_cnn", (30,), num_classes=2)


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("mlp", {"hidden": (4, 0)}, r"MLP: every entry of hidden must be a positive int, got 0"),
        ("mlp", {"num_classes": -1}, r"MLP: num_classes must be a positive int, got -1"),
        ("mlp", {"dropout": 1.0}, r"MLP: dropout must be a number in \[0, 1\), got 1.0"),
        ("mlp", {"activation": "swish"}, r"MLP: unknown activation 'swish'; known: relu"),
        ("lenet5", {"image_size": 64}, r"LeNet5: image_size must be 28 or 32, got 64"),
        ("lenet5", {"pool": "min"}, r"LeNet5: pool must be 'max' or 'avg'"),
        ("mnist_cnn", {"image_size": 5}, r"MnistCNN: image_size must be at least 6, got 5"),
        ("resnet", {"blocks": 0}, r"ResNet: blocks must be a positive int, got 0"),
        ("fasttext", {"ngram_range": (3, 1)}, r"FastText: ngram_range must be \(lo, hi\)"),
        ("text_cnn", {"kernel_sizes": ()}, r"TextCNN: kernel_sizes must not be empty"),
        ("autoencoder", {"output": "relu"}, r"Autoencoder: output must be 'sigmoid' or 'none'"),
    ],
)
def test_bad_arguments_raise_one_clear_error(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        st.models.get(name, **kwargs)


def test_wrong_input_shapes_are_named():
    with pytest.raises(ValueError, match=r"MLP: each example must have 6 values, got input shape "
                                         r"\(2, 7\)"):
        st.models.MLP(6, hidden=(3,), num_classes=2)(st.randn(2, 7))
    with pytest.raises(ValueError, match=r"FastText: expected integer token ids of shape \(N, L\)"):
        st.models.FastText(num_buckets=8, embed_dim=2)(st.tensor(np.ones((2, 3, 4), np.int64)))
    with pytest.raises(ValueError, match="TextCNN: sequences of length 3 are shorter than the "
                                         "widest kernel 5"):
        st.models.TextCNN(vocab_size=9, embed_dim=2)(st.tensor(np.ones((2, 3), np.int64)))


def test_same_generator_seed_same_weights():
    a = st.models.get("mlp", in_features=3, hidden=(4,), generator=st.Generator(7))
    b = st.models.get("mlp", in_features=3, hidden=(4,), generator=st.Generator(7))
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        np.testing.assert_array_equal(x, y, err_msg=name)


def test_dropout_is_active_in_training_and_off_in_eval():
    model = st.models.MLP(8, hidden=(64,), num_classes=2, dropout=0.5, generator=st.Generator(0))
    x = st.randn(4, 8)
    assert not np.array_equal(model(x).numpy(), model(x).numpy())
    model.eval()
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())


def test_fasttext_ids_equal_their_precomputed_counts():
    model = st.models.FastText(num_buckets=32, embed_dim=4, num_classes=3,
                               generator=st.Generator(0))
    ids = np.array([[0, 0, 5, 6, 7], [8, 9, 9, 9, 2]])
    counts = model.bags(ids)
    assert counts.sum(axis=1).tolist() == [3 + 2, 5 + 4]  # unigrams + bigrams, padding skipped
    np.testing.assert_allclose(model(st.tensor(ids)).numpy(), model(st.Tensor(counts)).numpy(),
                               rtol=1e-6)


def test_fasttext_gradcheck():
    model = st.models.FastText(num_buckets=16, embed_dim=3, num_classes=2, dtype=np.float64,
                               generator=st.Generator(0))
    ids = st.tensor(np.array([[1, 2, 3, 0], [4, 4, 0, 0]]))
    params = list(model.parameters())
    assert st.gradcheck(lambda *p: model(ids), params)


def test_autoencoder_encode_decode():
    ae = st.models.Autoencoder(12, hidden=(6,), latent=3, generator=st.Generator(0))
    z = ae.encode(st.rand(5, 12))
    assert z.shape == (5, 3)
    out = ae.decode(z).numpy()
    assert out.shape == (5, 12) and ((out > 0) & (out < 1)).all()  # sigmoid output
