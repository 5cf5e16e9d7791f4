"""What the command line needs beyond classification: character data from ``--text FILE``,
and the pictures / text a generative run leaves in its run directory.

A text file becomes a character-level dataset: the alphabet is the sorted set of its
characters; the first 90% of the text is cut into training chunks and the last 10% into test
chunks of ``seq_len + 1`` characters (consecutive chunks share one character), inputs
``chunk[:-1]`` and targets ``chunk[1:]``. Each chunk is one sequence for backpropagation
through time; the hidden state starts at zero in every chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..train.callbacks import Callback
from .config import AUTO, TrainConfig
from .data import Prepared, hold_out, prepare
from .errors import UsageError

TEST_FRACTION = 0.1
IMAGE_TASKS = ("reconstruct", "vae", "gan")


@dataclass(kw_only=True)
class TextPrepared(Prepared):
    """A character dataset: ``alphabet[i]`` is the character of id ``i``."""

    alphabet: str


def read_text(path: str | Path) -> str:
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"--text: {path} is a directory; give one UTF-8 text file")
    if not path.is_file():
        raise UsageError(f"--text: {path} does not exist")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"--text: {path} is not UTF-8 text ({exc.reason} at byte {exc.start})"
                         ) from None


def chunks(ids: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets (N, seq_len): windows of ``seq_len + 1`` ids with stride
    ``seq_len``, so every id but the first is a target exactly once."""
    n = (len(ids) - 1) // seq_len
    if n < 1:
        return np.zeros((0, seq_len), np.int64), np.zeros((0, seq_len), np.int64)
    starts = np.arange(n)[:, None] * seq_len + np.arange(seq_len + 1)
    windows = ids[starts]
    return windows[:, :-1], windows[:, 1:]


def prepare_text(path: str | Path, seq_len: int, subset: int | None = None,
                 val_split: float = 0.0) -> TextPrepared:
    """``--text FILE`` as a character dataset of chunks (see the module docstring); the
    validation chunks are the last ``val_split`` of the training chunks (contiguous text)."""
    text = read_text(path)
    alphabet = "".join(sorted(set(text)))
    index = {c: i for i, c in enumerate(alphabet)}
    ids = np.fromiter((index[c] for c in text), np.int64, count=len(text))
    cut = int(len(ids) * (1 - TEST_FRACTION))
    x_train, y_train = chunks(ids[:cut], seq_len)
    x_test, y_test = chunks(ids[cut:], seq_len)
    if not len(x_train) or not len(x_test):
        raise UsageError(f"--text: {path} has {len(text)} characters, too few for chunks of "
                         f"--seq-len {seq_len} in both splits (90% / 10%); need about "
                         f"{int((seq_len + 1) / TEST_FRACTION) + 1}")
    if subset is not None:
        x_train, y_train = x_train[:subset], y_train[:subset]
    x_train, y_train, x_val, y_val = hold_out(x_train, y_train, val_split, str(path),
                                              contiguous=True)
    return TextPrepared(name=str(path), kind="tokens", input_shape=(seq_len,),
                        num_classes=len(alphabet), vocab_size=len(alphabet), x_train=x_train,
                        y_train=y_train, x_test=x_test, y_test=y_test, x_val=x_val, y_val=y_val,
                        alphabet=alphabet)


def prepare_for(cfg: TrainConfig, task: str) -> Prepared:
    """The data of a run: the text file for a language model, images as floats in [0, 1]
    (inputs = targets) for the image generative models, else ``prepare``."""
    if task == "language_model":
        if not cfg.text:
            raise UsageError(f"model {cfg.model!r} is a language model: give it a text file "
                             "with --text FILE")
        return prepare_text(cfg.text, cfg.seq_len, cfg.subset, cfg.val_split)
    if cfg.text:
        raise UsageError(f"--text is for the language models (charlstm, transformer), not "
                         f"{cfg.model!r}")
    if task not in IMAGE_TASKS:
        return prepare(cfg.dataset, task=task, augment=cfg.augment, subset=cfg.subset,
                       vocab_size=cfg.vocab_size, maxlen=cfg.maxlen, val_split=cfg.val_split)
    if cfg.augment:
        raise UsageError(f"--augment is for classifiers, not {cfg.model!r}")
    # loaded as for a classifier, to keep the labels (the VAE's latent plot is coloured by them)
    val_split = 0.0 if task == "gan" else cfg.val_split  # a GAN has no validation loss
    data = prepare(cfg.dataset, subset=cfg.subset, vocab_size=cfg.vocab_size, maxlen=cfg.maxlen,
                   val_split=val_split)
    data.labels_test = data.y_test  # type: ignore[attr-defined]
    if data.kind == "image":  # the target is the image itself: floats in [0, 1] up front
        from ..data.transforms import to_float_nchw

        data.x_train, data.x_test = to_float_nchw(data.x_train), to_float_nchw(data.x_test)
        if data.x_val is not None:
            data.x_val = to_float_nchw(data.x_val)
    elif data.kind != "features":
        raise UsageError(f"model {cfg.model!r} needs images or float features, but "
                         f"{cfg.dataset} holds {data.kind}")
    data.y_train, data.y_test, data.y_val = data.x_train, data.x_test, data.x_val
    data.train_transform = data.test_transform = None
    return data


