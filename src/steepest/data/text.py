"""Text to numbers: tokenizer, vocabulary, padded sequences, bags of words and n-grams.

The pipeline for a classifier on raw text::

    tokens = [tokenize(t) for t in texts]            # list of list of str
    vocab = Vocabulary.build(tokens, min_freq=2, max_size=20000)
    seqs = [vocab.encode(t) for t in tokens]          # ragged int64 arrays
    x = pad_sequences(seqs, maxlen=200)               # (N, 200) int64, for embeddings
    x = bag_of_words(seqs, len(vocab))                # (N, |V|) float32, for an MLP
    x = bag_of_ngrams(seqs, ngram_range=(1, 2), num_features=2**14)  # hashed bigrams

Everything after tokenization is vectorized over the whole corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # words, with inner apostrophes (don't, it's)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)  # IMDB reviews contain HTML line breaks


def tokenize(text: str, lower: bool = True) -> list[str]:
    """Split text into word tokens: letters/digits with inner apostrophes, HTML breaks dropped.

    >>> tokenize("It's GREAT.<br />10/10, don't miss!")
    ["it's", 'great', '10', '10', "don't", 'miss']
    """
    text = _BREAK.sub(" ", text)
    return _TOKEN.findall(text.lower() if lower else text)


class Vocabulary:
    """A token <-> index mapping; specials first, then tokens by descending frequency.

    Ties in frequency are broken alphabetically, so the same corpus always gives the
    same indices. Unknown tokens map to ``oov`` (``"<oov>"`` by default).

    >>> vocab = Vocabulary.build([["a", "b", "a"], ["c", "a"]], min_freq=1)
    >>> vocab.encode(["a", "c", "zzz"]).tolist(), len(vocab)
    ([2, 4, 1], 5)
    """

    def __init__(self, tokens: Sequence[str], oov: str | None = "<oov>") -> None:
        self.itos: list[str] = list(tokens)
        self.stoi: dict[str, int] = {}
        for i, token in enumerate(self.itos):
            if token in self.stoi:
                raise ValueError(f"token {token!r} appears twice in the vocabulary")
            self.stoi[token] = i
        if oov is not None and oov not in self.stoi:
            raise ValueError(f"oov token {oov!r} is not in the vocabulary")
        self.oov = oov
        self.oov_index = self.stoi[oov] if oov is not None else -1
        self.counts: dict[str, int] = {}  # training frequencies, filled by ``build``

    @classmethod
    def build(
        cls,
        documents: Iterable[Sequence[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = ("<pad>", "<oov>"),
        oov: str | None = "<oov>",
    ) -> Vocabulary:
        """Count tokens and keep those seen ``>= min_freq`` times, at most ``max_size`` in all.

        ``max_size`` counts the specials too, so every index is ``< max_size``.
        """
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq}")
        counts: Counter[str] = Counter()
        for doc in documents:
            counts.update(doc)
        ranked = sorted(
            (t for t, c in counts.items() if c >= min_freq and t not in specials),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            if max_size < len(specials):
                raise ValueError(f"max_size {max_size} < the {len(specials)} special tokens")
            ranked = ranked[: max_size - len(specials)]
        vocab = cls([*specials, *ranked], oov=oov)
        vocab.counts = {t: counts[t] for t in ranked}
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        return self.stoi.get(token, self.oov_index) if self.oov is not None else self.stoi[token]

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Indices of ``tokens`` as int64; unknown tokens become the oov index."""
        get, default = self.stoi.get, self.oov_index
        if self.oov is None:
            return np.fromiter((self.stoi[t] for t in tokens), dtype=np.int64)
        return np.fromiter((get(t, default) for t in tokens), dtype=np.int64)

    def decode(self, indices: Iterable[int]) -> list[str]:
        """Tokens for ``indices`` (the inverse of ``encode`` for known tokens)."""
        return [self.itos[int(i)] for i in indices]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form; ``Vocabulary.from_dict`` restores it."""
        return {"itos": list(self.itos), "oov": self.oov}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Vocabulary:
        return cls(state["itos"], oov=state["oov"])


def _flatten(sequences: Sequence[Sequence[int] | np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ragged sequences; return (values int64, lengths int64)."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    if lengths.sum() == 0:
        return np.zeros(0, dtype=np.int64), lengths
    flat = np.concatenate([np.asarray(s, dtype=np.int64).reshape(-1) for s in sequences])
    return flat, lengths


def stream_order(n: int, batch_size: int) -> np.ndarray:
    """Indices that lay ``n`` consecutive chunks out as ``batch_size`` parallel streams, for
    stateful truncated backpropagation through time: in batch ``t`` (``batch_size`` rows of
    the reordered data, unshuffled) row ``i`` holds chunk ``i * (n // batch_size) + t``, the
    continuation of row ``i`` of batch ``t - 1``. The last ``n % batch_size`` chunks are
    left out.

    >>> stream_order(7, 2).tolist()   # batches [0, 3], [1, 4], [2, 5]
    [0, 3, 1, 4, 2, 5]
    """
    per = n // batch_size
    return (np.arange(batch_size)[None, :] * per + np.arange(per)[:, None]).reshape(-1)


def pad_sequences(
    sequences: Sequence[Sequence[int] | np.ndarray],
    maxlen: int | None = None,
    dtype: Any = np.int64,
    padding: str = "pre",
    truncating: str = "pre",
    value: int | float = 0,
) -> np.ndarray:
    """Pad or truncate ragged sequences into an ``(N, maxlen)`` array (Keras semantics).

    ``padding="pre"`` puts the fill value before the sequence, ``"post"`` after;
    ``truncating="pre"`` drops the beginning of long sequences, ``"post"`` the end.

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
    [[2, 3], [0, 4]]
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError("padding and truncating must each be 'pre' or 'post'")
    flat, lengths = _flatten(sequences)
    n = len(lengths)
    if maxlen is None:
        maxlen = int(lengths.max()) if n else 0
    out = np.full((n, maxlen), value, dtype=dtype)
    if n == 0 or maxlen == 0 or flat.size == 0:
        return out
    kept = np.minimum(lengths, maxlen)
    row = np.repeat(np.arange(n), lengths)
    pos = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    first = np.repeat(lengths - kept if truncating == "pre" else np.zeros(n, np.int64), lengths)
    keep = (pos >= first) & (pos < first + np.repeat(kept, lengths))
    shift = np.repeat(maxlen - kept if padding == "pre" else np.zeros(n, np.int64), lengths)
    out[row[keep], (pos - first + shift)[keep]] = flat[keep]
    return out


def bag_of_words(
    sequences: Sequence[Sequence[int] | np.ndarray],
    num_words: int,
    binary: bool = False,
    dtype: Any = np.float32,
) -> np.ndarray:
    """Count matrix ``(N, num_words)``: entry ``[i, w]`` is how often index ``w`` is in doc ``i``.

    Indices ``>= num_words`` are ignored; ``binary=True`` records presence only.

    >>> bag_of_words([[1, 1, 3], [0]], num_words=4).tolist()
    [[0.0, 2.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]]
    """
    flat, lengths = _flatten(sequences)
    row = np.repeat(np.arange(len(lengths)), lengths)
    return _count_matrix(row, flat, len(lengths), num_words, binary, dtype)


def _count_matrix(
    row: np.ndarray, col: np.ndarray, n: int, width: int, binary: bool, dtype: Any
) -> np.ndarray:
    ok = (col >= 0) & (col < width)
    counts = np.bincount(row[ok] * width + col[ok], minlength=n * width)
    out = counts.reshape(n, width)
    return (out > 0).astype(dtype) if binary else out.astype(dtype)


_MIX = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio constant: spreads consecutive ids


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finalizer: a fast, well-spread, platform-independent integer hash."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def bag_of_ngrams(
    sequences: Sequence[Sequence[int] | np.ndarray],
    ngram_range: tuple[int, int] = (1, 2),
    num_features: int = 2**14,
    binary: bool = False,
    dtype: Any = np.float32,
) -> np.ndarray:
    """Hashed bag of n-grams ``(N, num_features)`` over integer token sequences.

    Every n-gram (n in ``ngram_range``, inclusive) of token indices is hashed with a
    fixed integer hash (same result on every run and machine) into ``num_features``
    buckets; n-grams never span two documents. Collisions are the price of a fixed width.

    >>> x = bag_of_ngrams([[5, 6, 7]], ngram_range=(1, 2), num_features=64)
    >>> int(x.sum())  # 3 unigrams + 2 bigrams
    5
    """
    lo, hi = ngram_range
    if not 1 <= lo <= hi:
        raise ValueError(f"ngram_range must satisfy 1 <= lo <= hi, got {ngram_range}")
    flat, lengths = _flatten(sequences)
    n = len(lengths)
    doc = np.repeat(np.arange(n), lengths)
    rows, cols = [], []
    with np.errstate(over="ignore"):  # uint64 wrap-around is the intended hash arithmetic
        ids = flat.astype(np.uint64)
        for k in range(lo, hi + 1):
            starts = np.arange(max(flat.size - k + 1, 0))
            starts = starts[doc[starts] == doc[starts + k - 1]] if k > 1 else starts
            h = np.full(starts.size, np.uint64(k), dtype=np.uint64)
            for j in range(k):
                h = _mix64(h * _MIX + ids[starts + j])
            rows.append(doc[starts])
            cols.append((h % np.uint64(num_features)).astype(np.int64))
    row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    return _count_matrix(row, col, n, num_features, binary, dtype)
