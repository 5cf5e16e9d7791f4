"""The CLI's error paths, walked: each ends in one line and a documented exit code, never a
traceback, and nothing already on disk is lost."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np

from steepest.train import load_checkpoint

SRC = Path(__file__).resolve().parents[2] / "src"

TINY = ["--model-arg", "hidden=[8]", "--batch-size", "64", "--subset", "256", "--epochs", "1",
        "--quiet"]


def _npz(path, **arrays):
    rng = np.random.default_rng(0)
    base = {"x_train": rng.normal(size=(40, 3)).astype(np.float32),
            "y_train": rng.integers(0, 2, 40), "x_test": rng.normal(size=(10, 3)).astype(
                np.float32), "y_test": rng.integers(0, 2, 10)}
    np.savez(path, **{**base, **arrays})
    return path


def _one_line(code, out, err, want_code=2):
    assert code == want_code, (code, out, err)
    assert err.startswith("steepest: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_user_errors_are_one_line(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = {
        "x_train must hold one example per row (N, ...), got shape (40,)":
            ["--dataset", _npz(tmp_path / "flat.npz", x_train=np.zeros(40, np.float32))],
        "x_test examples have shape (4,), x_train examples (3,); they must match":
            ["--dataset", _npz(tmp_path / "wide.npz", x_test=np.zeros((10, 4), np.float32))],
        "is not an .npz file": ["--dataset", tmp_path / "notes.npz"],
        "is a directory; give one UTF-8 text file": ["--model", "charlstm", "--text", tmp_path],
        "--model-arg hidden: '[8, 8' is not a valid TOML value": ["--model-arg", "hidden=[8, 8"],
        "--patience watches the validation loss; it needs --val-split > 0":
            ["--patience", "2", "--val-split", "0"],
        "--val-split must be < 1, got 1.5": ["--val-split", "1.5"],
        "--out taken is a file; give a directory for the run": ["--out", "taken"],
        "cannot write the run directory taken/run: Not a directory":
            ["--dataset", "moons", *TINY, "--out", "taken/run"],
    }
    (tmp_path / "notes.npz").write_text("x,y\n1,2\n")  # a text file with the wrong suffix
    (tmp_path / "taken").write_text("a file, not a directory\n")
    for message, args in cases.items():
        err = _one_line(*run_cli("train", *args))
        assert message in err, (args, err)
    assert not (tmp_path / "runs").exists()


def test_nan_or_inf_in_the_data_is_named_with_its_first_index(run_cli, tmp_path):
    x = np.ones((40, 3), np.float32)
    x[7, 2] = np.inf
    x[9, 0] = np.nan
    err = _one_line(*run_cli("train", "--dataset", _npz(tmp_path / "bad.npz", x_train=x)))
    assert "bad.npz: x_train holds inf at index [7, 2]" in err
    x_test = np.zeros((10, 3), np.float32)
    x_test[3, 1] = -np.inf
    err = _one_line(*run_cli("train", "--dataset", _npz(tmp_path / "bad2.npz", x_test=x_test)))
    assert "x_test holds -inf at index [3, 1]" in err


def test_resume_with_an_edited_config_names_both_models(run_cli, tmp_path):
    run = tmp_path / "run"
    assert run_cli("train", "--dataset", "moons", *TINY, "--out", run)[0] == 0
    config = run / "config.toml"
    config.write_text(config.read_text().replace('model = "mlp"', 'model = "autoencoder"'))
    err = _one_line(*run_cli("resume", run, "--epochs", "2"))
    assert "('autoencoder'; the checkpoint was trained as model 'mlp')" in err
    # eval reads the config recorded in the checkpoint, so the edit does not matter to it
    code, out, _ = run_cli("eval", run)
    assert code == 0 and out.startswith("test (1000 examples)")
    config.write_text("")  # not even an empty or broken config.toml
    assert run_cli("eval", run)[0] == 0
    config.write_text("model = = 3\n")
    assert run_cli("eval", run)[0] == 0


def _process(tmp_path, *args, code=None):
    """The CLI in a real process (optionally with Python code run first); returns it done."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "STEEPEST_DATA": str(tmp_path / "data")}
    head = code or ""
    script = f"import sys\n{head}\nfrom steepest.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", script, *map(str, args)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)


