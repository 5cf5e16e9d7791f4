"""`steepest train / resume / eval / summary / lr-find / datasets` end to end on tiny data."""

import csv
import re
import tomllib

import numpy as np
import pytest

from steepest.train import load_checkpoint

SPIRALS = ["--dataset", "spirals", "--model-arg", "hidden=[32]", "--batch-size", "64",
           "--subset", "256", "--lr", "0.01", "--scheduler", "none"]


def _rows(path):
    with path.open() as f:
        return list(csv.DictReader(f))


def test_train_in_a_real_process_writes_the_whole_run_directory(run_process, tmp_path):
    out = tmp_path / "run"
    proc = run_process("train", *SPIRALS, "--epochs", "2", "--out", out)
    assert proc.returncode == 0, proc.stderr
    for name in ("config.toml", "metrics.csv", "log.jsonl", "loss.png", "accuracy.png",
                 "summary.md", "run.json", "checkpoints/last.safetensors",
                 "checkpoints/best.safetensors"):
        assert (out / name).is_file(), name
    rows = _rows(out / "metrics.csv")
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(rows[0])
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text()
    assert "steepest train --dataset spirals" in summary and "val_accuracy" in summary
    assert f"plots: {out / 'loss.png'}, {out / 'accuracy.png'}" in proc.stdout
    assert "test accuracy" in proc.stdout
    assert "epoch 2/2" in proc.stderr  # not a terminal: one progress line per epoch
    config = tomllib.loads((out / "config.toml").read_text())
    assert config["dataset"] == "spirals" and config["model_args"] == {"hidden": [32]}
    assert "out" not in config  # the recipe, not the place: re-running it makes a new run


def test_resume_ends_bit_identical_to_an_uninterrupted_run(run_cli, tmp_path):
    code, _, _ = run_cli("train", *SPIRALS, "--epochs", "3", "--quiet", "--out", tmp_path / "a")
    assert code == 0
    code, _, _ = run_cli("train", *SPIRALS, "--epochs", "1", "--quiet", "--out", tmp_path / "b")
    assert code == 0
    code, out, _ = run_cli("resume", tmp_path / "b", "--epochs", "3", "--quiet")
    assert code == 0 and "; 3 epochs in" in out
    a = load_checkpoint(tmp_path / "a/checkpoints/last.safetensors")
    b = load_checkpoint(tmp_path / "b/checkpoints/last.safetensors")
    assert a["trainer"]["step"] == b["trainer"]["step"] == 3 * 4  # 256 examples / 64
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key], err_msg=key)
    assert _rows(tmp_path / "a/metrics.csv") == _rows(tmp_path / "b/metrics.csv")
    assert "epochs = 3" in (tmp_path / "b/config.toml").read_text()
    code, out, _ = run_cli("resume", tmp_path / "b")
    assert code == 0 and "already finished 3 of 3 epochs" in out


def test_eval_of_a_run_and_of_a_checkpoint(run_cli, tmp_path):
    run = tmp_path / "run"
    assert run_cli("train", *SPIRALS, "--epochs", "2", "--quiet", "--out", run)[0] == 0
    rows = _rows(run / "metrics.csv")
    best = max(range(len(rows)), key=lambda i: float(rows[i]["val_accuracy"]))
    # the run evaluated the best checkpoint on the test split once, on that epoch's row only
    assert [bool(r["test_accuracy"]) for r in rows] == [i == best for i in range(len(rows))]
    code, out, _ = run_cli("eval", run)  # a run directory: its best checkpoint
    assert code == 0
    assert out.startswith("test (1000 examples): loss ")
    assert f"accuracy {float(rows[best]['test_accuracy']):.4f}" in out
    assert f"best.safetensors, epoch {best + 1}]" in out
    code, out, _ = run_cli("eval", run / "checkpoints/last.safetensors", "--split", "train")
    assert code == 0 and out.startswith("train (230 examples)")  # 256 less 10% for validation
    code, out, _ = run_cli("eval", run, "--split", "val")
    assert code == 0 and out.startswith("val (26 examples)")
    assert f"accuracy {float(rows[best]['val_accuracy']):.4f}" in out


