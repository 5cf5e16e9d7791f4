"""Each preset's default recipe: where it sits between the defaults, a config file and flags."""

import steepest as st
from steepest.cli.config import TrainConfig


def test_a_preset_recipe_fills_what_was_not_given():
    cfg = TrainConfig.load(overrides={"model": "lenet5"})
    assert (cfg.optimizer, cfg.lr, cfg.scheduler, cfg.batch_size, cfg.epochs) == \
        ("adam", 0.02, "onecycle", 128, 4)
    assert cfg.model_args == {"batch_norm": True}
    assert TrainConfig.load(overrides={"model": "mlp"}).lr is None  # no recipe: the defaults


def test_flags_and_files_win_over_the_recipe(tmp_path):
    cfg = TrainConfig.load(overrides={"model": "lenet5", "epochs": 9,
                                      "model_args": {"batch_norm": False}})
    assert cfg.epochs == 9 and cfg.model_args == {"batch_norm": False}
    path = tmp_path / "r.toml"
    path.write_text('model = "charlstm"\nbatch_size = 64\n')
    cfg = TrainConfig.load(path)
    assert (cfg.batch_size, cfg.lr, cfg.clip_grad) == (64, 3e-3, 1.0)


def test_another_optimizer_drops_the_recipes_lr():
    cfg = TrainConfig.load(overrides={"model": "lenet5", "optimizer": "sgd"})
    assert cfg.lr is None and cfg.learning_rate == 0.1  # SGD's own default, not Adam's 0.02
    assert cfg.scheduler == "onecycle"


def test_every_recipe_is_a_valid_config():
    for name in st.models.names():
        recipe = st.models.recipe(name)
        TrainConfig.load(overrides={"model": name, **recipe}).validate()
        recipe["epochs"] = -1  # a copy: the registry's own is untouched
        assert st.models.recipe(name).get("epochs") != -1


def test_text_presets_embed_the_padding_id_as_zeros():
    for model in (st.models.TextCNN(vocab_size=20), st.models.LSTMClassifier(vocab_size=20)):
        assert model.embedding.padding_idx == 0
        assert not model.embedding.weight.data[0].any()
