"""Datasets: anything with ``__len__`` and ``__getitem__``; arrays get a fast batch path.

``ArrayDataset(x, y)`` holds equally long arrays and hands a whole batch out with one
fancy index per array (``get_batch``), which is what makes the ``DataLoader`` fast.
Any other object with ``__len__``/``__getitem__`` works too, sample by sample.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..random import numpy_generator


@runtime_checkable
class Dataset(Protocol):
    """The protocol: ``len(ds)`` samples, ``ds[i]`` is sample ``i`` (usually a tuple)."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Any: ...


class ArrayDataset:
    """Equally long arrays indexed together: ``ds[i] == (x[i], y[i])``.

    ``get_batch(indices)`` returns ``(x[indices], y[indices])``: one fancy index per
    array, no Python loop over samples.

    >>> ds = ArrayDataset(np.zeros((5, 3)), np.arange(5))
    >>> [a.shape for a in ds.get_batch(np.array([4, 0]))]
    [(2, 3), (2,)]
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("ArrayDataset needs at least one array")
        self.arrays: tuple[np.ndarray, ...] = tuple(np.asarray(a) for a in arrays)
        lengths = {len(a) for a in self.arrays}
        if len(lengths) != 1:
            shapes = [a.shape for a in self.arrays]
            raise ValueError(f"all arrays must have the same length, got shapes {shapes}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices: np.ndarray | slice) -> tuple[np.ndarray, ...]:
        """The samples at ``indices`` (an int array or a slice), stacked, one array each."""
        return tuple(a[indices] for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"{type(self).__name__}({shapes})"


class TensorDataset(ArrayDataset):
    """``ArrayDataset`` built from ``steepest.Tensor`` objects (their arrays are shared).

    >>> ds = TensorDataset(st.tensor(np.ones((4, 2))), st.tensor(np.arange(4)))
    >>> len(ds)
    4
    """

    def __init__(self, *tensors: Any) -> None:
        super().__init__(*(getattr(t, "data", t) for t in tensors))


class Subset:
    """The samples of ``dataset`` at ``indices``, in that order; batches stay vectorized.

    >>> sub = Subset(ArrayDataset(np.arange(10)), [9, 3])
    >>> sub[0], len(sub)
    ((np.int64(9),), 2)
    """

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset indices out of range for a dataset of length {n}")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices: np.ndarray | slice) -> tuple[np.ndarray, ...]:
        """Batch through the parent's ``get_batch`` (see ``has_batch_path``)."""
        return self.dataset.get_batch(self.indices[indices])


def random_split(
    dataset: Any, lengths: Sequence[int | float], seed: int | np.random.Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given sizes.

    ``lengths`` are counts, or fractions summing to 1 (remainders go to the first parts).

    >>> train, val = random_split(ArrayDataset(np.arange(10)), [0.8, 0.2], seed=0)
    >>> len(train), len(val)
    (8, 2)
    """
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths):
        if abs(sum(lengths) - 1.0) > 1e-6:
            raise ValueError(f"fractions must sum to 1, got {sum(lengths)}")
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        counts = [int(x) for x in lengths]
    if sum(counts) != n or any(c < 0 for c in counts):
        raise ValueError(f"lengths {list(lengths)} do not split a dataset of length {n}")
    # no seed: the global generator, so st.manual_seed fixes the split, as in PyTorch
    if isinstance(seed, int | np.integer):
        rng = np.random.default_rng(seed)
    else:
        rng = numpy_generator(seed)
    order = rng.permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, order[a:b]) for a, b in itertools.pairwise(bounds)]


def has_batch_path(dataset: Any) -> bool:
    """True if ``dataset.get_batch`` can serve whole batches (arrays, or subsets of them)."""
    if isinstance(dataset, Subset):
        return has_batch_path(dataset.dataset)
    return callable(getattr(dataset, "get_batch", None))
