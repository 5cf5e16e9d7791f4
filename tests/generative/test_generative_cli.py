"""`steepest train --model dae|vae|gan|charlstm|transformer`, `steepest generate`, and the
IMDB recipe through `--dataset imdb`, end to end on tiny data."""

import io
import tarfile
from functools import partial

import numpy as np
import pytest

from steepest.datasets import imdb
from steepest.train import load_checkpoint


@pytest.fixture
def bars(tmp_path):
    """uint8 16x16 images of one bright bar, the class its position: an .npz dataset."""
    rng = np.random.default_rng(0)

    def split(n):
        y = rng.integers(0, 4, n)
        x = rng.integers(0, 30, (n, 16, 16)).astype(np.uint8)
        x[np.arange(n), 2 + 4 * y, :] = 255
        return x, y

    (a, b), (c, d) = split(128), split(64)
    path = tmp_path / "bars.npz"
    np.savez(path, x_train=a, y_train=b, x_test=c, y_test=d)
    return path


CORPUS = "the cat sat on the mat. the dog sat on the log. "


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS * 30, encoding="utf-8")
    return path


QUICK = ["--quiet", "--scheduler", "none", "--batch-size", "32"]


def test_vae_run_writes_samples_reconstructions_and_the_latent_plot(run_cli, bars, tmp_path):
    out = tmp_path / "vae"
    code, stdout, err = run_cli(
        "train",
        "--model",
        "vae",
        "--dataset",
        bars,
        "--epochs",
        "2",
        "--model-arg",
        "hidden=[32]",
        *QUICK,
        "--out",
        out,
    )
    assert code == 0, err
    for name in (
        "samples.png",
        "latent.png",
        "reconstructions.png",
        "samples/epoch_002.png",
        "recon.png",
        "summary.md",
    ):
        assert (out / name).read_bytes()[:4] == b"\x89PNG" or name.endswith(".md"), name
    assert "test recon" in stdout
    code, stdout, _ = run_cli("generate", out, "--out", tmp_path / "grid.png", "--seed", "3")
    assert code == 0 and (tmp_path / "grid.png").is_file()
    code, stdout, _ = run_cli("generate", out)  # by default into the run directory
    assert code == 0 and stdout == f"wrote {out / 'generated-seed0.png'}\n"
    assert (out / "generated-seed0.png").read_bytes()[:4] == b"\x89PNG"
    code, stdout, _ = run_cli("eval", out)
    assert code == 0 and "kl" in stdout


def test_dae_and_gan_runs(run_cli, bars, tmp_path):
    code, _, err = run_cli(
        "train",
        "--model",
        "dae",
        "--dataset",
        bars,
        "--epochs",
        "1",
        *QUICK,
        "--out",
        tmp_path / "dae",
    )
    assert code == 0, err
    assert (tmp_path / "dae/reconstructions.png").is_file()
    code, stdout, err = run_cli(
        "train",
        "--model",
        "gan",
        "--dataset",
        bars,
        "--epochs",
        "2",
        "--model-arg",
        "hidden=[32]",
        *QUICK,
        "--out",
        tmp_path / "gan",
    )
    assert code == 0, err
    assert "d_loss" in stdout and "g_loss" in stdout
    header = (tmp_path / "gan/metrics.csv").read_text().splitlines()[0].split(",")
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(header)
    from steepest.cli.report import loss_columns, read_metrics

    assert loss_columns(read_metrics(tmp_path / "gan/metrics.csv")) == ["d_loss", "g_loss"]
    assert (tmp_path / "gan/loss.png").is_file()
    assert (tmp_path / "gan/samples/epoch_001.png").is_file()
    code, _, err = run_cli("eval", tmp_path / "gan")
    assert code == 2 and "no test loss" in err


def test_gan_resume_is_bit_identical_with_both_optimizers(run_cli, bars, tmp_path):
    args = ["--model", "gan", "--dataset", bars, "--model-arg", "hidden=[16]", *QUICK]
    assert run_cli("train", *args, "--epochs", "2", "--out", tmp_path / "a")[0] == 0
    assert run_cli("train", *args, "--epochs", "1", "--out", tmp_path / "b")[0] == 0
    assert run_cli("resume", tmp_path / "b", "--epochs", "2", "--quiet")[0] == 0
    a = load_checkpoint(tmp_path / "a/checkpoints/last.safetensors")
    b = load_checkpoint(tmp_path / "b/checkpoints/last.safetensors")
    assert set(a["optimizer"]) == {"g", "d"}
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key], err_msg=key)
    for key in a["optimizer"]["d"]["state"]["0"]:
        np.testing.assert_array_equal(
            a["optimizer"]["d"]["state"]["0"][key], b["optimizer"]["d"]["state"]["0"][key]
        )


