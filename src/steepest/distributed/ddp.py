"""Data parallelism: every rank holds the whole model, trains on its shard of each batch,
and all ranks apply the same averaged gradient, so their parameters never drift apart.

``DistributedOptimizer`` wraps any steepest optimizer (Horovod's design; PyTorch's
``DistributedDataParallel`` does the same work from the model's side):

* at construction, rank 0's parameters (and the model's buffers) are broadcast to all ranks;
* ``step()`` first averages gradients with ONE ``Allreduce`` per flat gradient buffer
  (``Optimizer.grad_buffers``: every parameter's ``.grad`` is a view of it; one buffer per
  dtype and device, so normally one call per step), then runs the wrapped optimizer's step;
* batch norm keeps *local* batch statistics, as PyTorch DDP does: each rank normalises with
  its own shard's mean and variance. The running statistics are made equal after every step
  by broadcasting rank 0's buffers (PyTorch's ``broadcast_buffers=True``), so evaluation and
  checkpoints see one model. For statistics over the global batch use ``SyncBatchNorm``.

The averaged gradient is ``g = sum_r w_r g_r`` with ``w_r = 1/N`` by default, or the rank's
share of the global batch (``n_r / n``) when a ``ShardedLoader`` reports it: then a
mean-reduced loss gives exactly the gradient of one process on the whole batch, also for an
uneven last batch.

>>> opt = st.distributed.DistributedOptimizer(st.optim.Adam(model.parameters()), model)
>>> loader = st.distributed.ShardedLoader(DataLoader(ds, 256, shuffle=True, seed=0), opt)
>>> st.train.fit(model, loss_fn, opt, loader, epochs=3)   # launched with mpiexec -n 4
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _comm


class DistributedOptimizer:
    """Average gradients over ranks (one Allreduce per flat buffer), then step ``optimizer``.

    Everything else (``param_groups``, ``state_dict``, ``zero_grad``, schedulers attached to
    the wrapped optimizer) is the wrapped optimizer's. ``model``: its buffers (batch-norm
    running statistics) are broadcast from rank 0 at construction and after every step.
    """

    def __init__(self, optimizer: Any, model: Any = None) -> None:
        if not hasattr(optimizer, "grad_buffers"):
            raise TypeError(
                f"DistributedOptimizer: expected a steepest optimizer (with flat gradient "
                f"buffers), got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.model = model
        self.share: float | None = None  # this rank's fraction of the global batch, if known
        self.allreduce_seconds = 0.0  # time spent averaging gradients (for benchmarks)
        self.world = _comm.world_size()
        for buf in optimizer.param_buffers():
            _comm.broadcast_(buf)
        self._broadcast_buffers()

    def __getattr__(self, name: str) -> Any:
        if name == "optimizer":  # not set yet (copy, unpickling): no endless recursion
            raise AttributeError(name)
        return getattr(self.optimizer, name)  # defaults, state, transforms, ...

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.optimizer.param_groups

    def zero_grad(self, set_to_none: bool = False) -> None:
        self.optimizer.zero_grad(set_to_none)

    def synchronize(self) -> None:
        """Replace every rank's gradient by the (weighted) average over ranks."""
        if self.world == 1:
            return
        start = time.perf_counter()
        weight = 1.0 / self.world if self.share is None else self.share
        for buf in self.optimizer.grad_buffers():
            if weight != 1.0:
                buf *= weight
            _comm.allreduce_sum_(_host(buf))
        self.allreduce_seconds += time.perf_counter() - start

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Average the gradients over ranks, then one step of the wrapped optimizer."""
        loss = None
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
        self.synchronize()
        self.optimizer.step()
        self._broadcast_buffers()
        return loss

    def _broadcast_buffers(self) -> None:
        if self.model is None or self.world == 1:
            return
        for b in self.model.buffers():
            if b is not None and b.data.dtype.kind == "f":  # running stats; counters agree
                _comm.broadcast_(_host(b.data))

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return f"DistributedOptimizer(world_size={self.world}, {self.optimizer!r})"


def _host(array: Any) -> np.ndarray:
    """The array itself when it is a NumPy array; MPI here moves host buffers only."""
    if not isinstance(array, np.ndarray):
        raise TypeError(
            "steepest.distributed: gradient buffers on a GPU are not supported yet (MPI here "
            "moves host memory); train with device='cpu' under MPI"
        )
    return array


def broadcast_module(model: Any, root: int = 0) -> None:
    """Give every rank root's parameters and buffers (one Bcast per tensor)."""
    for p in model.parameters():
        _comm.broadcast_(_host(p.data), root)
    for b in model.buffers():
        if b is not None:
            _comm.broadcast_(_host(b.data), root)
