"""Datasets by name for the command line: arrays, per-batch transforms, and their shapes.

Images stay uint8 in memory and become normalized float (N, C, H, W) batch by batch in the
DataLoader (``to_float_nchw`` then ``Normalize`` with the training set's mean and std per
channel; augmentation in between, training split only). Synthetic sets are generated with
fixed seeds, so a run's data never depends on its training seed. A path ending in ``.npz``
is your own data: arrays ``x_train, y_train, x_test, y_test``.

Validation: ``--val-split F`` holds out a fraction F of the training examples (after
``--subset``), drawn with a fixed seed (``VAL_SEED``, not the training seed, so runs with
different seeds are compared on the same examples). Early stopping, the best checkpoint
and the plots use it; the test split is evaluated once, at the end of a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import UsageError

REAL = ("mnist", "fashion_mnist", "cifar10", "imdb")
SYNTHETIC = ("spirals", "moons", "blobs", "xor")
NAMES = REAL + SYNTHETIC
_SYNTHETIC_SIZES = (2000, 1000)  # train, test examples
VAL_SEED = 0  # the held-out validation examples are the same for every training seed

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


@dataclass(kw_only=True)
class DataInfo:
    """What sizing a model needs to know about a dataset."""

    name: str
    kind: str  # "image", "features" or "tokens"
    input_shape: tuple[int, ...]  # one example as the model sees it
    num_classes: int
    vocab_size: int | None = None


@dataclass(kw_only=True)
class Prepared(DataInfo):
    """A dataset ready for DataLoaders: arrays and the per-batch transforms."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_transform: Transform | None = None
    test_transform: Transform | None = None
    x_val: np.ndarray | None = None  # held out of the training data (None: --val-split 0)
    y_val: np.ndarray | None = None


# Shapes of the named datasets, so `steepest summary --dataset` need not load them.
_KNOWN = {
    "mnist": ("image", (1, 28, 28), 10), "fashion_mnist": ("image", (1, 28, 28), 10),
    "cifar10": ("image", (3, 32, 32), 10), "imdb": ("tokens", None, 2),
    "spirals": ("features", (2,), 3), "moons": ("features", (2,), 2),
    "blobs": ("features", (2,), 3), "xor": ("features", (2,), 2),
}  # fmt: skip


def describe(dataset: str, vocab_size: int = 10000, maxlen: int = 200) -> DataInfo:
    """The shape information of ``dataset`` (a named one is not loaded)."""
    if dataset in _KNOWN:
        kind, shape, classes = _KNOWN[dataset]
        if kind == "tokens":
            return DataInfo(name=dataset, kind=kind, input_shape=(maxlen,), num_classes=classes,
                            vocab_size=vocab_size)
        return DataInfo(name=dataset, kind=kind, input_shape=shape, num_classes=classes)
    full = prepare(dataset, vocab_size=vocab_size, maxlen=maxlen)
    return DataInfo(name=full.name, kind=full.kind, input_shape=full.input_shape,
                    num_classes=full.num_classes, vocab_size=full.vocab_size)


def _load_real(name: str, vocab_size: int, maxlen: int) -> tuple[tuple, tuple]:
    from .. import datasets

    try:
        if name == "imdb":
            return datasets.imdb.load_data(num_words=vocab_size, maxlen=maxlen)
        return getattr(datasets, name).load_data()
    except datasets.DatasetError as exc:  # offline, damaged cache, ...: the user's to fix
        raise UsageError(f"cannot load {name}: {exc}") from None


def _load_synthetic(name: str) -> tuple[tuple, tuple]:
    from ..datasets import synthetic

    make = getattr(synthetic, name)
    n_train, n_test = _SYNTHETIC_SIZES
    # blobs draws its centers from the seed: both splits must share them
    if name == "blobs":
        x, y = make(n_train + n_test, seed=0)
        return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
    return make(n_train, seed=0), make(n_test, seed=1)


