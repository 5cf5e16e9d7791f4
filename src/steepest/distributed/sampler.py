"""Sharding data over ranks: every rank reads its own part of every epoch's permutation.

Both classes take the epoch's order from the single-process rule (``DataLoader.epoch_order``:
``default_rng([seed, epoch]).permutation(n)``) and give rank ``r`` of ``N`` the positions
``r, r + N, r + 2N, ...``, so the union over ranks is exactly the single-process epoch and
no rank reads an example twice (PyTorch's ``DistributedSampler`` pads with repeats instead).

* ``DistributedSampler``: the indices of this rank's shard of a whole epoch (PyTorch's API).
* ``ShardedLoader``: wraps a ``DataLoader`` whose ``batch_size`` is the *global* batch and
  yields this rank's strided share of each global batch, so N ranks together take the same
  optimizer steps on the same batches as one process does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..data.loader import _map_first, _wrap, default_collate
from . import _comm


def _check_rank(owner: str, rank: int | None, num_replicas: int | None) -> tuple[int, int]:
    n = _comm.world_size() if num_replicas is None else num_replicas
    r = _comm.rank() if rank is None else rank
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{owner}: num_replicas must be an int >= 1, got {n!r}")
    if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < n:
        raise ValueError(f"{owner}: rank must be an int in [0, {n}), got {r!r}")
    return r, n


class DistributedSampler:
    """Indices of this rank's shard of each epoch: ``order[rank::num_replicas]``.

    ``order`` is ``default_rng([seed, epoch]).permutation(len(dataset))`` (``shuffle=True``,
    the same permutation as ``DataLoader(shuffle=True, seed=seed)``) or ``0 .. n-1``. Call
    ``set_epoch(e)`` before each epoch. Shards differ in length by at most one unless
    ``drop_last=True``, which trims the epoch to a multiple of ``num_replicas``.

    >>> s = DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False)
    >>> list(s)
    [1, 4, 7]
    """

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        self.rank, self.num_replicas = _check_rank("DistributedSampler", rank, num_replicas)
        self.dataset, self.shuffle, self.seed, self.drop_last = dataset, shuffle, seed, drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            return np.random.default_rng([self.seed, self.epoch]).permutation(n)
        return np.arange(n)

    def __iter__(self) -> Iterator[int]:
        order = self._order()
        if self.drop_last:
            order = order[: len(order) - len(order) % self.num_replicas]
        return iter(order[self.rank :: self.num_replicas].tolist())

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.num_replicas
        return len(range(self.rank, n, self.num_replicas))


class ShardedLoader:
    """This rank's share of each global batch of ``loader`` (a ``steepest.data.DataLoader``).

    Global batch ``b`` of epoch ``e`` is the one ``loader`` itself would yield; this rank gets
    its examples at positions ``rank, rank + N, ...`` within it. A final global batch smaller
    than N (it cannot give every rank an example) is skipped, so every rank takes the same
    number of steps (``drop_small_last=False`` keeps it, for evaluation: no collective there).
    Augmentation (``loader.transform``) runs on the shard with the batch's generator
    ``default_rng([seed, e, b])``. ``optimizer``: a ``DistributedOptimizer`` told each batch's
    share ``n_rank / n_global``, which makes the averaged gradient exact.
    The state (``state_dict``) is the wrapped loader's: epoch and position.
    """

    def __init__(
        self,
        loader: Any,
        optimizer: Any = None,
        rank: int | None = None,
        world_size: int | None = None,
        drop_small_last: bool = True,
    ) -> None:
        self.rank, self.world = _check_rank("ShardedLoader", rank, world_size)
        if not hasattr(loader, "epoch_order"):
            raise TypeError(f"ShardedLoader wraps a steepest DataLoader, got {type(loader)}")
        self.loader, self.optimizer = loader, optimizer
        self.dataset = loader.dataset
        self.batch_size = loader.batch_size
        self.drop_small_last = drop_small_last
        self.last_global_size: int | None = None  # examples in the latest global batch

    def __len__(self) -> int:
        n, b = len(self.loader.dataset), self.loader.batch_size
        full, rest = divmod(n, b)
        if self.loader.drop_last or rest == 0:
            return full
        return full + (1 if rest >= self.world or not self.drop_small_last else 0)

    def num_examples(self) -> int:
        """How many examples this rank reads in one epoch."""
        n, b = len(self.loader.dataset), self.batch_size
        sizes = [min(b, n - lo) for lo in range(0, b * len(self), b)]
        return sum(len(range(self.rank, size, self.world)) for size in sizes)

    def _batch(self, order: np.ndarray | None, epoch: int, index: int) -> Any:
        lo = index * self.batch_size
        hi = min(lo + self.batch_size, len(self.dataset))
        ids = np.arange(lo, hi) if order is None else order[lo:hi]
        mine = ids[self.rank :: self.world]
        self.last_global_size = hi - lo
        if len(mine) == 0:
            return None
        if self.optimizer is not None:
            self.optimizer.share = len(mine) / (hi - lo)
        ld = self.loader
        if ld._vectorized:
            fields = ld.dataset.get_batch(mine)
        else:
            fields = (ld.collate_fn or default_collate)([ld.dataset[int(i)] for i in mine])
        if ld.transform is not None:
            rng = np.random.default_rng([ld.seed, epoch, index])
            fields = _map_first(fields, lambda x: ld.transform(x, rng))
        if ld._tensor is not None:
            fields = _wrap(fields, ld._tensor)
        return fields

    def __iter__(self) -> Iterator[Any]:
        ld = self.loader
        if len(self) and ld.position >= len(self):  # a finished epoch: start the next one
            ld.epoch, ld.position = ld.epoch + 1, 0
        epoch, start = ld.epoch, ld.position
        order = ld.epoch_order(epoch)
        for b in range(start, len(self)):
            batch = self._batch(order, epoch, b)
            ld.position = b + 1
            if batch is not None:  # None: this rank's share of a small last batch is empty
                yield batch
        ld.epoch, ld.position = epoch + 1, 0

    def state_dict(self) -> dict[str, Any]:
        state = self.loader.state_dict()
        if self.loader.position >= len(self):  # our epoch may be one batch shorter
            state["epoch"], state["position"] = self.loader.epoch + 1, 0
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.loader.load_state_dict(state)

    def __repr__(self) -> str:
        return (f"ShardedLoader(rank={self.rank}, world_size={self.world}, "
                f"global_batch={self.batch_size}, batches={len(self)})")
