"""Fashion-MNIST (Zalando): 60,000 + 10,000 clothing images, 28 x 28, uint8, 10 classes.

Sources, tried in order, each verified against the published SHA-256 of the
uncompressed IDX files: the cache (``$STEEPEST_DATA/fashion_mnist``), a ``path=``
directory, the copy installed by Debian's ``dataset-fashion-mnist`` package
(``/usr/share/datasets/fashion-mnist``; re-compressed there, hence the check on the
decompressed bytes), then the canonical HTTPS mirrors.
"""

from __future__ import annotations

import os

from ._idx_dataset import IdxDatasetSpec, IdxFile, Splits, load_idx_dataset

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

MIRRORS = (
    "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"

FILES = (
    IdxFile(
        "x_train",
        "train-images-idx3-ubyte",
        (60000, 28, 28),
        sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        gz_sha256="3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    ),
    IdxFile(
        "y_train",
        "train-labels-idx1-ubyte",
        (60000,),
        sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        gz_sha256="a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    ),
    IdxFile(
        "x_test",
        "t10k-images-idx3-ubyte",
        (10000, 28, 28),
        sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        gz_sha256="346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    ),
    IdxFile(
        "y_test",
        "t10k-labels-idx1-ubyte",
        (10000,),
        sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        gz_sha256="67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ),
)

SPEC = IdxDatasetSpec(
    name="fashion_mnist",
    files=FILES,
    mirrors=MIRRORS,
    system_dirs=((DEBIAN_DIR, "apt-get install dataset-fashion-mnist"),),
)


def load_data(
    path: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> Splits:
    """Load Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Images are uint8 ``(N, 28, 28)``, labels int64 in ``0..9`` (names in
    ``CLASS_NAMES``). Arguments as in ``mnist.load_data``.

    >>> (x_train, y_train), (x_test, y_test) = st.datasets.fashion_mnist.load_data()
    >>> CLASS_NAMES[y_train[0]]
    'Ankle boot'
    """
    return load_idx_dataset(SPEC, path=path, cache_dir=cache_dir, download=download)
