"""A small decoder-only (causal) transformer, built from steepest ops (Vaswani et al., 2017;
GPT-2's pre-LayerNorm block order)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend, nn, ops
from ..random import Generator
from ..tensor import Tensor
from ._common import positive_int, probability
from .charlm import CharModel, check_ids


def causal_mask(length: int, dtype: Any) -> np.ndarray:
    """(T, T) additive mask: 0 where key ``j <= i`` (query ``i`` may look), a large negative
    number above the diagonal (the future), so ``softmax`` gives those keys weight 0."""
    future = np.triu(np.ones((length, length), dtype=bool), k=1)
    return np.where(future, np.finfo(dtype).min / 2, 0.0).astype(dtype)


class MultiHeadAttention(nn.Module):
    """``MHA(x) = concat_h(softmax(Q_h K_h^T / sqrt(d) + M) V_h) W_o + b_o``

    with ``Q, K, V = x W_q, x W_k, x W_v`` split into ``heads`` heads of ``d = d_model / heads``
    and ``M`` the causal mask when ``causal`` (position ``i`` attends to ``j <= i`` only).
    Input and output (N, T, d_model). Parameters: ``4 (d_model + 1) d_model``.

    >>> mha = st.models.MultiHeadAttention(32, heads=4)
    >>> mha(st.randn(2, 10, 32)).shape
    (2, 10, 32)
    """

    def __init__(
        self, d_model: int, heads: int = 4, causal: bool = True, dropout: float = 0.0,
        dtype: Any = None, generator: Generator | None = None,
    ) -> None:
        super().__init__()
        where = "MultiHeadAttention"
        positive_int(d_model, "d_model", where)
        positive_int(heads, "heads", where)
        if d_model % heads:
            raise ValueError(f"{where}: d_model ({d_model}) must be divisible by heads ({heads})")
        self.d_model, self.heads, self.causal = d_model, heads, causal
        kw = {"dtype": dtype, "generator": generator}
        self.qkv = nn.Linear(d_model, 3 * d_model, **kw)  # the three projections as one GEMM
        self.proj = nn.Linear(d_model, d_model, **kw)
        self.dropout = nn.Dropout(probability(dropout, "dropout", where), generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 3 or x.shape[2] != self.d_model:
            raise ValueError(f"MultiHeadAttention: expected (N, T, {self.d_model}), got shape "
                             f"{x.shape}")
        n, t, _ = x.shape
        h, d = self.heads, self.d_model // self.heads
        # (N, T, 3, H, d) -> (3, N, H, T, d)
        qkv = self.qkv(x).reshape(n, t, 3, h, d).permute((2, 0, 3, 1, 4))
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.swapaxes(-1, -2)) * (1.0 / math.sqrt(d))  # (N, H, T, T)
        if self.causal:
            scores = scores + backend.to_device(causal_mask(t, scores.dtype), scores.device)
        weights = self.dropout(ops.softmax(scores, axis=-1))
        out = (weights @ v).permute((0, 2, 1, 3)).reshape(n, t, self.d_model)
        return self.proj(out)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, heads={self.heads}, causal={self.causal}"


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x = x + MHA(LN(x))``, then ``x = x + MLP(LN(x))`` with
    ``MLP(u) = W_2 GELU(W_1 u + b_1) + b_2`` of width ``4 d_model``."""

    def __init__(
        self, d_model: int, heads: int, dropout: float = 0.0, dtype: Any = None,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        kw = {"dtype": dtype, "generator": generator}
        self.ln1 = nn.LayerNorm(d_model, dtype=dtype)
        self.attn = MultiHeadAttention(d_model, heads, causal=True, dropout=dropout, **kw)
        self.ln2 = nn.LayerNorm(d_model, dtype=dtype)
        # GPT-2's tanh GELU: the erf form took 4-5x longer (fwd+bwd, 2048x512 float32, 2026-12-04)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model, **kw), nn.GELU("tanh"),
                                 nn.Linear(4 * d_model, d_model, **kw),
                                 nn.Dropout(dropout, generator=generator))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CharTransformer(CharModel):
    """Token embedding + learned position embedding, ``layers`` causal blocks, LayerNorm,
    Linear to next-character logits (N, T, V). Sequences may be up to ``max_len`` long.

    Parameters: ``(V + max_len) d + layers (12 d^2 + 13 d) + 2 d + (d + 1) V``.

    >>> lm = st.models.CharTransformer(vocab_size=40, d_model=32, heads=4, layers=2)
    >>> lm(st.tensor(np.zeros((2, 16), np.int64))).shape
    (2, 16, 40)
    """

    def __init__(
        self, vocab_size: int = 96, d_model: int = 128, heads: int = 4, layers: int = 2,
        max_len: int = 256, dropout: float = 0.0, dtype: Any = None,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        where = "CharTransformer"
        self._init_alphabet(positive_int(vocab_size, "vocab_size", where))
        self.max_len = positive_int(max_len, "max_len", where)
        p = probability(dropout, "dropout", where)
        kw = {"dtype": dtype, "generator": generator}
        self.tok = nn.Embedding(vocab_size, positive_int(d_model, "d_model", where), **kw)
        self.pos = nn.Embedding(max_len, d_model, **kw)
        for emb in (self.tok, self.pos):  # GPT-2's N(0, 0.02): unit-variance rows swamp LN
            emb.weight.data *= 0.02
        self.blocks = nn.ModuleList(TransformerBlock(d_model, heads, p, **kw)
                                    for _ in range(positive_int(layers, "layers", where)))
        self.ln = nn.LayerNorm(d_model, dtype=dtype)
        self.head = nn.Linear(d_model, vocab_size, **kw)
        self.dropout = nn.Dropout(p, generator=generator)

    def forward(self, ids: Any) -> Tensor:
        ids = check_ids(ids, self.vocab_size, "CharTransformer")
        t = ids.shape[1]
        if t > self.max_len:
            raise ValueError(f"CharTransformer: sequences of length {t} exceed max_len "
                             f"{self.max_len}")
        x = self.dropout(self.tok(ids) + self.pos(np.arange(t)))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))

    def next_logits(self, ids: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        # no cache: attend over the last max_len characters again
        return self.forward(ids[:, -self.max_len :])[:, -1], None

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, max_len={self.max_len}"