def test_config_file_stands_in_for_flags_and_flags_win(run_cli, tmp_path):
    config = tmp_path / "recipe.toml"
    config.write_text('dataset = "moons"\nepochs = 1\nbatch_size = 32\noptimizer = "momentum"\n'
                      'subset = 64\n\n[model_args]\nhidden = [8, 8]\nactivation = "tanh"\n')
    out = tmp_path / "run"
    code, _, err = run_cli("train", "--config", config, "--batch-size", "16", "--quiet",
                           "--model-arg", "activation=gelu", "--out", out)
    assert code == 0, err
    saved = tomllib.loads((out / "config.toml").read_text())
    assert (saved["dataset"], saved["epochs"], saved["batch_size"]) == ("moons", 1, 16)
    assert saved["model_args"] == {"hidden": [8, 8], "activation": "gelu"}
    # the saved config reproduces the run
    code, _, err = run_cli("train", "--config", out / "config.toml", "--quiet", "--out",
                           tmp_path / "again")
    assert code == 0, err
    first = load_checkpoint(out / "checkpoints/last.safetensors")["model"]
    again = load_checkpoint(tmp_path / "again/checkpoints/last.safetensors")["model"]
    for key in first:
        np.testing.assert_array_equal(first[key], again[key], err_msg=key)


