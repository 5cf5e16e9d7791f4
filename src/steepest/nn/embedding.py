"""Embedding: a lookup table of learned vectors, indexed by integer ids."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..random import Generator
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import empty_parameter


class Embedding(Module):
    """``y[..., :] = W[ids[...], :]`` with ``W`` of shape (num_embeddings, embedding_dim).

    The gradient adds into the rows that were looked up (once per occurrence). Default
    (PyTorch's): ``W ~ N(0, 1)``; ``dtype`` defaults to ``st.default_dtype()``.
    ``padding_idx`` (as PyTorch's; negative counts from the end) names the id of padding: its
    row starts at zero and gets no gradient, so padded positions stay zero vectors.

    >>> emb = st.nn.Embedding(100, 8, padding_idx=0)
    >>> emb(st.tensor([[1, 5, 0]])).shape
    (1, 3, 8)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        dtype: Any = None,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(
                f"Embedding: sizes must be positive, got num_embeddings={num_embeddings}, "
                f"embedding_dim={embedding_dim}"
            )
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, int):
                raise TypeError(f"Embedding: padding_idx must be an int, got {padding_idx!r}")
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must lie in [-{num_embeddings}, {num_embeddings}), "
                    f"got {padding_idx}"
                )
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = init.normal(
            empty_parameter((num_embeddings, embedding_dim), dtype), generator=generator
        )
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def forward(self, ids: Any) -> Tensor:
        return ops.embedding(self.weight, ids, padding_idx=self.padding_idx)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
