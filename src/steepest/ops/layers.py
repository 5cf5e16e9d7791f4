"""Layer primitives composed from other ops (no rules of their own): dropout, embedding."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..random import Generator, generator_or_default
from ..tensor import Tensor
from .shape import getitem


def dropout(
    x: Any, p: float = 0.5, training: bool = True, generator: Generator | None = None
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (inverted
    dropout), so evaluation needs no rescaling. Identity when ``training`` is False.

    >>> y = st.dropout(x, 0.5, generator=st.Generator(0))  # the same mask for the same seed
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    x = x if isinstance(x, Tensor) else Tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    draws = generator_or_default(generator).np.random(x.shape, dtype=np.float32)
    xp = array_module(x.data)
    mask = xp.empty_like(x.data)  # the input's memory layout, so the product runs contiguously
    xp.multiply(xp.asarray(draws >= p), x.dtype.type(1.0 / (1.0 - p)), out=mask)
    return x * mask


def embedding(weight: Any, indices: Any) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by integer ``indices`` of any shape.

    The gradient adds up into the rows that were picked, once per occurrence.
    """
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= w.shape[0]):
        raise IndexError(
            f"embedding: indices must lie in [0, {w.shape[0]}), got [{idx.min()}, {idx.max()}]"
        )
    return getitem(w, idx)
