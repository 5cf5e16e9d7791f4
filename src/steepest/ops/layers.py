"""Layer primitives: dropout (composed from other ops) and embedding (a gather with a rule)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, IndexedGrad, is_grad_enabled
from ..backend import array_module
from ..random import Generator, generator_or_default
from ..tensor import Tensor
from ._im2col import batch_innermost_contiguous
from .shape import getitem, index_add


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
    xp = array_module(x.data)
    draws = generator_or_default(generator).for_array(xp).random(x.shape, dtype=np.float32)
    mask = xp.empty_like(x.data)  # the input's memory layout, so the product runs contiguously
    scale = x.dtype.type(1.0 / (1.0 - p))
    if xp is np and x.ndim == 4 and x.numel() > 1 << 15 and batch_innermost_contiguous(x.data):
        # the draws stay in the tensor's logical order (the mask does not depend on the memory
        # layout), written into a conv's (C, H, W, N) order one channel at a time: a transposing
        # write of the whole array took 4.2 ms for (64, 64, 12, 12), this 2.1 (2026-12-05)
        for c in range(x.shape[1]):
            np.multiply(draws[:, c] >= p, scale, out=mask[:, c])
    else:
        xp.multiply(draws >= p, scale, out=mask)
    return x * mask


class Embedding(Function):
    """``weight[indices]``: the rows picked by integer ids. The gradient adds into the rows that
    were picked, once per occurrence, except the row ``padding_idx``, which gets none (so it
    keeps its value, zero at initialization, as PyTorch's padding row does)."""

    def forward(self, weight, indices=None, padding_idx=None):
        self.indices, self.padding_idx = indices, padding_idx
        return weight[indices]

    def backward(self, out, g):
        idx = self.indices
        if self.padding_idx is not None:
            keep = idx != self.padding_idx
            idx, g = idx[keep], getitem(g, keep)
        if not is_grad_enabled():  # a plain backward: the engine scatters into one buffer
            return IndexedGrad(g.data, idx)
        return index_add(g, idx, self.parents[0].shape)


def embedding(weight: Any, indices: Any, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by integer ``indices`` of any shape.

    The gradient adds up into the rows that were picked, once per occurrence; with
    ``padding_idx`` (negative counts from the end), that row gets no gradient.

    >>> w = st.randn(10, 4, requires_grad=True)
    >>> st.embedding(w, [[0, 3, 3]], padding_idx=0).shape
    (1, 3, 4)
    """
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    idx = indices.data if isinstance(indices, Tensor) else indices
    idx = idx if hasattr(idx, "dtype") else np.asarray(idx)
    idx = backend.to_device(idx, w.device)  # ids given as a list or host array follow the table
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    if w.ndim != 2:
        raise ValueError(f"embedding: weight must be (num_embeddings, dim), got shape {w.shape}")
    n = w.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding: indices must lie in [0, {n}), got [{idx.min()}, {idx.max()}]")
    if padding_idx is not None:
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, int | np.integer):
            raise TypeError(f"embedding: padding_idx must be an int, got {padding_idx!r}")
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx must lie in [-{n}, {n}), got {padding_idx}")
        padding_idx = int(padding_idx) % n
    return Embedding.apply(w, indices=idx, padding_idx=padding_idx)
