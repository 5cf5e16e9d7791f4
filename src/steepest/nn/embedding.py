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

    >>> emb = st.nn.Embedding(100, 8)
    >>> emb(st.tensor([[1, 5, 7]])).shape
    (1, 3, 8)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
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
        self.weight = init.normal(
            empty_parameter((num_embeddings, embedding_dim), dtype), generator=generator
        )

    def forward(self, ids: Any) -> Tensor:
        return ops.embedding(self.weight, ids)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