@pytest.mark.parametrize(
    "model, extra",
    [
        ("charlstm", ["--model-arg", "hidden_size=32"]),
        ("transformer", ["--model-arg", "d_model=16", "--model-arg", "layers=1"]),
    ],
)
def test_language_model_trains_on_a_text_file_and_generates(
    run_cli, text_file, tmp_path, model, extra
):
    out = tmp_path / model
    code, stdout, err = run_cli(
        "train",
        "--model",
        model,
        "--text",
        text_file,
        "--seq-len",
        "16",
        "--epochs",
        "2",
        "--lr",
        "0.01",
        *extra,
        *QUICK,
        "--out",
        out,
    )
    assert code == 0, err
    assert "test char_accuracy" in stdout and (out / "sample.txt").is_file()
    code, stdout, err = run_cli(
        "generate",
        out,
        "--prompt",
        "the cat",
        "--length",
        "20",
        "--temperature",
        "0.5",
        "--top-k",
        "3",
    )
    assert code == 0, err
    text = stdout.rstrip("\n")
    assert text.startswith("the cat") and len(text) == 27 and set(text) <= set(CORPUS)
    code, _, err = run_cli("generate", out, "--prompt", "Zebra")
    assert code == 2 and "not in the model's alphabet: 'Zbr'" in err


def test_language_model_input_errors(run_cli, text_file, tmp_path):
    code, _, err = run_cli("train", "--model", "charlstm", "--out", tmp_path / "x")
    assert code == 2 and "--text FILE" in err
    code, _, err = run_cli("train", "--model", "mlp", "--text", text_file, "--out", tmp_path / "y")
    assert code == 2 and "--text is for the language models" in err
    code, _, err = run_cli("train", "--model", "charlstm", "--text", tmp_path / "none.txt")
    assert code == 2 and "does not exist" in err
    code, _, err = run_cli(
        "train",
        "--model",
        "charlstm",
        "--text",
        text_file,
        "--seq-len",
        "1000",
        "--out",
        tmp_path / "z",
    )
    assert code == 2 and "too few for chunks" in err


# ----- IMDB: the in-format fixture -----------------------------------------------------------
GOOD = ["great", "wonderful", "superb", "moving", "brilliant"]
BAD = ["awful", "boring", "dull", "terrible", "weak"]
FILLER = ["the", "film", "plot", "actors", "story", "was", "and", "really", "music", "ending"]


def _review(rng, positive):
    """Filler words with sentiment words; 'not' flips a sentiment word: bigrams carry it."""
    words = list(rng.choice(FILLER, 12))
    for _ in range(3):
        flip = rng.random() < 0.3
        pool = GOOD if positive != flip else BAD
        words.insert(
            int(rng.integers(0, len(words))), ("not " if flip else "") + str(rng.choice(pool))
        )
    return " ".join(words) + "."


def _write_archive(path, n_per_class):
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for split in ("train", "test"):
            for label, folder, rating in ((1, "pos", 9), (0, "neg", 2)):
                for i in range(n_per_class):
                    data = _review(rng, label == 1).encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{folder}/{i}_{rating}.txt")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return path


def test_imdb_fasttext_bigrams_train_end_to_end_from_the_cli(run_cli, tmp_path, monkeypatch):
    archive = _write_archive(tmp_path / "aclImdb_v1.tar.gz", 150)
    # `--dataset imdb` reads the fixture (same archive layout, no checksum: it is not the real one)
    monkeypatch.setattr(
        imdb,
        "load_data",
        partial(imdb.load_data, archive, sha256=None, download=False, cache_dir=tmp_path / "c"),
    )
    code, _, err = run_cli(
        "train",
        "--dataset",
        "imdb",
        "--model",
        "fasttext",
        "--vocab-size",
        "100",
        "--maxlen",
        "40",
        "--model-arg",
        "num_buckets=4096",
        "--model-arg",
        "embed_dim=16",
        "--model-arg",
        "ngram_range=[1, 2]",
        "--epochs",
        "4",
        "--lr",
        "0.05",
        *QUICK,
        "--out",
        tmp_path / "imdb",
    )
    assert code == 0, err
    rows = (tmp_path / "imdb/metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    last = dict(zip(header, rows[-1].split(","), strict=True))
    assert float(last["val_accuracy"]) >= 0.9, last


def test_the_imdb_recipe_file_is_a_valid_config(run_cli):
    from pathlib import Path

    recipe = Path(__file__).resolve().parents[2] / "docs/recipes/imdb_fasttext.toml"
    code, stdout, err = run_cli("summary", "--config", recipe)
    assert code == 0, err
    assert "FastText" in stdout and "3,276,902" in stdout  # 65536*50 + 51*2 parameters
