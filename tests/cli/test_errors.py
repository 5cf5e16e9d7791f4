"""Bad input: one clear line on stderr, exit code 2, never a traceback."""

import pytest

SPIRALS = ["--dataset", "spirals", "--subset", "64", "--epochs", "1", "--quiet"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--lr", "-1e-3"], "--lr must be > 0, got -0.001"),
        (["train", "--lr", "abc"], "train: argument --lr: invalid float value: 'abc'"),
        (["train", "--batch-size", "0"], "--batch-size must be an integer >= 1, got 0"),
        (["train", "--epochs", "1.5"], "train: argument --epochs: invalid int value: '1.5'"),
        (["train", "--weight-decay", "-1"], "--weight-decay must be >= 0, got -1.0"),
        (["train", "--dropout", "1.5"], "--dropout must be < 1, got 1.5"),
        (["train", "--optimizer", "adamax"], "argument --optimizer: invalid choice: 'adamax'"),
        (["train", "--scheduler", "warm"], "argument --scheduler: invalid choice: 'warm'"),
        (["train", "--model", "vgg", *SPIRALS], "unknown model 'vgg'; choose from: mlp, lenet5"),
        (["train", "--dataset", "mnits"], "unknown dataset 'mnits'; choose from: mnist"),
        (["train", "--dataset", "missing.npz"], "dataset file missing.npz does not exist"),
        (["train", "--config", "missing.toml"], "config file missing.toml does not exist"),
        (["train", "--model", "lenet5", *SPIRALS],
         "model 'lenet5' reads image, but dataset spirals holds features"),
        (["train", "--model", "resnet", "--dropout", "0.1", *SPIRALS],
         "--dropout: model 'resnet' has no dropout"),
        (["train", "--augment", *SPIRALS], "--augment needs an image dataset; spirals holds"),
        (["train", "--model-arg", "hidden", *SPIRALS], "--model-arg expects KEY=VALUE, got"),
        (["train", "--model-arg", "width=3", *SPIRALS],
         "model 'mlp' got unknown argument(s) width; it accepts: in_features"),
        (["train", "--model-arg", "hidden=[0]", *SPIRALS],
         "MLP: every entry of hidden must be a positive int, got 0"),
        (["train", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        ([], "choose a command: train, eval, resume, export, summary, lr-find, generate, "
             "datasets, study"),
        (["eval", "nowhere"], "nowhere does not exist"),
        (["resume", "nowhere"], "run directory nowhere does not exist"),
        (["summary", "--model", "text_cnn", "--dataset", "spirals"],
         "model 'text_cnn' reads tokens, but dataset spirals holds features"),
        (["summary", "--batch", "0"], "--batch must be at least 1, got 0"),
        (["lr-find", "--start-lr", "1", "--end-lr", "0.1"],
         "--end-lr (0.1) must be larger than --start-lr (1.0)"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(run_cli, args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative paths above point into an empty directory
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    assert err.startswith("steepest: error: ") and err.count("\n") == 1, err
    assert message in err
    assert not list(tmp_path.glob("runs"))  # nothing written for a refused command


def test_bad_config_files(run_cli, tmp_path):
    bad_key = tmp_path / "a.toml"
    bad_key.write_text('lr = 0.1\nlearning_rate = 0.1\n')
    code, _, err = run_cli("train", "--config", bad_key)
    assert code == 2 and "unknown key(s) 'learning_rate'" in err
    broken = tmp_path / "b.toml"
    broken.write_text("epochs = = 3\n")
    code, _, err = run_cli("train", "--config", broken)
    assert code == 2 and f"config file {broken} is not valid toml" in err
    wrong_type = tmp_path / "c.toml"
    wrong_type.write_text('batch_size = "big"\n')
    code, _, err = run_cli("train", "--config", wrong_type)
    assert code == 2 and "--batch-size must be an integer >= 1, got 'big'" in err


def test_npz_without_the_four_arrays(run_cli, tmp_path):
    import numpy as np

    path = tmp_path / "half.npz"
    np.savez(path, x_train=np.zeros((4, 2), np.float32), y_train=np.zeros(4, np.int64))
    code, _, err = run_cli("train", "--dataset", path, "--quiet")
    assert code == 2 and "lacks arrays x_test, y_test" in err


def test_a_run_directory_is_never_overwritten(run_cli, tmp_path):
    out = tmp_path / "run"
    assert run_cli("train", *SPIRALS, "--out", out)[0] == 0
    code, _, err = run_cli("train", *SPIRALS, "--out", out)
    assert code == 2 and f"{out} already holds a run; continue it with `steepest resume" in err
    code, _, err = run_cli("eval", out / "config.toml")
    assert code == 2 and "config.toml" in err and err.count("\n") == 1


def test_an_annealed_run_can_be_extended(run_cli, tmp_path):
    # the schedule is re-planned over the new length (tests/cli/test_resume_extend.py)
    out = tmp_path / "run"
    assert run_cli("train", *SPIRALS, "--scheduler", "cosine", "--out", out)[0] == 0
    code, stdout, err = run_cli("resume", out, "--epochs", "3")
    assert code == 0 and "; 3 epochs in" in stdout, err


def test_a_real_process_prints_no_traceback(run_process):
    proc = run_process("train", "--batch-size", "0")
    assert proc.returncode == 2
    assert proc.stderr == "steepest: error: --batch-size must be an integer >= 1, got 0\n"
    proc = run_process("eval", "no/such/run")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
