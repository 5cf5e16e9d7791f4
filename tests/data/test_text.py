"""Tokenizer, Vocabulary, pad_sequences, bag_of_words, bag_of_ngrams."""

from __future__ import annotations

import json

import numpy as np
import pytest

from steepest.data.text import (
    Vocabulary,
    bag_of_ngrams,
    bag_of_words,
    pad_sequences,
    tokenize,
)


def _ragged(seed=0, n=30, maxlen=9):
    rng = np.random.default_rng(seed)
    return [rng.integers(1, 50, rng.integers(0, maxlen)).tolist() for _ in range(n)]


def _pad_reference(seqs, maxlen, padding, truncating, value=0):
    out = []
    for s in seqs:
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if maxlen == 0:
            s = []
        fill = [value] * (maxlen - len(s))
        out.append(fill + list(s) if padding == "pre" else list(s) + fill)
    return np.array(out, dtype=np.int64).reshape(len(seqs), maxlen)


def test_tokenize_lowercases_keeps_apostrophes_and_drops_html_breaks():
    assert tokenize("It's GREAT.<br /><br/>Don't   miss—really!") == [
        "it's",
        "great",
        "don't",
        "miss",
        "really",
    ]
    assert tokenize("Café über_alles 42", lower=False) == ["Café", "über", "alles", "42"]


def test_vocabulary_orders_by_frequency_then_alphabet_and_maps_unknowns_to_oov():
    docs = [["b", "a", "c"], ["a", "c", "d"], ["a"]]
    vocab = Vocabulary.build(docs)
    assert vocab.itos == ["<pad>", "<oov>", "a", "c", "b", "d"]
    assert vocab.encode(["c", "zz"]).tolist() == [3, 1]
    assert vocab.decode([2, 3]) == ["a", "c"]
    assert vocab["nope"] == 1 and "a" in vocab and vocab.counts["a"] == 3


def test_vocabulary_min_freq_and_max_size():
    docs = [["a", "a", "b", "b", "c"]]
    assert Vocabulary.build(docs, min_freq=2).itos == ["<pad>", "<oov>", "a", "b"]
    small = Vocabulary.build(docs, max_size=3)
    assert small.itos == ["<pad>", "<oov>", "a"] and max(small.encode(["c", "b"])) < 3
    with pytest.raises(ValueError, match="min_freq"):
        Vocabulary.build(docs, min_freq=0)
    with pytest.raises(ValueError, match="special"):
        Vocabulary.build(docs, max_size=1)


def test_vocabulary_json_round_trip():
    vocab = Vocabulary.build([["x", "y", "x"]])
    again = Vocabulary.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert again.itos == vocab.itos and again.encode(["y", "q"]).tolist() == [3, 1]


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [0, 1, 4, 12])
def test_pad_sequences_matches_a_loop_reference(padding, truncating, maxlen):
    seqs = _ragged()
    got = pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(got, _pad_reference(seqs, maxlen, padding, truncating))


def test_pad_sequences_defaults_and_errors():
    assert pad_sequences([[1, 2], [3]]).tolist() == [[1, 2], [0, 3]]
    assert pad_sequences([[1], []], value=-1).tolist() == [[1], [-1]]
    assert pad_sequences([]).shape == (0, 0)
    with pytest.raises(ValueError, match="padding"):
        pad_sequences([[1]], padding="middle")


def test_bag_of_words_counts_and_binary():
    seqs = _ragged(1)
    got = bag_of_words(seqs, num_words=40)
    expected = np.zeros((len(seqs), 40), np.float32)
    for i, s in enumerate(seqs):
        for w in s:
            if w < 40:
                expected[i, w] += 1
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(bag_of_words(seqs, 40, binary=True), expected > 0)


def test_bag_of_ngrams_counts_every_ngram_once_and_never_across_documents():
    seqs = _ragged(2)
    x = bag_of_ngrams(seqs, ngram_range=(1, 3), num_features=1 << 12)
    per_doc = [sum(max(len(s) - k + 1, 0) for k in (1, 2, 3)) for s in seqs]
    np.testing.assert_array_equal(x.sum(axis=1), per_doc)
    # the same bigram in two documents lands in the same bucket; order matters
    a = bag_of_ngrams([[3, 4], [3, 4], [4, 3]], ngram_range=(2, 2), num_features=1 << 12)
    assert np.array_equal(a[0], a[1]) and not np.array_equal(a[0], a[2])
    # deterministic across calls (no salted hash)
    np.testing.assert_array_equal(x, bag_of_ngrams(seqs, ngram_range=(1, 3), num_features=1 << 12))
    with pytest.raises(ValueError, match="ngram_range"):
        bag_of_ngrams(seqs, ngram_range=(2, 1))
