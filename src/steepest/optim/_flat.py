"""Flat buffers: the parameters of one param group (one dtype, one device) stored end to end.

Each parameter's ``.data`` is a view of ``bucket.data`` and its ``.grad`` a Tensor wrapping a
view of ``bucket.grad``; every state slot (Adam's moments, a momentum buffer) is one more flat
array of the same length. An update rule is then a handful of ufunc calls on whole buffers,
whatever the number of parameters, and ``zero_grad`` is one ``fill``. Backward keeps
gradients in these buffers because the engine adds in place into an existing ``.grad``.

Users may still replace ``p.data`` or set ``p.grad = None``; ``sync`` notices (identity
checks, no array work) and copies the new values back into the buffers before each step.
"""

from __future__ import annotations

from typing import Any

from ..backend import array_module
from ..tensor import Tensor


class LayoutChanged(Exception):
    """A parameter's dtype or device changed: its group's buckets must be rebuilt."""


class Chunk:
    """One contiguous range ``[lo, hi)`` of a bucket: what transforms and update rules see.

    ``p``, ``g`` and ``state[name]`` are 1-D views; ``d`` is the effective gradient, ``g`` itself
    until a transform changes it, then a scratch copy, so the user's ``.grad`` is never modified.
    """

    __slots__ = ("_tmp", "bucket", "d", "g", "hi", "lo", "p", "state", "xp")

    def __init__(self, bucket: FlatBucket, lo: int, hi: int) -> None:
        self.bucket, self.lo, self.hi, self.xp = bucket, lo, hi, bucket.xp
        self.p = bucket.data[lo:hi]
        self.g = bucket.grad[lo:hi]
        self.d = self.g
        self.state = {name: buf[lo:hi] for name, buf in bucket.slots.items()}
        self._tmp: dict[int, Any] = {}

    def tmp(self, k: int = 0) -> Any:
        """Scratch buffer number ``k`` (contents undefined), shared by transforms and the rule."""
        t = self._tmp.get(k)
        if t is None:
            t = self._tmp[k] = self.bucket.scratch(k + 1)[self.lo : self.hi]
        return t

    def slot(self, name: str) -> Any:
        """State slot ``name`` over this range, created (at its initial value) if new."""
        s = self.state.get(name)
        if s is None:
            s = self.state[name] = self.bucket.slot(name)[self.lo : self.hi]
        return s

    def reset(self) -> None:
        """Start a new step: the effective gradient is the raw gradient again."""
        self.d = self.g

    def _writable(self) -> Any:
        return self.bucket.scratch(0)[self.lo : self.hi]

    # Transforms change the effective gradient only through these three methods.
    def add_to_grad(self, term: Any) -> None:
        """``d <- d + term``."""
        if self.d is self.g:
            self.d = self.xp.add(self.g, term, out=self._writable())
        else:
            self.d += term

    def scale_grad(self, factor: float) -> None:
        """``d <- factor * d``."""
        if self.d is self.g:
            self.d = self.xp.multiply(self.g, factor, out=self._writable())
        else:
            self.d *= factor

    def clip_grad(self, low: float, high: float) -> None:
        """``d <- clip(d, low, high)``."""
        out = self.d if self.d is not self.g else self._writable()
        self.d = self.xp.clip(self.d, low, high, out=out)


