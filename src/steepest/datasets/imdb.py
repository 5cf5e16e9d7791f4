"""IMDB Large Movie Review Dataset: 25,000 training and 25,000 test reviews, pos/neg.

Read from ``aclImdb_v1.tar.gz`` (a path you give, the cache, or the canonical URL).
Reviews live at ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``; each must be
valid UTF-8, and its rating must agree with its folder (neg: 1-4, pos: 7-10). The
decoded texts are cached as one UTF-8 blob plus offsets (an ``.npz``, no pickle).

``load_data`` follows Keras: words are ranked by training-set frequency, index 0 is
padding, 1 marks the start, 2 is out-of-vocabulary, and the word of rank ``r`` (1 =
most frequent) gets index ``r + index_from``. Texts and the tools to build your own
features are in ``load_texts`` and ``steepest.data.text``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import numpy as np

from ..data.text import pad_sequences, tokenize
from ._cache import check_sha256, dataset_dir, fetch_archive, first_source, load_arrays
from ._errors import (
    DecodeError,
    FormatError,
    LabelError,
    ShapeError,
    SourceError,
)
from ._tar import tar_members

URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ARCHIVE = "aclImdb_v1.tar.gz"
SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
_OFFICIAL_COUNT = 25000  # reviews per split
_MEMBER = re.compile(r"^(?:\./)?aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")

Texts = tuple[tuple[list[str], np.ndarray], tuple[list[str], np.ndarray]]


def load_texts(
    path: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    sha256: str | None = SHA256,
) -> Texts:
    """The raw reviews: ``(train_texts, y_train), (test_texts, y_test)``, labels int64 (1 = pos).

    Reviews are ordered by split, label (neg then pos) and review id. ``path`` is the
    archive or a directory holding it; ``sha256`` as in ``cifar10.load_data``.

    >>> (train_texts, y_train), (test_texts, y_test) = st.datasets.imdb.load_texts()
    >>> len(train_texts), int(y_train.sum())
    (25000, 12500)
    """
    home = dataset_dir("imdb", cache_dir)
    cache = home / f"imdb-{sha256[:16]}.npz" if sha256 else None
    official = sha256 == SHA256
    candidates = []
    if path is not None:
        candidates.append((f"path {path}", lambda: _from_path(Path(path), sha256, official)))
    dest = home / ARCHIVE
    candidates.append((f"download {URL}", lambda: _from_download(dest, sha256, official, download)))
    return _unpack(first_source("imdb", cache, lambda: _from_cache(cache, official), candidates))


def load_data(
    path: str | os.PathLike[str] | None = None,
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int | None = 113,
    start_char: int | None = 1,
    oov_char: int = 2,
    index_from: int = 3,
    *,
    min_freq: int = 1,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    sha256: str | None = SHA256,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Reviews as word-index sequences, Keras style: ``(x_train, y_train), (x_test, y_test)``.

    The vocabulary is built from the training split only: words seen fewer than
    ``min_freq`` times, among the ``skip_top`` most frequent, or with index
    ``>= num_words`` become ``oov_char``. Each split is shuffled with ``seed`` (``None``
    keeps the file order). With ``maxlen=None`` each ``x`` is an object array of int64
    arrays (ragged); with ``maxlen`` it is an ``(N, maxlen)`` int64 matrix, padded and
    truncated at the front (Keras instead *drops* longer reviews; we keep every review).

    >>> (x_train, y_train), (x_test, y_test) = st.datasets.imdb.load_data(num_words=10000)
    >>> int(x_train[0][0]), x_train[0].dtype  # the start mark, then word indices
    (1, dtype('int64'))
    """
    (train_texts, y_train), (test_texts, y_test) = load_texts(
        path, cache_dir=cache_dir, download=download, sha256=sha256
    )
    train_tokens = [tokenize(t) for t in train_texts]
    index = word_index(train_tokens, min_freq=min_freq)
    out = []
    for i, (tokens, y) in enumerate(
        ((train_tokens, y_train), ([tokenize(t) for t in test_texts], y_test))
    ):
        seqs = _encode(tokens, index, num_words, skip_top, start_char, oov_char, index_from)
        if seed is not None:  # same permutation for texts and labels; split-specific stream
            order = np.random.default_rng([seed, i]).permutation(len(seqs))
            seqs, y = [seqs[j] for j in order], y[order]
        if maxlen is None:
            x = np.empty(len(seqs), dtype=object)
            x[:] = seqs
        else:
            x = pad_sequences(seqs, maxlen=maxlen)
        out.append((x, y))
    return out[0], out[1]


def get_word_index(
    path: str | os.PathLike[str] | None = None,
    *,
    min_freq: int = 1,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    sha256: str | None = SHA256,
) -> dict[str, int]:
    """The ``{word: rank}`` index ``load_data`` uses (training split, rank 1 = most frequent).

    >>> index = st.datasets.imdb.get_word_index()
    >>> inverse = {rank + 3: word for word, rank in index.items()}  # index_from=3
    >>> " ".join(inverse.get(int(i), "?") for i in x_train[0][1:10])  # doctest: +SKIP
    """
    (train_texts, _), _ = load_texts(path, cache_dir=cache_dir, download=download, sha256=sha256)
    return word_index([tokenize(t) for t in train_texts], min_freq=min_freq)