def choose_batch_size(cfg: TrainConfig, data: Prepared) -> str | None:
    """Replace ``batch_size = "auto"`` (a language model's recipe, or the user's choice) by
    ``st.models.auto_batch_size`` of the training chunks; returns why, for the run's records
    (None when the batch was given as a number: that batch is used as it is)."""
    from ..models import auto_batch_size

    if cfg.batch_size != AUTO:
        return None
    chunks = len(data.x_train)
    cfg.batch_size = auto_batch_size(chunks)
    return f"scaled to {chunks} training chunks; --batch-size to override"


def stateful_loader(data: Prepared, batch_size: int) -> Any:
    """The training loader of a stateful language model: the chunks as ``batch_size``
    parallel streams of consecutive text, in order (``st.data.text.stream_order``)."""
    from ..data import ArrayDataset, DataLoader
    from ..data.text import stream_order

    rows = min(batch_size, len(data.x_train))
    order = stream_order(len(data.x_train), rows)
    return DataLoader(ArrayDataset(data.x_train[order], data.y_train[order]), batch_size=rows,
                      shuffle=False)


class ResetState(Callback):
    """Clears a stateful model's carried state at the start of each epoch."""

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.trainer.model.reset_state()


# ----- after the run: pictures and a text sample ------------------------------------------------
def _side(data: Prepared) -> tuple[int, int] | None:
    shape = data.input_shape
    if len(shape) == 3 and shape[0] == 1:
        return shape[1], shape[2]
    return None


def write_pictures(task: str, model: Any, data: Prepared, run_dir: Path) -> list[Path]:
    """reconstructions.png (autoencoders), samples.png and latent.png (VAE), samples.png
    (GAN), sample.txt (language models); returns the files written."""
    from ..autograd import no_grad
    from ..random import Generator
    from ..tensor import Tensor
    from ..train import images

    written: list[Path] = []
    model.eval()
    with no_grad():
        if task == "language_model":
            from ..models import generate

            prompt = _prompt(data)
            text = generate(model, prompt, length=400, temperature=0.8, generator=Generator(0))
            path = run_dir / "sample.txt"
            path.write_text(text + "\n", encoding="utf-8")
            return [path]
        side = _side(data)
        if side is None:  # not grayscale images: nothing to draw
            return written
        x = data.x_test[:64]
        if task == "reconstruct" or task == "vae":
            shown, what = x[:32], "inputs"
            if hasattr(model, "corrupt"):  # a denoising autoencoder: show what it cleans up
                shown, what = model.corrupt(Tensor(shown), Generator(0)).numpy(), "noisy inputs"
            out = model(Tensor(shown))
            recon = out.numpy() if task == "reconstruct" else _sigmoid(out.logits.numpy())
            written.append(images.save_pairs(shown, recon, run_dir / "reconstructions.png",
                                             side, ncols=16, title=f"{what} (odd rows) and "
                                             "reconstructions (even rows), test set"))
        if task in ("vae", "gan"):
            samples = model.sample(64, generator=Generator(0)).numpy()
            written.append(images.save_grid(samples, run_dir / "samples.png", side,
                                            title=f"{type(model).__name__}: 64 samples"))
        if task == "vae":
            n = min(len(data.x_test), 5000)
            mu = np.concatenate([model.encode(Tensor(data.x_test[i:i + 500]))[0].numpy()
                                 for i in range(0, n, 500)])
            written.append(images.save_latent_scatter(
                mu[:, :2], data.labels_test[:n], run_dir / "latent.png",
                title=f"latent means of {n} test images" + (" (first 2 of "
                                                            f"{mu.shape[1]} dims)"
                                                            if mu.shape[1] > 2 else "")))
    return written


def _prompt(data: Prepared) -> str:
    alphabet = data.alphabet  # type: ignore[attr-defined]
    return "".join(alphabet[int(i)] for i in data.x_test[0][:16])


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.tanh(0.5 * a)
