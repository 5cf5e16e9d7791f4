"""Real and synthetic datasets, Keras-style: ``load_data()`` returns NumPy arrays.

Real datasets (verified against published SHA-256 values, cached under
``$STEEPEST_DATA``, default ``~/.cache/steepest``)::

    (x_train, y_train), (x_test, y_test) = st.datasets.mnist.load_data()
    (x_train, y_train), (x_test, y_test) = st.datasets.fashion_mnist.load_data()
    (x_train, y_train), (x_test, y_test) = st.datasets.cifar10.load_data()
    (x_train, y_train), (x_test, y_test) = st.datasets.imdb.load_data(num_words=10000)

Synthetic ones: ``spirals``, ``moons``, ``blobs``, ``xor``, ``regression``.
Errors are subclasses of ``DatasetError``; each names the file and the problem.
"""

from . import cifar10, fashion_mnist, imdb, mnist, synthetic
from ._cache import data_home
from ._errors import (
    ChecksumError,
    DatasetError,
    DecodeError,
    FormatError,
    HeaderError,
    LabelError,
    NoSourceError,
    ShapeError,
    SourceError,
    TruncatedError,
    UnsafePickleError,
)
from .synthetic import blobs, moons, regression, spirals, xor

__all__ = [
    "ChecksumError",
    "DatasetError",
    "DecodeError",
    "FormatError",
    "HeaderError",
    "LabelError",
    "NoSourceError",
    "ShapeError",
    "SourceError",
    "TruncatedError",
    "UnsafePickleError",
    "blobs",
    "cifar10",
    "data_home",
    "fashion_mnist",
    "imdb",
    "mnist",
    "moons",
    "regression",
    "spirals",
    "synthetic",
    "xor",
]
