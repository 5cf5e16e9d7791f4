"""IMDB from a small aclImdb_v1.tar.gz in the real layout: texts, Keras-style sequences."""

from __future__ import annotations

import numpy as np
import pytest
from _data_builders import IMDB_REVIEWS, sha256, write_imdb

from steepest.data.text import pad_sequences, tokenize
from steepest.datasets import imdb


@pytest.fixture
def archive(tmp_path):
    return write_imdb(tmp_path / "aclImdb_v1.tar.gz")


def _load(archive, tmp_path, **kwargs):
    return imdb.load_data(
        archive, cache_dir=tmp_path / "cache", sha256=None, download=False, **kwargs
    )


def test_texts_are_ordered_by_label_then_id_and_skip_unlabelled(archive, tmp_path):
    (train, y_train), (test, y_test) = imdb.load_texts(
        archive, cache_dir=tmp_path, sha256=None, download=False
    )
    assert train == [
        IMDB_REVIEWS[k]
        for k in (
            "train/neg/0_1.txt",
            "train/neg/1_3.txt",
            "train/pos/0_9.txt",
            "train/pos/1_8.txt",
        )
    ]
    assert y_train.tolist() == [0, 0, 1, 1] and y_train.dtype == np.int64
    assert test == [IMDB_REVIEWS["test/neg/0_2.txt"], IMDB_REVIEWS["test/pos/0_10.txt"]]
    assert y_test.tolist() == [0, 1]


def test_word_index_ranks_training_words_by_frequency(archive, tmp_path):
    index = imdb.get_word_index(archive, cache_dir=tmp_path, sha256=None, download=False)
    # "great" appears 4 times in train, "a"/"bad"/"boring"/"film" twice... ties alphabetical
    assert index["great"] == 1
    assert [w for w, _ in sorted(index.items(), key=lambda kv: kv[1])][:6] == [
        "great",
        "a",
        "acting",
        "bad",
        "boring",
        "film",
    ]
    assert "zzzunseen" not in index  # test-only words never enter the vocabulary


def test_keras_style_sequences(archive, tmp_path):
    (x_train, y_train), (x_test, y_test) = _load(archive, tmp_path, seed=None)
    index = imdb.get_word_index(archive, cache_dir=tmp_path, sha256=None, download=False)
    assert x_train.dtype == object and len(x_train) == 4 and y_train.tolist() == [0, 0, 1, 1]
    first = x_train[0]  # "A bad, boring film. Bad acting."
    assert first[0] == 1  # start mark
    assert first[1:].tolist() == [index[w] + 3 for w in tokenize(IMDB_REVIEWS["train/neg/0_1.txt"])]
    unseen = x_test[0]  # "Bad film, zzzunseen words." -> zzzunseen, words are out of vocabulary
    assert unseen.tolist() == [1, index["bad"] + 3, index["film"] + 3, 2, 2]
    assert y_test.tolist() == [0, 1]


def test_num_words_skip_top_and_maxlen(archive, tmp_path):
    (x_train, _), _ = _load(archive, tmp_path, seed=None, num_words=6, skip_top=1)
    flat = np.concatenate(list(x_train))
    assert flat.max() < 6
    great = (
        imdb.get_word_index(archive, cache_dir=tmp_path, sha256=None, download=False)["great"] + 3
    )
    assert great not in flat  # the most frequent word is skipped
    (ragged, _), _ = _load(archive, tmp_path, seed=None)
    (padded, _), (padded_test, _) = _load(archive, tmp_path, seed=None, maxlen=5)
    assert padded.shape == (4, 5) and padded.dtype == np.int64 and padded_test.shape == (2, 5)
    np.testing.assert_array_equal(padded, pad_sequences(list(ragged), maxlen=5))
    assert padded[1].tolist() == [0, *ragged[1].tolist()]  # "Boring. Not great.": 4 ids + pad
    assert padded[0].tolist() == ragged[0][-5:].tolist()  # long reviews keep their end


def test_seed_shuffles_texts_and_labels_together(archive, tmp_path):
    (plain, y_plain), _ = _load(archive, tmp_path, seed=None)
    (shuffled, y_shuffled), _ = _load(archive, tmp_path, seed=113)
    pairs = {tuple(x.tolist()): y for x, y in zip(plain, y_plain, strict=True)}
    for x, y in zip(shuffled, y_shuffled, strict=True):
        assert pairs[tuple(x.tolist())] == y
    (again, _), _ = _load(archive, tmp_path, seed=113)
    assert all(np.array_equal(a, b) for a, b in zip(shuffled, again, strict=True))


def test_pinned_archive_is_cached(tmp_path, archive):
    digest = sha256(archive.read_bytes())
    first = imdb.load_texts(archive, cache_dir=tmp_path, sha256=digest, download=False)
    archive.unlink()
    again = imdb.load_texts(cache_dir=tmp_path, sha256=digest, download=False)
    for (texts, labels), (texts2, labels2) in zip(first, again, strict=True):
        assert texts == texts2 and np.array_equal(labels, labels2)


def test_unicode_reviews_survive_the_cache(tmp_path):
    reviews = {**IMDB_REVIEWS, "train/pos/5_10.txt": "Amélie — 素晴らしい!"}
    archive = write_imdb(tmp_path / "a.tar.gz", reviews)
    digest = sha256(archive.read_bytes())
    imdb.load_texts(archive, cache_dir=tmp_path, sha256=digest, download=False)
    (train, _), _ = imdb.load_texts(cache_dir=tmp_path, sha256=digest, download=False)
    assert "Amélie — 素晴らしい!" in train