def test_divergence_is_one_line_exit_3_and_keeps_no_bad_checkpoint(tmp_path):
    proc = _process(tmp_path, "train", "--dataset", "spirals", "--lr", "1e6", "--optimizer",
                    "sgd", "--epochs", "2", "--quiet", "--out", "run")
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("steepest: training diverged: loss is nan in step 3 (epoch 1, "
                                  "batch 3); no checkpoint was good enough to keep; try a lower "
                                  "--lr (this run: 1e+06) or --clip-grad 1.0")
    assert (tmp_path / "run/loss.png").is_file()  # the batches so far
    assert not (tmp_path / "run/checkpoints/last.safetensors").exists()


# The loss turns NaN on its 11th call: in epoch 3 of 4 steps (+1 validation call) per epoch.
NAN_LATER = """
import steepest.cli.train_cmd as t
real = t.build_loss
def build_loss(task):
    loss, metrics = real(task)
    calls = [0]
    def nan_later(out, y):
        calls[0] += 1
        value = loss(out, y)
        return value * float("nan") if calls[0] > 10 else value
    return nan_later, metrics
t.build_loss = build_loss
"""


def test_divergence_mid_run_keeps_the_last_good_checkpoint_and_the_plots(tmp_path):
    proc = _process(tmp_path, "train", "--dataset", "moons", *TINY, "--epochs", "4", "--out",
                    "run", code=NAN_LATER)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "loss is nan in step 9 (epoch 3, batch 1)" in proc.stderr
    last = tmp_path / "run/checkpoints/last.safetensors"
    assert "kept the last good checkpoint run/checkpoints/last.safetensors (epoch 2)" in \
        proc.stderr
    state = load_checkpoint(last)
    assert state["trainer"]["epoch"] == 2 and state["trainer"]["step"] == 8
    assert all(np.isfinite(v).all() for v in state["model"].values())
    assert (tmp_path / "run/loss.png").is_file() and (tmp_path / "run/accuracy.png").is_file()
    assert "stopped: TerminateOnNaN: loss is nan" in (tmp_path / "run/summary.md").read_text()


# Writes past 64 kB fail (SIGXFSZ ignored, so write() raises EFBIG): the second checkpoint
# of a model bigger than that fails half-way.
FSIZE = """
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
"""


def test_a_checkpoint_save_failing_half_way_keeps_the_previous_one(tmp_path):
    run = tmp_path / "run"
    args = ["--dataset", "moons", "--model-arg", "hidden=[64, 64]", "--batch-size", "64",
            "--subset", "256", "--quiet", "--out", run]
    proc = _process(tmp_path, "train", *args, "--epochs", "1")
    assert proc.returncode == 0, proc.stderr
    last = run / "checkpoints/last.safetensors"
    before = last.read_bytes()
    size = len(before)
    limit = FSIZE + f"resource.setrlimit(resource.RLIMIT_FSIZE, ({size // 2}, {size // 2}))\n"
    proc = _process(tmp_path, "resume", run, "--epochs", "2", "--quiet", code=limit)
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert "steepest: could not save" in proc.stderr and "File too large" in proc.stderr
    assert (f"the previous checkpoint {last} is intact (epoch 1); `steepest resume {run}` "
            "continues from it") in proc.stderr
    assert last.read_bytes() == before  # untouched, and still loads
    assert load_checkpoint(last)["trainer"]["epoch"] == 1
    assert not list(last.parent.glob(".*.tmp*"))  # the partial file was removed
    saved = tomllib.loads((run / "config.toml").read_text())
    assert saved["epochs"] == 2


def test_ctrl_c_while_plotting_then_resume_draws_the_plots(run_cli, tmp_path, monkeypatch):
    import steepest.cli.report as report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    run = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(report, "plot_run", interrupted)
        code, _, err = run_cli("train", "--dataset", "moons", *TINY, "--out", run)
    assert code == 130 and f"interrupted while drawing the plots; `steepest resume {run}` " \
        "draws them" in err
    assert not (run / "loss.png").exists()
    code, out, _ = run_cli("resume", run)
    assert code == 0 and f"drew the plots of {run}" in out
    assert (run / "loss.png").is_file() and "test_accuracy" not in (run / "summary.md").read_text()
    assert "## Test split\n\nEvaluated once" in (run / "summary.md").read_text()
