"""ArrayDataset, TensorDataset, Subset and random_split."""

from __future__ import annotations

import numpy as np
import pytest

from steepest.data import ArrayDataset, Dataset, Subset, TensorDataset, random_split
from steepest.tensor import Tensor


def test_array_dataset_indexes_all_arrays_together():
    x, y = np.arange(12).reshape(6, 2), np.arange(6) * 10
    ds = ArrayDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.tolist() == [8, 9] and yi == 40
    xb, yb = ds.get_batch(np.array([5, 0]))
    assert xb.tolist() == [[10, 11], [0, 1]] and yb.tolist() == [50, 0]
    assert isinstance(ds, Dataset)


def test_array_dataset_rejects_unequal_lengths_and_no_arrays():
    with pytest.raises(ValueError, match="same length"):
        ArrayDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        ArrayDataset()


def test_tensor_dataset_shares_the_tensors_arrays():
    data = np.ones((4, 2), np.float32)
    ds = TensorDataset(Tensor(data), Tensor(np.arange(4)))
    assert len(ds) == 4 and np.shares_memory(ds.arrays[0], data)


def test_subset_and_its_batch_path():
    ds = ArrayDataset(np.arange(10) * 2)
    sub = Subset(ds, [9, 3, 1])
    assert len(sub) == 3 and sub[1] == (6,)
    assert sub.get_batch(np.array([2, 0]))[0].tolist() == [2, 18]
    with pytest.raises(IndexError):
        Subset(ds, [10])


def test_random_split_is_a_seeded_partition():
    ds = ArrayDataset(np.arange(10))
    parts = random_split(ds, [0.7, 0.3], seed=1)
    assert [len(p) for p in parts] == [7, 3]
    joined = np.concatenate([p.indices for p in parts])
    assert sorted(joined.tolist()) == list(range(10))
    again = random_split(ds, [7, 3], seed=1)
    assert all(np.array_equal(a.indices, b.indices) for a, b in zip(parts, again, strict=True))
    with pytest.raises(ValueError, match="do not split"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(ds, [0.5, 0.4])