def test_images_from_an_npz_file_with_a_cnn_and_augmentation(run_cli, fake_mnist, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = run_cli("train", "--dataset", fake_mnist, "--model", "lenet5", "--epochs",
                                "1", "--batch-size", "32", "--augment", "--quiet", "--out", out)
    assert code == 0, err
    assert "test accuracy" in stdout
    assert len(_rows(out / "metrics.csv")) == 1


def test_rgb_images_with_a_resnet_and_augmentation(run_cli, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (24, 16, 16, 3)).astype(np.uint8)  # channels last, as CIFAR-10
    y = rng.integers(0, 3, 24)
    path = tmp_path / "rgb.npz"
    np.savez(path, x_train=x[:16], y_train=y[:16], x_test=x[16:], y_test=y[16:])
    out = tmp_path / "run"
    code, _, err = run_cli("train", "--dataset", path, "--model", "resnet", "--model-arg",
                           "widths=[4, 8]", "--augment", "--epochs", "1", "--batch-size", "8",
                           "--quiet", "--out", out)
    assert code == 0, err
    code, stdout, _ = run_cli("summary", "--model", "resnet", "--dataset", path,
                              "--model-arg", "widths=[4, 8]")
    assert code == 0
    assert "Input shape: [1, 3, 16, 16]" in stdout and "Output shape: [1, 3]" in stdout


def test_autoencoder_trains_on_images(run_cli, fake_mnist, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = run_cli("train", "--dataset", fake_mnist, "--model", "autoencoder",
                                "--model-arg", "hidden=[16]", "--model-arg", "latent=4",
                                "--epochs", "2", "--quiet", "--out", out)
    assert code == 0, err
    assert "test mae" in stdout and (out / "mae.png").is_file()


def test_text_models_train_on_token_ids(run_cli, tmp_path):
    rng = np.random.default_rng(0)

    def split(n):
        y = rng.integers(0, 2, n)
        ids = rng.integers(3, 50, (n, 12))
        ids[:, :4] = np.where(y[:, None] == 1, 1, 2)  # a marker word per class
        return ids, y

    (x_train, y_train), (x_test, y_test) = split(64), split(32)
    path = tmp_path / "tokens.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    for model, args in (("fasttext", ["--model-arg", "num_buckets=256"]),
                        ("text_cnn", ["--model-arg", "filters=4", "--model-arg", "embed_dim=8"])):
        code, out, err = run_cli("train", "--dataset", path, "--model", model, *args, "--epochs",
                                 "2", "--batch-size", "16", "--lr", "0.01", "--quiet", "--out",
                                 tmp_path / model)
        assert code == 0, err
        assert "test accuracy" in out
    code, _, err = run_cli("train", "--dataset", path, "--model", "mlp", "--quiet")
    assert code == 2 and "holds token ids; use a text model" in err


def test_summary_prints_the_table(run_cli):
    code, out, _ = run_cli("summary", "--model", "lenet5", "--model-arg", "batch_norm=false")
    assert code == 0
    assert "lenet5 for mnist: input [1, 28, 28], 10 classes" in out
    assert "Total params: 61,706" in out
    code, out, _ = run_cli("summary", "--model", "lenet5")  # its recipe: with batch norm
    assert code == 0 and "Total params: 61,728" in out and "BatchNorm2d" in out
    code, out, _ = run_cli("summary", "--model", "text_lstm", "--maxlen", "12",
                           "--model-arg", "hidden_size=8")
    assert code == 0 and "LSTMClassifier summary" in out and "[1, 2]" in out
    code, out, _ = run_cli("summary", "--model", "mlp", "--dataset", "spirals")
    assert code == 0 and "Total params: 133,635" in out  # (2+1)512 + (512+1)256 + (256+1)3


def test_lr_find_writes_a_plot_and_suggests_a_rate(run_cli, tmp_path):
    out = tmp_path / "lr"
    code, stdout, err = run_cli("lr-find", "--dataset", "spirals", "--model-arg", "hidden=[32]",
                                "--steps", "60", "--start-lr", "1e-5", "--end-lr", "10",
                                "--out", out)
    assert code == 0, err
    assert (out / "lr_find.png").is_file()
    rows = _rows(out / "lr_find.csv")
    lrs = [float(r["lr"]) for r in rows]
    assert lrs[0] == 1e-5 and lrs == sorted(lrs) and len(rows) <= 60
    assert "suggested lr: " in stdout
    suggested = float(stdout.split("suggested lr: ")[1].split()[0])
    assert 1e-5 < suggested < 10


def test_datasets_reports_the_cache(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("STEEPEST_DATA", str(tmp_path))
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "mnist.npz").write_bytes(b"x" * 2048)
    code, out, _ = run_cli("datasets")
    assert code == 0
    assert f"data home: {tmp_path}" in out
    assert "mnist          cached (0 MiB: mnist.npz)" in out
    assert "cifar10        not cached yet" in out
    assert "spirals, moons, blobs, xor: generated" in out


def test_help_and_version(run_process):
    proc = run_process("--help")
    assert proc.returncode == 0 and "lr-find" in proc.stdout
    proc = run_process("train", "--help")
    assert proc.returncode == 0 and "--weight-decay" in proc.stdout


@pytest.mark.parametrize(
    ("flags", "lr_after"),
    [
        (["--optimizer", "sgd"], 0.1),  # the default lr of each optimizer
        (["--optimizer", "momentum"], 0.01),
        (["--optimizer", "nesterov", "--weight-decay", "1e-4"], 0.01),
        (["--optimizer", "adagrad"], 0.01),
        (["--optimizer", "rmsprop", "--clip-grad", "1"], 1e-3),
        (["--optimizer", "adadelta"], 1.0),
        (["--optimizer", "adamw", "--weight-decay", "0.05"], 1e-3),
        (["--optimizer", "nadam"], 2e-3),
        (["--optimizer", "lion"], 1e-4),
        (["--scheduler", "step", "--lr", "0.1"], 0.001),  # / 10 after epoch 2, again after 3
        # the logged lr is the one the epoch trained with: 3 decays before the 4th epoch
        (["--scheduler", "exponential", "--lr", "0.1"], 0.1 * 0.9**3),
        (["--scheduler", "cosine", "--lr", "0.1"], 0.0),
        (["--scheduler", "onecycle", "--lr", "0.1"], None),
        (["--scheduler", "plateau", "--lr", "0.1", "--patience", "3"], None),
    ],
)
def test_every_optimizer_and_scheduler(run_cli, tmp_path, flags, lr_after):
    out = tmp_path / "run"
    code, _, err = run_cli("train", "--dataset", "blobs", "--model-arg", "hidden=[16]", "--subset",
                           "128", "--batch-size", "64", "--epochs", "4", "--scheduler", "none",
                           *flags, "--quiet", "--out", out)
    assert code == 0, err
    lr = float(_rows(out / "metrics.csv")[-1]["lr"])
    if lr_after is not None:
        assert lr == pytest.approx(lr_after, rel=1e-6, abs=1e-12)


def test_the_demo_recipe_file_is_a_valid_config(run_cli):
    from pathlib import Path

    recipe = Path(__file__).resolve().parents[2] / "docs/recipes/mnist_lenet5_bn.toml"
    code, stdout, err = run_cli("summary", "--config", recipe)
    assert code == 0, err
    assert "LeNet5" in stdout and "BatchNorm2d" in stdout and "61,728" in stdout


def test_betas_reach_the_optimizer_and_the_saved_config(run_cli, tmp_path):
    out = tmp_path / "run"
    code, _, err = run_cli("train", *SPIRALS, "--epochs", "1", "--optimizer", "adam",
                           "--betas", "0.5", "0.99", "--quiet", "--out", out)  # fmt: skip
    assert code == 0, err
    assert tomllib.loads((out / "config.toml").read_text())["betas"] == [0.5, 0.99]
    state = load_checkpoint(out / "checkpoints/last.safetensors")
    assert state["optimizer"]["param_groups"][0]["betas"] == [0.5, 0.99]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--optimizer", "sgd", "--betas", "0.5", "0.9"], "--betas applies to adam, adamw"),
        (["--betas", "1.0", "0.9"], r"--betas must be two numbers in \[0, 1\)"),
    ],
)
def test_bad_betas_are_usage_errors(run_cli, tmp_path, flags, message):
    code, _, err = run_cli("train", *SPIRALS, *flags, "--quiet", "--out", tmp_path / "run")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert re.search(message, err), err