def word_index(documents: list[list[str]], min_freq: int = 1) -> dict[str, int]:
    """``{word: rank}`` with rank 1 for the most frequent word (ties alphabetical).

    >>> word_index([["b", "a", "b"]])
    {'b': 1, 'a': 2}
    """
    counts: Counter[str] = Counter()
    for doc in documents:
        counts.update(doc)
    ranked = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
    return {w: r for r, w in enumerate(ranked, start=1)}


def _encode(
    docs: list[list[str]],
    index: dict[str, int],
    num_words: int | None,
    skip_top: int,
    start_char: int | None,
    oov_char: int,
    index_from: int,
) -> list[np.ndarray]:
    out = []
    for tokens in docs:
        ranks = np.fromiter((index.get(t, 0) for t in tokens), dtype=np.int64, count=len(tokens))
        ids = ranks + index_from
        drop = (ranks == 0) | (ranks <= skip_top)
        if num_words is not None:
            drop |= ids >= num_words
        ids[drop] = oov_char
        out.append(np.concatenate(([start_char], ids)) if start_char is not None else ids)
    return out


def _unpack(arrays: dict[str, np.ndarray]) -> Texts:
    result = []
    for split in ("train", "test"):
        blob = arrays[f"{split}_text"].tobytes()
        ends = arrays[f"{split}_ends"]
        starts = np.concatenate(([0], ends[:-1]))
        texts = [
            blob[s:e].decode("utf-8") for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
        result.append((texts, arrays[f"{split}_labels"].astype(np.int64)))
    return result[0], result[1]


def _from_cache(cache: Path, official: bool) -> dict[str, np.ndarray]:
    n = _OFFICIAL_COUNT if official else None
    spec: dict[str, tuple[tuple[int | None, ...], str]] = {}
    for split in ("train", "test"):
        spec |= {
            f"{split}_text": ((None,), "uint8"),
            f"{split}_ends": ((n,), "int64"),
            f"{split}_labels": ((n,), "uint8"),
        }
    arrays = load_arrays(cache, spec)
    for split in ("train", "test"):
        ends, labels = arrays[f"{split}_ends"], arrays[f"{split}_labels"]
        if len(ends) != len(labels) or (len(ends) and ends[-1] != arrays[f"{split}_text"].size):
            raise ShapeError(cache, f"{split}: offsets disagree with the text or the labels")
        if np.any(np.diff(ends) < 0) or (len(ends) and ends[0] < 0):
            raise FormatError(cache, f"{split}: offsets are not increasing")
        if labels.size and int(labels.max()) > 1:
            raise LabelError(cache, f"{split}: label {int(labels.max())} not in 0..1")
    return arrays


def _from_download(
    dest: Path, sha256: str | None, official: bool, allowed: bool
) -> dict[str, np.ndarray]:
    return read_archive(fetch_archive(URL, dest, SHA256, allowed), sha256, official)


def _from_path(path: Path, sha256: str | None, official: bool) -> dict[str, np.ndarray]:
    if path.is_dir():
        path = path / ARCHIVE
    if not path.is_file():
        raise SourceError(path, "no such file")
    return read_archive(path, sha256, official)


def read_archive(
    archive: Path, sha256: str | None = SHA256, official: bool = True
) -> dict[str, np.ndarray]:
    """Verify ``aclImdb_v1.tar.gz`` and read its labelled reviews into the cache layout.

    Raises ``ChecksumError``, ``TruncatedError``/``FormatError`` for a damaged archive,
    ``DecodeError`` for a review that is not UTF-8 and ``LabelError`` for a rating
    that disagrees with its folder.

    >>> arrays = read_archive(Path("aclImdb_v1.tar.gz"))  # doctest: +SKIP
    >>> arrays["train_ends"].shape  # doctest: +SKIP
    (25000,)
    """
    check_sha256(archive, sha256)
    reviews: dict[str, list[tuple[int, int, bytes]]] = {"train": [], "test": []}
    for name, data in tar_members(archive, lambda n: _MEMBER.match(n) is not None):
        split, folder, review_id, rating = _MEMBER.match(name).groups()
        where = f"{archive}:{name}"
        label = _label(folder, int(rating), where)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(
                where, f"not valid UTF-8 at byte {exc.start} ({data[exc.start : exc.start + 4]!r})"
            ) from exc
        reviews[split].append((label, int(review_id), data))
    arrays: dict[str, np.ndarray] = {}
    for split, items in reviews.items():
        if not items:
            raise ShapeError(archive, f"no labelled reviews under aclImdb/{split}/pos or neg")
        if official and len(items) != _OFFICIAL_COUNT:
            raise ShapeError(archive, f"{split} has {len(items)} reviews, want {_OFFICIAL_COUNT}")
        items.sort(key=lambda item: (item[0], item[1]))
        blobs = [data for _, _, data in items]
        arrays[f"{split}_text"] = np.frombuffer(b"".join(blobs), dtype=np.uint8)
        arrays[f"{split}_ends"] = np.cumsum([len(b) for b in blobs], dtype=np.int64)
        arrays[f"{split}_labels"] = np.array([label for label, _, _ in items], dtype=np.uint8)
    return arrays


def _label(folder: str, rating: int, where: str) -> int:
    """1 for pos (rating 7-10), 0 for neg (rating 1-4); anything else is an error."""
    if folder == "pos" and 7 <= rating <= 10:
        return 1
    if folder == "neg" and 1 <= rating <= 4:
        return 0
    want = "7..10" if folder == "pos" else "1..4"
    raise LabelError(where, f"rating {rating} in folder '{folder}' (want {want})")
