"""DataLoader with PyTorch's arguments, the samplers, and st.utils.data."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import steepest as st
from steepest.data import ArrayDataset, DataLoader
from steepest.utils.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)


def _ds(n=23):
    return ArrayDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


def _labels(loader):
    return [b[1].numpy().tolist() for b in loader]


class SlowItems:
    """Per-sample dataset that records which threads read it."""

    def __init__(self, n):
        self.n, self.threads = n, set()

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.threads.add(threading.get_ident())
        return np.full(3, i, np.float32), i


@pytest.mark.parametrize("workers", [1, 3])
def test_num_workers_gives_the_same_batches_in_order(workers):
    def aug(x, rng):
        return x + rng.standard_normal(x.shape).astype(x.dtype)

    plain = DataLoader(_ds(), batch_size=4, shuffle=True, seed=5, transform=aug)
    threaded = DataLoader(_ds(), batch_size=4, shuffle=True, seed=5, transform=aug,
                          num_workers=workers, prefetch_factor=1)  # fmt: skip
    for _ in range(2):  # two epochs: the pool is rebuilt (not persistent)
        for a, b in zip(plain, threaded, strict=True):
            np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
            np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())


def test_workers_are_threads_with_init_fn_and_persistence():
    seen = []
    ds = SlowItems(40)
    loader = DataLoader(ds, batch_size=2, num_workers=2, worker_init_fn=seen.append,
                        persistent_workers=True)  # fmt: skip
    assert _labels(loader)[0] == [0, 1]
    assert sorted(seen) == [0, 1]  # one call per worker, ids 0 and 1
    assert threading.get_ident() not in ds.threads
    _labels(loader)
    assert sorted(seen) == [0, 1]  # persistent: the same threads, no new init calls
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, persistent_workers=True)


def test_early_break_with_workers_leaves_no_threads_running():
    loader = DataLoader(SlowItems(100), batch_size=2, num_workers=2)
    before = threading.active_count()
    for i, _ in enumerate(loader):
        if i == 3:
            break
    assert threading.active_count() <= before
    assert loader.state_dict()["position"] == 4


def test_sampler_and_batch_sampler():
    ds = _ds(10)
    assert _labels(DataLoader(ds, batch_size=4, sampler=SequentialSampler(ds))) == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]  # fmt: skip
    sub = DataLoader(ds, batch_size=3, sampler=SubsetRandomSampler([1, 5, 7, 8], generator=0))
    got = _labels(sub)
    assert len(sub) == 2 and sorted(i for batch in got for i in batch) == [1, 5, 7, 8]
    batches = BatchSampler(SequentialSampler(range(7)), 3, drop_last=True)
    assert _labels(DataLoader(ds, batch_sampler=batches)) == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=batches)
    with pytest.raises(ValueError, match="not both"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))


def test_random_samplers_follow_their_generator():
    a = list(RandomSampler(range(10), generator=st.Generator(3)))
    b = list(RandomSampler(range(10), generator=st.Generator(3)))
    assert a == b and sorted(a) == list(range(10))
    many = list(RandomSampler(range(4), num_samples=10, generator=1))
    assert len(many) == 10 and set(many) == {0, 1, 2, 3}
    draws = list(WeightedRandomSampler([0.0, 1.0, 3.0], 2000, generator=0))
    assert 0 not in draws and 0.7 < draws.count(2) / 2000 < 0.8


def test_generator_as_st_generator_or_seed():
    def order(**kw):
        return _labels(DataLoader(_ds(), batch_size=5, shuffle=True, **kw))

    assert order(generator=st.Generator(4)) == order(generator=st.Generator(4))
    assert order(generator=7) == order(generator=7)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(_ds(), generator="seed")


def test_accepted_arguments_and_utils_data_is_st_data():
    loader = DataLoader(_ds(), batch_size=8, pin_memory=True, timeout=5,
                        multiprocessing_context="spawn", drop_last=True)  # fmt: skip
    assert len(loader) == 2 and len(_labels(loader)) == 2
    assert st.utils.data.DataLoader is st.data.DataLoader
    assert TensorDataset is st.data.TensorDataset
    from steepest.utils.data import DataLoader as D

    assert D is DataLoader
