"""Samplers: which dataset indices an epoch visits, in which order (PyTorch's classes).

A sampler is any iterable of indices with a ``len``; a batch sampler is an iterable of index
lists. ``DataLoader(sampler=...)`` / ``DataLoader(batch_sampler=...)`` take either. Random
samplers draw from ``generator`` (an ``st.Generator``, a NumPy Generator or an int seed;
default: the global generator that ``st.manual_seed`` seeds), one new draw per epoch.

>>> loader = DataLoader(ds, batch_size=32, sampler=SubsetRandomSampler(range(100), generator=0))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..random import Generator, numpy_generator


def resolve_generator(generator: Any) -> np.random.Generator:
    """A NumPy Generator from an int seed, or from what ``steepest.random.numpy_generator``
    takes (an ``st.Generator``, a NumPy Generator, None for the global one)."""
    if isinstance(generator, int | np.integer) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    if generator is None or isinstance(generator, np.random.Generator | Generator):
        return numpy_generator(generator)
    raise TypeError(
        f"generator must be an st.Generator, a numpy Generator or an int seed, got {generator!r}"
    )


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and ``__len__``."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} does not define __iter__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch, or ``num_samples`` draws with ``replacement``."""

    def __init__(
        self,
        data_source: Any,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Any = None,
    ) -> None:
        n = len(data_source)
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples must be an int > 0, got {num_samples!r}")
        self.data_source, self.replacement = data_source, bool(replacement)
        self._num_samples = num_samples
        self._rng = resolve_generator(generator)
        if n == 0:
            raise ValueError("RandomSampler: the dataset is empty")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.replacement:
            return iter(self._rng.integers(0, n, self.num_samples).tolist())
        rounds = -(-self.num_samples // n)  # more samples than data: whole permutations, cut
        order = np.concatenate([self._rng.permutation(n) for _ in range(rounds)])
        return iter(order[: self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a new random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = np.asarray(list(indices), dtype=np.int64)
        self._rng = resolve_generator(generator)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices[self._rng.permutation(len(self.indices))].tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``."""

    def __init__(
        self, weights: Sequence[float], num_samples: int, replacement: bool = True,
        generator: Any = None,
    ) -> None:  # fmt: skip
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.size == 0 or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, >= 0, not all 0")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(
                f"WeightedRandomSampler: {num_samples} draws without replacement from "
                f"{np.count_nonzero(w)} non-zero weights"
            )
        self.weights, self.num_samples, self.replacement = w / w.sum(), num_samples, replacement
        self._rng = resolve_generator(generator)

    def __iter__(self) -> Iterator[int]:
        n = len(self.weights)
        draws = self._rng.choice(n, self.num_samples, self.replacement, self.weights)
        return iter(draws.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter,
    or dropped with ``drop_last``)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, bool(drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