class FlatBucket:
    """Parameters of one group that share a dtype and a device, in contiguous flat buffers."""

    def __init__(
        self, params: list[Tensor], slot_init: dict[str, float], scalar_init: dict[str, Any]
    ) -> None:
        first = params[0].data
        self.xp = xp = array_module(first)
        self.dtype = first.dtype
        self.params = params
        self.shapes = [tuple(p.shape) for p in params]
        self.sizes = [int(p.data.size) for p in params]
        self.offsets = [0] * len(params)
        total = 0
        for i, n in enumerate(self.sizes):
            self.offsets[i] = total
            total += n
        self.size = total
        self.data = xp.empty(total, dtype=self.dtype)
        self.grad = xp.zeros(total, dtype=self.dtype)
        self.data_views = [self._view(self.data, i) for i in range(len(params))]
        self.grad_views = [self._view(self.grad, i) for i in range(len(params))]
        self.grad_tensors = [Tensor(v) for v in self.grad_views]
        for p, view in zip(params, self.data_views, strict=True):
            view[...] = p.data
            p.data = view
        self.slot_init = dict(slot_init)
        self.slots: dict[str, Any] = {}
        for name in slot_init:
            self.slot(name)
        # Per-parameter scalar state (step counts, ...). While every parameter has stepped
        # together, all entries are the same dict object and the whole bucket is one run.
        shared = dict(scalar_init)
        self.scalar_init = dict(scalar_init)
        self.scalars: list[dict[str, Any]] = [shared] * len(params)
        self.shared = True
        self._scratch: dict[int, Any] = {}
        self._whole: Chunk | None = None

    def _view(self, flat: Any, i: int) -> Any:
        lo = self.offsets[i]
        return flat[lo : lo + self.sizes[i]].reshape(self.shapes[i])

    # ----- buffers ---------------------------------------------------------------------
    def slot(self, name: str, init: float | None = None) -> Any:
        """The flat state buffer ``name``, created on first use filled with its initial value."""
        buf = self.slots.get(name)
        if buf is None:
            value = self.slot_init.get(name, 0.0) if init is None else init
            self.slot_init.setdefault(name, value)
            buf = self.slots[name] = self.xp.full(self.size, value, dtype=self.dtype)
            self._whole = None
        return buf

    def scratch(self, k: int) -> Any:
        buf = self._scratch.get(k)
        if buf is None:
            buf = self._scratch[k] = self.xp.empty(self.size, dtype=self.dtype)
        return buf

    def chunk(self, lo: int, hi: int) -> Chunk:
        if lo == 0 and hi == self.size:  # the common case: reuse the views of the last step
            if self._whole is None:
                self._whole = Chunk(self, 0, self.size)
            self._whole.reset()
            return self._whole
        return Chunk(self, lo, hi)

    # ----- keeping parameters pointed at the buffers ----------------------------------------
    def sync(self) -> list[bool] | None:
        """Point ``.data``/``.grad`` back at the buffers, copying in anything a user replaced.

        Returns None when every parameter has a gradient, else which ones do (those without
        are skipped by the step, as in PyTorch). Raises LayoutChanged on a new dtype/device.
        """
        has_grad: list[bool] | None = None
        for i, p in enumerate(self.params):
            if p.data is not self.data_views[i]:
                self._absorb_data(i, p)
            g = p.grad
            gt = self.grad_tensors[i]
            if g is gt and g.data is self.grad_views[i]:
                continue
            if g is None:
                if has_grad is None:
                    has_grad = [True] * len(self.params)
                has_grad[i] = False
                continue
            self.grad_views[i][...] = g.data  # a fresh .grad (after set_to_none): take it in
            gt.data = self.grad_views[i]
            p.grad = gt
        return has_grad

    def _absorb_data(self, i: int, p: Tensor) -> None:
        new = p.data
        if tuple(new.shape) != self.shapes[i]:
            raise ValueError(
                f"optimizer: parameter of shape {self.shapes[i]} was given .data of shape "
                f"{tuple(new.shape)}; its optimizer state no longer fits: build a new optimizer"
            )
        if new.dtype != self.dtype or array_module(new) is not self.xp:
            raise LayoutChanged
        self.data_views[i][...] = new
        p.data = self.data_views[i]

    def zero_grad(self, set_to_none: bool) -> None:
        for i, p in enumerate(self.params):
            if set_to_none:
                p.grad = None
            elif p.grad is not None and (
                p.grad is not self.grad_tensors[i] or p.grad.data is not self.grad_views[i]
            ):
                self.grad_tensors[i].data = self.grad_views[i]
                p.grad = self.grad_tensors[i]
        if not set_to_none:
            self.grad.fill(0)  # one call, whatever the number of parameters

    # ----- runs: ranges of parameters that step together ---------------------------------
    def runs(self, has_grad: list[bool] | None) -> list[tuple[int, int, dict[str, Any]]]:
        """``(lo, hi, scalars)`` element ranges whose parameters have gradients and equal
        scalar state; normally one run, the whole bucket."""
        if has_grad is None and self.shared:
            return [(0, self.size, self.scalars[0])]
        groups: list[list[Any]] = []  # [first index, end index, values]
        for i in range(len(self.params)):
            if has_grad is not None and not has_grad[i]:
                continue
            values = self.scalars[i]
            last = groups[-1] if groups else None
            if last is not None and last[1] == i and last[2] == values:
                last[1] = i + 1
            else:
                groups.append([i, i + 1, values])
        out = []
        for start, end, values in groups:
            run_scalars = dict(values)  # each run gets its own dict: steps diverge from here
            for j in range(start, end):
                self.scalars[j] = run_scalars
            hi = self.offsets[end - 1] + self.sizes[end - 1]
            out.append((self.offsets[start], hi, run_scalars))
        self.shared = len(groups) == 1 and groups[0][0] == 0 and groups[0][1] == len(self.params)
        return out

    # ----- per-parameter state, for state_dict and rebuilding -----------------------------
    def export(self, i: int, copy: bool = True) -> dict[str, Any]:
        """Parameter ``i``'s state: its scalars and a (copied) slice of each slot."""
        out: dict[str, Any] = dict(self.scalars[i])
        for name, buf in self.slots.items():
            view = self._view(buf, i)
            out[name] = view.copy() if copy else view
        return out

    def load(self, i: int, state: dict[str, Any]) -> None:
        """Set parameter ``i``'s state (already validated: right keys and shapes)."""
        scalars = {k: state[k] for k in self.scalar_init}
        for name, value in state.items():
            if name not in self.scalar_init:
                self._view(self.slot(name), i)[...] = self.xp.asarray(value, dtype=self.dtype)
        self.scalars[i] = scalars
        self.shared = False

    def reset(self, i: int) -> None:
        """Parameter ``i`` back to its initial state (never stepped)."""
        for name, buf in self.slots.items():
            self._view(buf, i)[...] = self.slot_init[name]
        self.scalars[i] = dict(self.scalar_init)
        self.shared = False

    def reshare(self) -> None:
        """After loading: one shared scalar dict again if every parameter has the same state."""
        first = self.scalars[0] if self.scalars else None
        if first is not None and all(s == first for s in self.scalars):
            self.scalars = [first] * len(self.params)
            self.shared = True
