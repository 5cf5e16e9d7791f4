"""Text classifiers over integer token ids: fastText-style bag of n-grams, 1-D CNN, LSTM.

All three take ``(N, L)`` int64 ids as produced by ``st.datasets.imdb.load_data(maxlen=L)``
or ``st.data.text.pad_sequences`` (id 0 is padding) and return ``(N, num_classes)`` logits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend, nn, ops
from ..data.text import bag_of_ngrams
from ..nn.parameter import float_dtype
from ..random import Generator
from ..tensor import Tensor
from ._common import int_tuple, positive_int, probability


def _check_ids(x: Any, where: str) -> Tensor:
    if not isinstance(x, Tensor):
        x = Tensor(x if hasattr(x, "__cuda_array_interface__") else np.asarray(x))
    if x.ndim != 2 or x.dtype.kind not in "iu":
        raise ValueError(f"{where}: expected integer token ids of shape (N, L), got {x.dtype} "
                         f"array of shape {x.shape}")
    return x


def _is_float(x: Any) -> bool:
    data = x.data if isinstance(x, Tensor) else x
    return (data.dtype if hasattr(data, "dtype") else np.asarray(data).dtype).kind == "f"


class FastText(nn.Module):
    """Bag of tricks for text classification (Joulin et al., 2017), with hashed n-grams:

    ``h = (1 / |G|) sum_{g in G} E[hash(g)]``, ``logits = W dropout(h) + b``,

    where ``G`` holds every n-gram (``ngram_range``, inclusive) of the document's non-padding
    tokens and ``hash`` is ``st.data.text.bag_of_ngrams``'s fixed hash into ``num_buckets``
    rows of ``E``. The mean of looked-up rows is computed as one product ``(c / |G|) E`` of the
    count matrix ``c``. A float input ``(N, num_buckets)`` is taken as precomputed counts.
    Parameters: ``num_buckets * embed_dim + (embed_dim + 1) * num_classes``.

    >>> model = st.models.FastText(num_buckets=2**14, embed_dim=32, num_classes=2)
    >>> model(st.tensor([[5, 6, 7, 0], [8, 9, 0, 0]])).shape
    (2, 2)
    """

    def __init__(
        self, num_buckets: int = 2**16, embed_dim: int = 64, num_classes: int = 2,
        ngram_range: tuple[int, int] = (1, 2), dropout: float = 0.0, pad_id: int = 0,
        dtype: Any = None, generator: Generator | None = None,
    ) -> None:
        super().__init__()
        where = "FastText"
        self.num_buckets = positive_int(num_buckets, "num_buckets", where)
        self.embed_dim = positive_int(embed_dim, "embed_dim", where)
        self.num_classes = positive_int(num_classes, "num_classes", where)
        pair = int_tuple(ngram_range, "ngram_range", where)
        if len(pair) != 2 or pair[0] > pair[1]:
            raise ValueError(f"{where}: ngram_range must be (lo, hi) with lo <= hi, got "
                             f"{ngram_range!r}")
        self.ngram_range, self.pad_id = pair, pad_id
        self.embedding = nn.Parameter(np.zeros((num_buckets, embed_dim), float_dtype(dtype)))
        # fastText's initialization: U(-1/dim, 1/dim)
        nn.init.uniform(self.embedding, -1.0 / embed_dim, 1.0 / embed_dim, generator)
        self.dropout = nn.Dropout(probability(dropout, "dropout", where), generator=generator)
        self.fc = nn.Linear(embed_dim, num_classes, dtype=dtype, generator=generator)

    def bags(self, ids: Any) -> np.ndarray:
        """Hashed n-gram counts ``(N, num_buckets)`` of a batch of padded id rows (on the host:
        the hashing is a Python loop over rows)."""
        ids = _check_ids(ids, "FastText").numpy()
        rows = [row[row != self.pad_id] for row in ids]
        return bag_of_ngrams(rows, self.ngram_range, self.num_buckets,
                             dtype=self.embedding.dtype)

    def forward(self, x: Any) -> Tensor:
        data = _check_ids(x, "FastText") if not _is_float(x) else x
        data = data.data if isinstance(data, Tensor) else np.asarray(data)
        counts = data if data.dtype.kind == "f" else self.bags(data)  # hashing: on the host
        if counts.ndim != 2 or counts.shape[1] != self.num_buckets:
            raise ValueError(f"FastText: expected counts (N, {self.num_buckets}), got shape "
                             f"{counts.shape}")
        counts = backend.to_device(counts, self.embedding.device)
        xp = backend.array_module(counts)
        total = xp.maximum(counts.sum(axis=1, keepdims=True), 1)  # an empty document gives h=0
        h = Tensor((counts / total).astype(self.embedding.dtype)) @ self.embedding
        return self.fc(self.dropout(h))

    def extra_repr(self) -> str:
        return (f"num_buckets={self.num_buckets}, embed_dim={self.embed_dim}, "
                f"ngram_range={self.ngram_range}")


class TextCNN(nn.Module):
    """Convolutional sentence classifier (Kim, 2014): embed, convolve over time, max-pool.

    ``e = Embedding(ids)`` (N, L, D); for each width ``k`` in ``kernel_sizes``,
    ``f_k = max_t relu(conv_k(e))_t`` where ``conv_k`` is a Conv2d with kernel (k, D) over the
    (N, 1, L, D) embedded text (a 1-D convolution over time); ``logits = W dropout([f_k]_k) + b``.
    Parameters: ``V D + sum_k (k D + 1) F + (F len(kernel_sizes) + 1) C``.

    >>> model = st.models.TextCNN(vocab_size=1000, embed_dim=32, num_classes=2)
    >>> model(st.tensor(np.ones((4, 20), np.int64))).shape
    (4, 2)
    """

    def __init__(
        self, vocab_size: int = 10000, embed_dim: int = 64, num_classes: int = 2,
        kernel_sizes: Sequence[int] = (3, 4, 5), filters: int = 64, dropout: float = 0.5,
        dtype: Any = None, generator: Generator | None = None, padding_idx: int | None = 0,
    ) -> None:
        super().__init__()
        where = "TextCNN"
        self.vocab_size = positive_int(vocab_size, "vocab_size", where)
        self.embed_dim = positive_int(embed_dim, "embed_dim", where)
        self.kernel_sizes = int_tuple(kernel_sizes, "kernel_sizes", where)
        self.filters = positive_int(filters, "filters", where)
        num_classes = positive_int(num_classes, "num_classes", where)
        # the padding id (0, as pad_sequences and imdb write it) embeds to zeros, never trained
        self.embedding = nn.Embedding(vocab_size, embed_dim, dtype=dtype, generator=generator,
                                      padding_idx=padding_idx)
        self.convs = nn.ModuleList(
            nn.Conv2d(1, filters, (k, embed_dim), dtype=dtype, generator=generator)
            for k in self.kernel_sizes
        )
        self.dropout = nn.Dropout(probability(dropout, "dropout", where), generator=generator)
        self.fc = nn.Linear(filters * len(self.kernel_sizes), num_classes, dtype=dtype,
                            generator=generator)

    def forward(self, ids: Any) -> Tensor:
        ids = _check_ids(ids, "TextCNN")
        n, length = ids.shape
        if length < max(self.kernel_sizes):
            raise ValueError(f"TextCNN: sequences of length {length} are shorter than the widest "
                             f"kernel {max(self.kernel_sizes)}; pad them")
        e = self.embedding(ids).unsqueeze(1)  # (N, 1, L, D): a one-channel "image"
        feats = [ops.relu(conv(e)).reshape(n, self.filters, -1).max(axis=2) for conv in self.convs]
        return self.fc(self.dropout(ops.concatenate(feats, axis=1)))


class LSTMClassifier(nn.Module):
    """Embedding -> LSTM -> the last layer's final hidden state -> dropout -> Linear.

    ``h_T`` of ``LSTM(Embedding(ids))`` summarises the sequence; with the ids padded at the
    front (``pad_sequences``' default) the last step is the last real token.
    Parameters: ``V D + 4 H (D + H + 2)`` (first layer) ``+ 4 H (2 H + 2)`` per further layer
    ``+ (H + 1) C``.

    ``bidirectional=True``: the head reads ``[h_T^fwd, h_1^rev]`` (2H features), the final
    states of both directions of the last layer. Parameters: ``V D + 8 H (D + H + 2)``
    ``+ 8 H (3 H + 2)`` per further layer ``+ (2 H + 1) C``.

    >>> model = st.models.LSTMClassifier(vocab_size=1000, embed_dim=16, hidden_size=32)
    >>> model(st.tensor(np.ones((4, 12), np.int64))).shape
    (4, 2)
    """

    def __init__(
        self, vocab_size: int = 10000, embed_dim: int = 64, hidden_size: int = 64,
        num_classes: int = 2, num_layers: int = 1, dropout: float = 0.0, dtype: Any = None,
        generator: Generator | None = None, bidirectional: bool = False,
        padding_idx: int | None = 0,
    ) -> None:
        super().__init__()
        where = "LSTMClassifier"
        self.vocab_size = positive_int(vocab_size, "vocab_size", where)
        num_layers = positive_int(num_layers, "num_layers", where)
        p = probability(dropout, "dropout", where)
        self.embedding = nn.Embedding(vocab_size, positive_int(embed_dim, "embed_dim", where),
                                      dtype=dtype, generator=generator, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embed_dim, positive_int(hidden_size, "hidden_size", where),
                            num_layers, batch_first=True, dropout=p, dtype=dtype,
                            generator=generator, bidirectional=bidirectional)
        self.dropout = nn.Dropout(p, generator=generator)
        features = 2 * hidden_size if bidirectional else hidden_size
        self.fc = nn.Linear(features, positive_int(num_classes, "num_classes", where),
                            dtype=dtype, generator=generator)

    def forward(self, ids: Any) -> Tensor:
        _, (h_n, _) = self.lstm(self.embedding(_check_ids(ids, "LSTMClassifier")))
        if self.lstm.bidirectional:  # h_n ends with the last layer's forward, then reverse
            return self.fc(self.dropout(ops.concatenate([h_n[-2], h_n[-1]], axis=1)))
        return self.fc(self.dropout(h_n[-1]))
