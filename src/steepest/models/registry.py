"""The preset registry: build any model by name, or sized for a dataset.

Each entry records what input the model reads (``"features"``: any (N, ...) array that
flattens; ``"image"``: (N, C, H, W); ``"tokens"``: (N, L) integer ids), what it is trained
for (``"classify"``: logits and cross-entropy; ``"reconstruct"``: output shaped like its input,
MSE; ``"vae"``: the negative ELBO; ``"gan"``: two players, two optimizers; ``"language_model"``:
next-character cross-entropy), and how to size it for a dataset's per-example shape and
number of classes.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..nn import Module
from .autoencoder import Autoencoder
from .charlm import CharRNN
from .denoising import DenoisingAutoencoder
from .gan import GAN
from .lenet import LeNet5
from .mlp import MLP
from .mnist_cnn import MnistCNN
from .resnet import ResNet
from .text import FastText, LSTMClassifier, TextCNN
from .transformer import CharTransformer
from .vae import VAE

DataKwargs = Callable[[tuple[int, ...], int, "int | None"], dict[str, Any]]


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry; ``default_input`` is the per-example shape used without a dataset."""

    name: str
    build: Callable[..., Module]
    description: str
    inputs: str
    task: str
    data_kwargs: DataKwargs
    default_input: tuple[int, ...]
    # training settings that make `steepest train --model NAME` learn (TrainConfig keys)
    recipe: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, ModelSpec] = {}
_INPUTS = ("features", "image", "tokens")
_TASKS = ("classify", "reconstruct", "vae", "gan", "language_model")


def register(
    name: str, build: Callable[..., Module], description: str, inputs: str = "features",
    task: str = "classify", data_kwargs: DataKwargs | None = None,
    default_input: tuple[int, ...] = (1, 28, 28), recipe: dict[str, Any] | None = None,
) -> ModelSpec:
    """Add a model to the registry (its builder takes keyword arguments, returns a Module).

    >>> st.models.register("tiny", lambda num_classes=10, in_features=784:
    ...     st.nn.Linear(in_features, num_classes), "a linear classifier")
    >>> st.models.get("tiny", num_classes=3)
    """
    if not isinstance(name, str) or not name or name in _REGISTRY:
        raise ValueError(f"register: name must be a new non-empty string, got {name!r}")
    if inputs not in _INPUTS or task not in _TASKS:
        raise ValueError(f"register: inputs must be one of {_INPUTS} and task one of {_TASKS}, "
                         f"got {inputs!r}, {task!r}")
    spec = ModelSpec(name, build, description, inputs, task,
                     data_kwargs or _features_kwargs, tuple(default_input), dict(recipe or {}))
    _REGISTRY[name] = spec
    return spec


def recipe(name: str) -> dict[str, Any]:
    """The default training recipe of preset ``name`` (TrainConfig keys; a copy).

    >>> st.models.recipe("lenet5")["scheduler"]
    'onecycle'
    """
    entry = spec(name)
    return {k: dict(v) if isinstance(v, dict) else v for k, v in entry.recipe.items()}


def names() -> list[str]:
    """Every registered model name, in registration order.

    >>> st.models.names()[:3]
    ['mlp', 'lenet5', 'mnist_cnn']
    """
    return list(_REGISTRY)


def spec(name: str) -> ModelSpec:
    """The registry entry of ``name``; ValueError listing the known names if there is none."""
    entry = _REGISTRY.get(name)
    if entry is None:
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(_REGISTRY)}")
    return entry


def get(name: str, **kwargs: Any) -> Module:
    """Build the model ``name`` with ``kwargs`` (each builder's own arguments).

    Unknown names and unknown arguments raise one ValueError / TypeError that lists the
    choices.

    >>> model = st.models.get("mlp", in_features=2, hidden=(64,), num_classes=3)
    >>> model(st.randn(5, 2)).shape
    (5, 3)
    """
    entry = spec(name)
    accepted = inspect.signature(entry.build).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    unknown = [k for k in kwargs if k not in accepted and not takes_any]
    if unknown:
        raise TypeError(f"model {name!r} got unknown argument(s) {', '.join(unknown)}; it accepts: "
                        f"{', '.join(accepted)}")
    return entry.build(**kwargs)


