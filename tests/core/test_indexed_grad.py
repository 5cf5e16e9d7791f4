"""The engine's scatter of slice gradients (IndexedGrad): same sums as np.add.at, any index."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
from steepest.autograd import IndexedGrad

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "index",
    [
        RNG.integers(0, 7, size=40),  # repeated rows: an embedding's gradient
        RNG.integers(0, 7, size=(5, 8)),  # a (batch, time) block of token ids
        np.array([3, -1, 3, -7]),  # negative rows: the general path
        np.array([], dtype=np.int64),
        (np.array([0, 0, 2]), np.array([1, 1, 3])),  # element pairs: the general path
        (slice(1, 4), 2),  # a view: plain in-place add
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scatter_equals_add_at_bit_for_bit(index, dtype):
    buffer = RNG.normal(size=(7, 5)).astype(dtype)
    values = RNG.normal(size=buffer[index].shape).astype(dtype)
    expected = buffer.copy()
    np.add.at(expected, index, values)
    IndexedGrad(values, index).add_into(buffer)
    np.testing.assert_array_equal(buffer, expected)


def test_broadcast_values_and_out_of_range_rows():
    buffer = np.zeros((4, 3))
    IndexedGrad(np.float64(1.0), np.array([1, 1, 2])).add_into(buffer)  # a scalar gradient
    np.testing.assert_array_equal(buffer.sum(axis=1), [0, 6, 3, 0])
    with pytest.raises(IndexError):
        IndexedGrad(np.ones((1, 3)), np.array([4])).add_into(buffer)


def test_embedding_gradient_counts_every_use_of_a_row():
    table = st.tensor(RNG.normal(size=(6, 4)), requires_grad=True)
    ids = np.array([[1, 2, 1], [5, 1, 0]])
    st.embedding(table, ids).sum().backward()
    counts = np.bincount(ids.ravel(), minlength=6)
    np.testing.assert_array_equal(table.grad.data, np.repeat(counts[:, None], 4, axis=1))
