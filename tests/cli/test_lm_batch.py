"""A language model's batch scaled to its text (``batch_size = "auto"``, the charlstm and
transformer recipes): the rule, which chunks it counts, that a given batch wins, and that the
run says which batch it chose and why."""

import json
import tomllib

import pytest

import steepest as st
from steepest.cli.config import TrainConfig
from steepest.cli.errors import UsageError
from steepest.cli.train_cmd import build_session

TINY = ["--model-arg", "hidden_size=8", "--model-arg", "embed_dim=4"]


@pytest.mark.parametrize("chunks, batch", [
    (1, 16), (113, 16), (511, 16),  # small texts: the floor (LICENSE.txt has 113 chunks)
    (512, 32), (1023, 32), (1024, 64), (2047, 64),  # a power of two <= chunks / 16
    (2048, 128), (10**6, 128),  # large texts: the ceiling
])
def test_the_rule_on_small_and_large_texts(chunks, batch):
    assert st.models.auto_batch_size(chunks) == batch


def test_the_rule_keeps_16_steps_per_epoch_between_floor_and_ceiling():
    for chunks in range(256, 2048 * 2, 37):
        batch = st.models.auto_batch_size(chunks)
        assert 16 <= batch <= 128 and batch & (batch - 1) == 0
        assert chunks // batch >= 16
    for bad in (0, -3, 2.5, True, "100"):
        with pytest.raises(ValueError, match="auto_batch_size: chunks must be a positive"):
            st.models.auto_batch_size(bad)


def test_language_model_recipes_scale_their_batch_and_others_do_not():
    assert st.models.recipe("charlstm")["batch_size"] == "auto"
    assert st.models.recipe("transformer")["batch_size"] == "auto"
    with pytest.raises(UsageError, match="give model 'lenet5' a number"):
        TrainConfig.load(overrides={"model": "lenet5", "batch_size": "auto"}).validate()


def _text(tmp_path, characters):
    path = tmp_path / "corpus.txt"
    words = "the cat sat on the mat, the dog sat on the log. "
    path.write_text((words * (characters // len(words) + 1))[:characters], encoding="utf-8")
    return path


def _session(tmp_path, **flags):
    cfg = TrainConfig.load(overrides={"epochs": 1, "quiet": True, **flags}).validate()
    return build_session(cfg, tmp_path / "run")


@pytest.mark.parametrize("model", ["charlstm", "transformer"])
def test_the_batch_counts_the_training_chunks_after_the_validation_split(tmp_path, model):
    # 10,000 characters, seq-len 4: 2,249 chunks in the first 90% of the text, of which 225
    # are held out for validation: 2,024 training chunks give 64 (all 2,249 would give 128)
    text = _text(tmp_path, 10_000)
    session = _session(tmp_path, model=model, text=str(text), seq_len=4)
    assert session.cfg.batch_size == 64
    assert session.batch_why == "scaled to 2024 training chunks; --batch-size to override"
    assert next(iter(session.train_loader))[0].shape == (64, 4)
    session = _session(tmp_path, model=model, text=str(text), seq_len=4, val_split=0.0)
    assert session.cfg.batch_size == 128  # 2,249 chunks, none held out


def test_a_given_batch_wins_from_a_flag_or_a_config_file(tmp_path):
    text = _text(tmp_path, 10_000)
    session = _session(tmp_path, model="charlstm", text=str(text), seq_len=4, batch_size=8)
    assert session.cfg.batch_size == 8 and session.batch_why is None
    assert next(iter(session.train_loader))[0].shape == (8, 4)
    config = tmp_path / "recipe.toml"
    config.write_text(f'model = "transformer"\ntext = "{text}"\nseq_len = 4\nbatch_size = 32\n')
    cfg = TrainConfig.load(config, overrides={"epochs": 1}).validate()
    session = build_session(cfg, tmp_path / "run")
    assert session.cfg.batch_size == 32 and session.batch_why is None


def test_the_run_says_which_batch_it_chose_and_keeps_it(run_cli, tmp_path):
    text = _text(tmp_path, 3_000)  # 674 chunks at seq-len 4, 607 for training: batch 32
    out = tmp_path / "run"
    code, stdout, err = run_cli("train", "--model", "charlstm", "--text", text, "--seq-len", "4",
                                "--epochs", "1", *TINY, "--quiet", "--out", out)
    assert code == 0, err
    line = "batch 32 (scaled to 607 training chunks; --batch-size to override)"
    assert stdout.startswith(line + "\n")
    assert json.loads((out / "run.json").read_text())["batch_size"] == {
        "value": 32, "why": "scaled to 607 training chunks; --batch-size to override"}
    assert "- batch size: 32 (scaled to 607 training chunks" in (out / "summary.md").read_text()
    # config.toml keeps the number: a resumed or re-run config trains with the same batch
    assert tomllib.loads((out / "config.toml").read_text())["batch_size"] == 32
    code, stdout, err = run_cli("resume", out, "--epochs", "2", "--quiet")
    assert code == 0, err
    assert "batch 32 (" not in stdout  # nothing chosen this time; the summary still says why
    assert "- batch size: 32 (scaled to 607" in (out / "summary.md").read_text()

    code, stdout, err = run_cli("train", "--model", "charlstm", "--text", text, "--seq-len", "4",
                                "--epochs", "1", *TINY, "--batch-size", "16", "--quiet",
                                "--out", tmp_path / "given")
    assert code == 0, err
    assert "scaled to" not in stdout
    assert "batch_size" not in json.loads((tmp_path / "given/run.json").read_text())
    assert "- batch size:" not in (tmp_path / "given/summary.md").read_text()


def test_batch_size_auto_from_the_command_line(run_cli, tmp_path):
    code, _, err = run_cli("train", "--model", "mlp", "--batch-size", "auto")
    assert code == 2 and "--batch-size \"auto\" scales a language model's batch" in err
    code, _, err = run_cli("train", "--batch-size", "big")
    assert code == 2 and "--batch-size: expected a whole number or 'auto', got 'big'" in err
    text = _text(tmp_path, 3_000)
    code, stdout, err = run_cli("train", "--model", "charlstm", "--text", text, "--seq-len", "4",
                                "--epochs", "1", *TINY, "--batch-size", "auto",
                                "--optimizer", "sgd", "--quiet", "--out", tmp_path / "r")
    assert code == 0, err
    assert stdout.startswith("batch 32 (scaled to 607 training chunks")