def _load_npz(path: Path) -> tuple[tuple, tuple]:
    if path.is_dir():
        raise UsageError(f"dataset file {path} is a directory, not an .npz file")
    if not path.is_file():
        raise UsageError(f"dataset file {path} does not exist")
    with path.open("rb") as f:
        if f.read(4) != b"PK\x03\x04":  # an .npz is a zip archive; NumPy would talk of pickles
            raise UsageError(f"dataset file {path} is not an .npz file (np.savez writes one with "
                             "x_train, y_train, x_test, y_test)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in npz]
            if missing:
                raise UsageError(f"dataset file {path} lacks arrays {', '.join(missing)} "
                                 "(want x_train, y_train, x_test, y_test)")
            arrays = {k: npz[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, ValueError, EOFError) as exc:
        raise UsageError(f"dataset file {path} is not a readable .npz: {exc}") from None
    for name in ("x_train", "x_test"):
        _check_finite(arrays[name], f"dataset file {path}: {name}")
    x_train, x_test = arrays["x_train"], arrays["x_test"]
    if x_train.ndim < 2:
        raise UsageError(f"dataset file {path}: x_train must hold one example per row (N, ...), "
                         f"got shape {x_train.shape}")
    if x_test.shape[1:] != x_train.shape[1:]:
        raise UsageError(f"dataset file {path}: x_test examples have shape {x_test.shape[1:]}, "
                         f"x_train examples {x_train.shape[1:]}; they must match")
    return (x_train, arrays["y_train"]), (x_test, arrays["y_test"])


def _check_finite(x: np.ndarray, what: str) -> None:
    """Refuse NaN or infinity in float data, naming the first bad element."""
    if x.dtype.kind in "fc" and not np.isfinite(x).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise UsageError(f"{what} holds {x[index]} at index {list(index)}; replace or drop "
                         "non-finite values before training")


def _kind(x: np.ndarray, name: str) -> str:
    if x.dtype == np.uint8 and x.ndim in (3, 4):
        return "image"
    if x.dtype.kind in "iu" and x.ndim == 2:
        return "tokens"
    if x.dtype.kind == "f":
        return "features"
    raise UsageError(f"dataset {name}: cannot tell what x of dtype {x.dtype} and shape "
                     f"{x.shape} is (want uint8 images, int token ids or float features)")


def _labels(y: np.ndarray, name: str, split: str) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind not in "iu" or y.ndim != 1 or (y.size and y.min() < 0):
        raise UsageError(f"dataset {name}: y_{split} must be non-negative integer labels (N,), "
                         f"got {y.dtype} array of shape {y.shape}")
    return y.astype(np.int64)


def _augmentation(name: str, channels: int, side: int) -> list[Any]:
    from ..data import transforms as T

    if name == "cifar10" or channels == 3:  # natural images: shifted crops and mirror images
        return [T.RandomCrop(side, padding=max(1, side // 8)), T.RandomHorizontalFlip()]
    if name == "fashion_mnist":
        return [T.RandomHorizontalFlip(), T.RandomTranslation(2)]
    return [T.RandomAffine(degrees=10, translate=(0.1, 0.1))]  # digits: no flips


def _image_transforms(name: str, x_train: np.ndarray, augment: bool,
                      normalize: bool) -> tuple[Transform, Transform]:
    from ..data import transforms as T

    to_float = T.Lambda(T.to_float_nchw)
    sample = T.to_float_nchw(x_train[:10000])  # mean and std from (a part of) the training set
    channels = sample.shape[1]
    tail = [T.Normalize(sample.mean(axis=(0, 2, 3)), sample.std(axis=(0, 2, 3)))] if normalize \
        else []
    extra = _augmentation(name, channels, sample.shape[2]) if augment else []
    return T.Compose([to_float, *extra, *tail]), T.Compose([to_float, *tail])


def validation_indices(n: int, fraction: float, contiguous: bool = False) -> np.ndarray:
    """The indices of the ``round(fraction * n)`` held-out examples (at least one when
    ``fraction > 0``): a seeded random draw, or the last ones for ordered data (text)."""
    k = min(n - 1, max(1, round(fraction * n))) if fraction > 0 else 0
    if k <= 0:
        return np.zeros(0, np.int64)
    if contiguous:
        return np.arange(n - k, n)
    return np.sort(np.random.default_rng(VAL_SEED).permutation(n)[:k])


def hold_out(x: np.ndarray, y: np.ndarray, fraction: float, name: str,
             contiguous: bool = False) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    """``(x_train, y_train, x_val, y_val)``: ``fraction`` of the examples held out."""
    if fraction > 0 and len(x) < 2:
        raise UsageError(f"dataset {name}: --val-split {fraction:g} needs at least 2 training "
                         f"examples, got {len(x)}")
    val = validation_indices(len(x), fraction, contiguous)
    if not len(val):
        return x, y, None, None
    keep = np.ones(len(x), bool)
    keep[val] = False
    return x[keep], y[keep], x[val], y[val]


def prepare(dataset: str, *, task: str = "classify", augment: bool = False,
            subset: int | None = None, vocab_size: int = 10000, maxlen: int = 200,
            val_split: float = 0.0) -> Prepared:
    """Load ``dataset`` (a name in ``NAMES`` or a ``.npz`` path) for ``task``; hold out
    ``val_split`` of the training examples for validation."""
    if dataset in REAL:
        (x_train, y_train), (x_test, y_test) = _load_real(dataset, vocab_size, maxlen)
    elif dataset in SYNTHETIC:
        (x_train, y_train), (x_test, y_test) = _load_synthetic(dataset)
    elif dataset.endswith(".npz"):
        (x_train, y_train), (x_test, y_test) = _load_npz(Path(dataset))
    else:
        raise UsageError(f"unknown dataset {dataset!r}; choose from: {', '.join(NAMES)}, "
                         "or a path to an .npz file")
    y_train, y_test = _labels(y_train, dataset, "train"), _labels(y_test, dataset, "test")
    kind = _kind(np.asarray(x_train), dataset)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test) or not len(x_train):
        raise UsageError(f"dataset {dataset}: need as many labels as examples and at least one "
                         f"example, got {len(x_train)}/{len(y_train)} and {len(x_test)}/"
                         f"{len(y_test)}")
    if subset is not None:
        x_train, y_train = x_train[:subset], y_train[:subset]
    x_train, y_train, x_val, y_val = hold_out(x_train, y_train, val_split, dataset)
    if augment and kind != "image":
        raise UsageError(f"--augment needs an image dataset; {dataset} holds {kind}")
    num_classes = int(max(y_train.max(), y_test.max() if y_test.size else 0)) + 1
    prepared = Prepared(name=dataset, kind=kind, input_shape=tuple(x_train.shape[1:]),
                        num_classes=num_classes, x_train=x_train, y_train=y_train,
                        x_test=x_test, y_test=y_test, x_val=x_val, y_val=y_val)
    if kind == "image":
        if task == "reconstruct":  # the target is the image itself: floats in [0, 1] up front
            from ..data.transforms import to_float_nchw

            prepared.x_train, prepared.x_test = to_float_nchw(x_train), to_float_nchw(x_test)
            prepared.y_train, prepared.y_test = prepared.x_train, prepared.x_test
            if x_val is not None:
                prepared.x_val = prepared.y_val = to_float_nchw(x_val)
        else:
            prepared.train_transform, prepared.test_transform = _image_transforms(
                dataset, x_train, augment, normalize=True)
        side = x_train.shape[1:3]
        channels = 1 if x_train.ndim == 3 else x_train.shape[3]
        prepared.input_shape = (channels, *side)
    elif kind == "tokens":
        prepared.vocab_size = vocab_size if dataset == "imdb" else int(
            max(x_train.max(), x_test.max() if x_test.size else 0)) + 1
    elif task == "reconstruct":
        prepared.y_train, prepared.y_test = prepared.x_train, prepared.x_test
        prepared.y_val = prepared.x_val
    return prepared


def loaders(data: Prepared, batch_size: int, seed: int) -> tuple[Any, Any]:
    """Shuffled training loader (seeded) and the test loader, each yielding Tensors."""
    from ..data import ArrayDataset, DataLoader

    train = DataLoader(ArrayDataset(data.x_train, data.y_train), batch_size=batch_size,
                       shuffle=True, seed=seed, transform=data.train_transform)
    return train, eval_loader(data.x_test, data.y_test, data, batch_size)


def eval_loader(x: np.ndarray, y: np.ndarray, data: Prepared, batch_size: int) -> Any:
    """An unshuffled, unaugmented loader over ``(x, y)`` (validation, test, eval)."""
    from ..data import ArrayDataset, DataLoader

    return DataLoader(ArrayDataset(x, y), batch_size=max(batch_size, 256), shuffle=False,
                      transform=data.test_transform)


def val_loader(data: Prepared, batch_size: int) -> Any:
    """The validation loader, or None when nothing was held out (--val-split 0)."""
    if data.x_val is None:
        return None
    return eval_loader(data.x_val, data.y_val, data, batch_size)