def accepts(name: str, argument: str) -> bool:
    """Whether model ``name``'s builder takes ``argument`` (e.g. ``"dropout"``)."""
    return argument in inspect.signature(spec(name).build).parameters


def for_data(
    name: str, input_shape: tuple[int, ...], num_classes: int, vocab_size: int | None = None,
    **kwargs: Any,
) -> Module:
    """Build ``name`` sized for a dataset whose examples have ``input_shape`` (no batch axis);
    explicit ``kwargs`` win over the sizes derived from the data.

    >>> model = st.models.for_data("lenet5", (1, 28, 28), num_classes=10)
    """
    entry = spec(name)
    input_shape = tuple(int(n) for n in input_shape)
    derived = entry.data_kwargs(input_shape, num_classes, vocab_size)
    return get(name, **{**derived, **kwargs})


# ----- a language model's batch, scaled to its text -------------------------------------------
AUTO_BATCH = (16, 128)  # the smallest and the largest batch auto_batch_size gives
STEPS_PER_EPOCH = 16  # the optimizer steps per epoch it aims at, once the text is large enough


def auto_batch_size(chunks: int) -> int:
    """The batch of a language-model recipe (``batch_size = "auto"``) for a text of ``chunks``
    training chunks: the largest power of two ``<= chunks / 16``, kept within [16, 128].

    A small text needs small batches to take enough optimizer steps: on a 25 kB text batch 128
    (2 steps per epoch) learned nothing in 30 epochs and batch 16 did; LICENSE.txt (113
    training chunks at seq-len 100) reached 51.7% validation char accuracy at batch 16, so 16
    is the floor. Above it, ``chunks / 16`` keeps at least 16 steps per epoch; from 2,048
    chunks (about 250 kB at seq-len 100) the batch stays at 128, the top of char-rnn's range
    (50-100), and the steps per epoch grow with the text.

    >>> [st.models.auto_batch_size(n) for n in (113, 870, 4000, 100000)]
    [16, 32, 128, 128]
    """
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
        raise ValueError(f"auto_batch_size: chunks must be a positive integer, got {chunks!r}")
    low, high = AUTO_BATCH
    power = 1 << max(0, (chunks // STEPS_PER_EPOCH).bit_length() - 1)
    return min(high, max(low, power))


# ----- how each input kind is sized from the data ------------------------------------------------
def _features_kwargs(shape: tuple[int, ...], classes: int, vocab: int | None) -> dict[str, Any]:
    return {"in_features": math.prod(shape), "num_classes": classes}


def _image(shape: tuple[int, ...], who: str) -> tuple[int, int]:
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"model {who!r} needs square images (C, H, W), got examples of shape "
                         f"{shape}")
    return shape[0], shape[1]


def _image_kwargs(who: str, sized: bool) -> DataKwargs:
    def kwargs(shape: tuple[int, ...], classes: int, vocab: int | None) -> dict[str, Any]:
        channels, side = _image(shape, who)
        out: dict[str, Any] = {"in_channels": channels, "num_classes": classes}
        if sized:
            out["image_size"] = side
        return out

    return kwargs


def _tokens_kwargs(who: str, vocab_arg: str | None) -> DataKwargs:
    def kwargs(shape: tuple[int, ...], classes: int, vocab: int | None) -> dict[str, Any]:
        if len(shape) != 1:
            raise ValueError(f"model {who!r} needs token-id sequences (L,), got examples of shape "
                             f"{shape}")
        out: dict[str, Any] = {"num_classes": classes}
        if vocab_arg is not None:
            if vocab is None:
                raise ValueError(f"model {who!r} needs the vocabulary size of the dataset")
            out[vocab_arg] = vocab
        return out

    return kwargs


def _reconstruct_kwargs(shape: tuple[int, ...], classes: int, vocab: int | None) -> dict[str, Any]:
    return {"in_features": math.prod(shape)}


def _lm_kwargs(who: str, length_arg: str | None) -> DataKwargs:
    def kwargs(shape: tuple[int, ...], classes: int, vocab: int | None) -> dict[str, Any]:
        if len(shape) != 1 or vocab is None:
            raise ValueError(f"model {who!r} needs character-id sequences (T,) and the alphabet "
                             f"size (train it on a text file: --text FILE), got examples of "
                             f"shape {shape}")
        out: dict[str, Any] = {"vocab_size": vocab}
        if length_arg is not None:
            out[length_arg] = shape[0]
        return out

    return kwargs


# ----- the presets ---------------------------------------------------------------------------

def _resnet20(**kwargs: object) -> ResNet:
    return ResNet(**{"blocks": 3, **kwargs})  # type: ignore[arg-type]


register("mlp", MLP, "fully connected network (Flatten, Linear+act per hidden width, Linear)")
# The recipes and the runs they come from (docs/recipes/README.md has the commands):
# lenet5: the demo recipe, MNIST 99.30% in 4 epochs (docs/recipes/mnist_lenet5_bn.toml);
# charlstm/transformer: docs/generative.md's runs on LICENSE.txt; their batch is "auto",
# scaled to the text by auto_batch_size (16 on LICENSE.txt, as measured; the issue-14 report had
# batch 128 learn nothing from a 25 kB text in 30 epochs); fasttext: the IMDB recipe.
_LENET5 = {"optimizer": "adam", "lr": 0.02, "scheduler": "onecycle", "batch_size": 128,
           "epochs": 4, "model_args": {"batch_norm": True}}
_CHARLSTM = {"optimizer": "adam", "lr": 3e-3, "batch_size": "auto", "epochs": 30,
             "clip_grad": 1.0, "seq_len": 100, "scheduler": "cosine",
             "model_args": {"stateful": True}}
_TRANSFORMER = {"optimizer": "adam", "lr": 1e-3, "batch_size": "auto", "epochs": 30,
                "clip_grad": 1.0, "seq_len": 128, "scheduler": "cosine"}
_FASTTEXT = {"optimizer": "adam", "lr": 1e-3, "batch_size": 32, "epochs": 5, "scheduler": "none"}

register("lenet5", LeNet5, "LeNet-5: two 5x5 convolutions with pooling, then 120-84-classes",
         "image", data_kwargs=_image_kwargs("lenet5", sized=True), recipe=_LENET5)
register("mnist_cnn", MnistCNN, "conv32-conv64-maxpool-dropout-fc128-dropout-fc (Keras example)",
         "image", data_kwargs=_image_kwargs("mnist_cnn", sized=True))
register("resnet", ResNet, "ResNet for 32x32 images, 1 block per stage (ResNet-8)", "image",
         data_kwargs=_image_kwargs("resnet", sized=False), default_input=(3, 32, 32))
register("resnet20", _resnet20, "ResNet-20 (3 blocks per stage, He et al. 2016)", "image",
         data_kwargs=_image_kwargs("resnet20", sized=False), default_input=(3, 32, 32))
register("fasttext", FastText, "fastText: mean of hashed n-gram embeddings, then linear",
         "tokens", data_kwargs=_tokens_kwargs("fasttext", None), default_input=(200,),
         recipe=_FASTTEXT)
register("text_cnn", TextCNN, "1-D CNN over word embeddings, max over time (Kim 2014)", "tokens",
         data_kwargs=_tokens_kwargs("text_cnn", "vocab_size"), default_input=(200,))
register("text_lstm", LSTMClassifier, "LSTM over word embeddings, last hidden state, linear",
         "tokens", data_kwargs=_tokens_kwargs("text_lstm", "vocab_size"), default_input=(200,))
register("autoencoder", Autoencoder, "mirrored MLP encoder/decoder, reconstructs its input",
         "features", task="reconstruct", data_kwargs=_reconstruct_kwargs)

register("dae", DenoisingAutoencoder, "autoencoder trained on noisy inputs to give clean ones",
         "features", task="reconstruct", data_kwargs=_reconstruct_kwargs)
register("vae", VAE, "variational autoencoder: MLP encoder to N(mu, sigma), MLP decoder",
         "features", task="vae", data_kwargs=_reconstruct_kwargs)
register("gan", GAN, "MLP generator and discriminator trained against each other", "features",
         task="gan", data_kwargs=_reconstruct_kwargs)
register("charlstm", CharRNN, "character language model: embedding, LSTM (or GRU), linear",
         "tokens", task="language_model", data_kwargs=_lm_kwargs("charlstm", None),
         default_input=(128,), recipe=_CHARLSTM)
register("transformer", CharTransformer, "small causal transformer over characters (GPT-style)",
         "tokens", task="language_model", data_kwargs=_lm_kwargs("transformer", "max_len"),
         default_input=(128,), recipe=_TRANSFORMER)
