"""DataLoader: batching, seeded shuffling, exact mid-epoch resume, prefetch, Tensor output."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from steepest.data import ArrayDataset, DataLoader, Subset, default_collate
from steepest.data.transforms import RandomHorizontalFlip
from steepest.tensor import Tensor


def _data(n=10, d=3):
    x = np.arange(n * d, dtype=np.float32).reshape(n, d)
    y = np.arange(n, dtype=np.int64)
    return x, y


def _epoch(loader):
    return [tuple(np.array(a) for a in batch) for batch in loader]


class CountingDataset(ArrayDataset):
    """Counts how the loader reads it: whole batches or single samples."""

    def __init__(self, *arrays):
        super().__init__(*arrays)
        self.batch_calls = 0
        self.item_calls = 0

    def get_batch(self, indices):
        self.batch_calls += 1
        return super().get_batch(indices)

    def __getitem__(self, index):
        self.item_calls += 1
        return super().__getitem__(index)


class ListDataset:
    """A plain Python dataset without a batch path."""

    def __init__(self, n):
        self.items = [(np.full(2, i, np.float32), i) for i in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


@pytest.mark.parametrize(
    ("n", "bs", "drop_last", "expected"),
    [
        (10, 3, False, 4),
        (10, 3, True, 3),
        (10, 10, False, 1),
        (10, 1, False, 10),
        (10, 20, True, 0),
        (0, 4, False, 0),
    ],
)
def test_len(n, bs, drop_last, expected):
    x, y = _data(n)
    assert len(DataLoader(ArrayDataset(x, y), batch_size=bs, drop_last=drop_last)) == expected


def test_sequential_batches_cover_the_data_in_order_with_a_short_last_batch():
    x, y = _data(10)
    batches = _epoch(DataLoader(ArrayDataset(x, y), batch_size=4, to_tensor=False))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)


def test_drop_last_drops_the_short_batch():
    x, y = _data(10)
    batches = _epoch(DataLoader(ArrayDataset(x, y), batch_size=4, drop_last=True))
    assert [len(b[1]) for b in batches] == [4, 4]


def test_array_dataset_is_read_with_one_fancy_index_per_batch_and_no_sample_loop():
    x, y = _data(100)
    ds = CountingDataset(x, y)
    loader = DataLoader(ds, batch_size=16, shuffle=True, seed=0, to_tensor=False)
    batches = _epoch(loader)
    assert ds.batch_calls == len(loader) == len(batches) == 7
    assert ds.item_calls == 0


def test_full_batch_gradient_descent_gets_the_whole_dataset_each_epoch():
    x, y = _data(12)
    loader = DataLoader(ArrayDataset(x, y), batch_size=len(x), shuffle=True, seed=3)
    for _ in range(2):
        ((xb, yb),) = list(loader)
        assert xb.shape == (12, 3)
        np.testing.assert_array_equal(np.sort(yb.data), y)  # a permutation of all samples
        np.testing.assert_array_equal(xb.data, x[yb.data])  # rows stay aligned with labels


def test_batch_size_one_is_stochastic_gradient_descent():
    x, y = _data(7)
    loader = DataLoader(ArrayDataset(x, y), batch_size=1, shuffle=True, seed=1)
    batches = list(loader)
    assert len(batches) == 7
    assert all(xb.shape == (1, 3) and yb.shape == (1,) for xb, yb in batches)
    assert sorted(int(yb.data[0]) for _, yb in batches) == list(range(7))


def test_shuffle_is_deterministic_for_a_seed_and_changes_between_epochs():
    x, y = _data(50)
    a = DataLoader(ArrayDataset(x, y), batch_size=8, shuffle=True, seed=42, to_tensor=False)
    b = DataLoader(ArrayDataset(x, y), batch_size=8, shuffle=True, seed=42, to_tensor=False)
    epochs_a = [np.concatenate([yb for _, yb in _epoch(a)]) for _ in range(3)]
    epochs_b = [np.concatenate([yb for _, yb in _epoch(b)]) for _ in range(3)]
    for ea, eb in zip(epochs_a, epochs_b, strict=True):
        np.testing.assert_array_equal(ea, eb)
        np.testing.assert_array_equal(np.sort(ea), y)
    assert not np.array_equal(epochs_a[0], epochs_a[1])
    c = DataLoader(ArrayDataset(x, y), batch_size=8, shuffle=True, seed=43, to_tensor=False)
    assert not np.array_equal(np.concatenate([yb for _, yb in _epoch(c)]), epochs_a[0])


def test_generator_argument_gives_reproducible_orders():
    x, y = _data(30)
    orders = []
    for _ in range(2):
        loader = DataLoader(
            ArrayDataset(x, y),
            batch_size=30,
            shuffle=True,
            generator=np.random.default_rng(7),
            to_tensor=False,
        )
        orders.append(_epoch(loader)[0][1])
    np.testing.assert_array_equal(*orders)
    with pytest.raises(ValueError, match="seed or generator"):
        DataLoader(ArrayDataset(x, y), seed=1, generator=np.random.default_rng(1))


@pytest.mark.parametrize("prefetch", [0, 2])
def test_resume_mid_epoch_from_a_json_state_gives_identical_batches(prefetch):
    x, y = _data(23)
    x = np.random.default_rng(0).random((23, 1, 4, 4)).astype(np.float32)

    def make():
        return DataLoader(
            ArrayDataset(x, y),
            batch_size=4,
            shuffle=True,
            seed=11,
            transform=RandomHorizontalFlip(),
            prefetch=prefetch,
            to_tensor=False,
        )

    reference = make()
    full = [_epoch(reference) for _ in range(3)]  # what an uninterrupted run sees

    run = make()
    _epoch(run)  # epoch 0
    seen = []
    for i, batch in enumerate(run):  # epoch 1, interrupted after 3 batches
        seen.append(tuple(np.array(a) for a in batch))
        if i == 2:
            break
    state = json.loads(json.dumps(run.state_dict()))  # survives a JSON checkpoint
    assert state["epoch"] == 1 and state["position"] == 3

    resumed = make()
    resumed.seed = 999  # the state must restore the seed too
    resumed.load_state_dict(state)
    rest = _epoch(resumed)
    after = _epoch(resumed)
    for got, want in zip(seen + rest, full[1], strict=True):
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    for got, want in zip(after, full[2], strict=True):
        np.testing.assert_array_equal(got[0], want[0])


def test_state_after_the_last_batch_points_at_the_next_epoch():
    x, y = _data(8)
    loader = DataLoader(ArrayDataset(x, y), batch_size=4, seed=0)
    for _ in loader:
        state = loader.state_dict()
    assert (state["epoch"], state["position"]) == (1, 0)


def test_load_state_dict_rejects_a_state_from_a_different_setup():
    x, y = _data(8)
    loader = DataLoader(ArrayDataset(x, y), batch_size=4, seed=0)
    state = loader.state_dict()
    other = DataLoader(ArrayDataset(x, y), batch_size=2, seed=0)
    with pytest.raises(ValueError, match="batch_size=4"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="position"):
        loader.load_state_dict({**state, "position": -1})
    with pytest.raises(ValueError, match="beyond"):
        loader.load_state_dict({**state, "position": 3})


def test_transform_gets_a_per_batch_generator_and_applies_to_inputs_only():
    x = np.random.default_rng(0).random((6, 1, 2, 3)).astype(np.float32)
    y = np.arange(6)
    calls = []

    def record(xb, rng):
        calls.append(rng.integers(0, 2**32))
        return xb + 1

    loader = DataLoader(ArrayDataset(x, y), batch_size=3, seed=5, transform=record, to_tensor=False)
    (x0, y0), (x1, y1) = _epoch(loader)
    np.testing.assert_allclose(np.concatenate([x0, x1]), x + 1)
    np.testing.assert_array_equal(np.concatenate([y0, y1]), y)
    assert calls[0] != calls[1]  # different generator per batch
    _epoch(loader)
    assert calls[2:] != calls[:2]  # and per epoch


def test_batches_are_tensors_wrapping_the_arrays_without_copy():
    x, y = _data(10)
    (xb, yb), *_ = DataLoader(ArrayDataset(x, y), batch_size=5)
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert not xb.requires_grad
    assert np.shares_memory(xb.data, x)  # unshuffled batches are views of the data
    assert yb.data.dtype == np.int64


def test_generic_dataset_goes_through_collate():
    loader = DataLoader(ListDataset(5), batch_size=2, to_tensor=False)
    batches = _epoch(loader)
    assert [b[0].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    np.testing.assert_array_equal(batches[2][1], [4])
    custom = DataLoader(
        ListDataset(4),
        batch_size=2,
        to_tensor=False,
        collate_fn=lambda s: (np.array([i for _, i in s]) * 10,),
    )
    assert [b[0].tolist() for b in _epoch(custom)] == [[0, 10], [20, 30]]


def test_default_collate_stacks_fields():
    xs, ys = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
    assert xs.shape == (2, 3) and ys.tolist() == [1, 0]
    (single,) = default_collate([np.zeros(2), np.ones(2)])
    assert single.shape == (2, 2)


def test_subset_of_array_dataset_keeps_the_batch_path():
    x, y = _data(20)
    ds = CountingDataset(x, y)
    sub = Subset(ds, np.arange(0, 20, 2))
    batches = _epoch(DataLoader(sub, batch_size=4, to_tensor=False))
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y[::2])
    assert ds.item_calls == 0 and ds.batch_calls == 3


def test_prefetch_matches_plain_iteration_and_stops_its_thread_on_break():
    x, y = _data(40)
    plain = DataLoader(ArrayDataset(x, y), batch_size=4, shuffle=True, seed=2, to_tensor=False)
    ahead = DataLoader(
        ArrayDataset(x, y), batch_size=4, shuffle=True, seed=2, prefetch=3, to_tensor=False
    )
    for a, b in zip(_epoch(plain), _epoch(ahead), strict=True):
        np.testing.assert_array_equal(a[0], b[0])
    before = threading.active_count()
    for i, _ in enumerate(ahead):
        if i == 1:
            break
    assert threading.active_count() == before
    assert ahead.state_dict()["position"] == 2


def test_prefetch_reraises_errors_from_the_worker():
    x, y = _data(8)

    def boom(xb, rng):
        raise RuntimeError("bad batch")

    loader = DataLoader(ArrayDataset(x, y), batch_size=4, transform=boom, prefetch=2)
    with pytest.raises(RuntimeError, match="bad batch"):
        list(loader)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_invalid_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ArrayDataset(np.zeros(3)), batch_size=bad)
