"""Ops that move elements around without changing them: reshape, transpose, index, pad, join."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, IndexedGrad, is_grad_enabled
from ..backend import array_module
from ..tensor import Tensor


class Reshape(Function):
    def forward(self, a, shape=()):
        return a.reshape(shape)

    def backward(self, out, g):
        return reshape(g, self.parents[0].shape)


class Transpose(Function):
    def forward(self, a, axes=None):
        self.axes = tuple(range(a.ndim))[::-1] if axes is None else tuple(axes)
        return a.transpose(self.axes)

    def backward(self, out, g):
        inverse = tuple(np.argsort(self.axes))
        return transpose(g, inverse)


class BroadcastTo(Function):
    def forward(self, a, shape=()):
        return array_module(a).broadcast_to(a, shape)

    def backward(self, out, g):
        return g  # the engine sums the broadcast dimensions away


class Cast(Function):
    def forward(self, a, dtype=None):
        return a.astype(dtype)

    def backward(self, out, g):
        return cast(g, self.parents[0].dtype)


class ToDevice(Function):
    def forward(self, a, device="cpu"):
        return backend.to_device(a, device)

    def backward(self, out, g):
        return g.to(self.parents[0].device)


def _plain_index(index: Any) -> Any:
    """Tensors inside an index become arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_basic(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis: a view, no element picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, int | slice) or i is None or i is Ellipsis for i in parts)


class GetItem(Function):
    """``a[index]``; the gradient is scattered back, summing where an index repeats."""

    def forward(self, a, index=None):
        self.index = index
        return a[index]

    def backward(self, out, g):
        if not is_grad_enabled():  # a plain backward: the engine scatters into one buffer
            return IndexedGrad(g.data, self.index)
        return index_add(g, self.index, self.parents[0].shape)


class IndexAdd(Function):
    """``zeros(shape)`` with ``g`` added at ``index`` (the adjoint of GetItem)."""

    def forward(self, g, index=None, shape=()):
        self.index = index
        xp = array_module(g)
        out = xp.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            out[index] = g
        else:
            xp.add.at(out, index, g)  # repeated indices must add up, not overwrite
        return out

    def backward(self, out, g):
        return getitem(g, self.index)


class Concatenate(Function):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return array_module(*arrays).concatenate(arrays, axis=axis)

    def backward(self, out, g):
        grads, start = [], 0
        axis = self.axis % g.ndim
        for n in self.sizes:
            grads.append(getitem(g, (slice(None),) * axis + (slice(start, start + n),)))
            start += n
        return tuple(grads)


class Pad(Function):
    def forward(self, a, pad_width=(), value=0.0):
        self.pad_width = pad_width
        if a.ndim == 0:  # nothing to pad (NumPy rejects an empty pad_width)
            return a.copy()
        return array_module(a).pad(a, pad_width, constant_values=value)

    def backward(self, out, g):
        inner = tuple(
            slice(lo, n - hi) for (lo, hi), n in zip(self.pad_width, g.shape, strict=True)
        )
        return getitem(g, inner)


# ----- public functions ----------------------------------------------------------------------
def reshape(a: Any, shape: Sequence[int] | int) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Reshape.apply(a, shape=shape)


def transpose(a: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Reverse the axes, or permute them as ``axes`` says."""
    return Transpose.apply(a, axes=None if axes is None else tuple(axes))


permute = transpose


def swapaxes(a: Any, axis1: int, axis2: int) -> Tensor:
    a = a if isinstance(a, Tensor) else Tensor(a)
    axes = list(range(a.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(a, axes)


def broadcast_to(a: Any, shape: Sequence[int]) -> Tensor:
    return BroadcastTo.apply(a, shape=tuple(shape))


def cast(a: Any, dtype: Any) -> Tensor:
    """``a`` converted to ``dtype``; float results keep the gradient, others drop it."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    if dtype.kind != "f":
        return Tensor._from_op(a.data.astype(dtype), False)
    return Cast.apply(a, dtype=dtype)


def squeeze(a: Any, axis: int | Sequence[int] | None = None) -> Tensor:
    a = a if isinstance(a, Tensor) else Tensor(a)
    if axis is None:
        axes = {i for i, n in enumerate(a.shape) if n == 1}
    else:
        axes = {x % a.ndim for x in ((axis,) if isinstance(axis, int) else axis)}
        for x in axes:
            if a.shape[x] != 1:
                raise ValueError(
                    f"squeeze: axis {x} of shape {a.shape} has size {a.shape[x]}, not 1"
                )
    return reshape(a, [n for i, n in enumerate(a.shape) if i not in axes])


def unsqueeze(a: Any, axis: int) -> Tensor:
    a = a if isinstance(a, Tensor) else Tensor(a)
    axis = axis % (a.ndim + 1)
    return reshape(a, a.shape[:axis] + (1,) + a.shape[axis:])


def flatten(a: Any, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge axes ``start_axis..end_axis`` into one (``flatten(x, 1)`` keeps the batch axis)."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    if a.ndim == 0:
        return reshape(a, (1,))
    s, e = start_axis % a.ndim, end_axis % a.ndim
    return reshape(a, a.shape[:s] + (-1,) + a.shape[e + 1 :])


def getitem(a: Any, index: Any) -> Tensor:
    return GetItem.apply(a, index=_plain_index(index))


def index_add(g: Any, index: Any, shape: Sequence[int]) -> Tensor:
    return IndexAdd.apply(g, index=_plain_index(index), shape=tuple(shape))


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    if len(tensors) == 0:
        raise ValueError("concatenate: needs at least one tensor")
    return Concatenate.apply(*tensors, axis=axis)


cat = concatenate


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    if len(tensors) == 0:
        raise ValueError("stack: needs at least one tensor")
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    shapes = {t.shape for t in ts}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return concatenate([unsqueeze(t, axis) for t in ts], axis=axis)


def split(a: Any, sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split into ``sections`` equal parts, or at the given indices (as ``np.split``)."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    n = a.shape[axis]
    if isinstance(sections, int):
        if sections <= 0 or n % sections:
            raise ValueError(
                f"split: axis {axis} of size {n} does not divide into {sections} parts"
            )
        bounds = list(range(0, n + 1, n // sections))
    else:
        bounds = [0, *sections, n]
    lead = (slice(None),) * (axis % a.ndim)
    return [getitem(a, (*lead, slice(lo, hi))) for lo, hi in itertools.pairwise(bounds)]


def pad(a: Any, pad_width: Sequence[tuple[int, int]] | int, value: float = 0.0) -> Tensor:
    """Constant padding; ``pad_width`` has one ``(before, after)`` pair per axis, as in NumPy."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    if isinstance(pad_width, int):
        pad_width = [(pad_width, pad_width)] * a.ndim
    widths = tuple((int(lo), int(hi)) for lo, hi in pad_width)
    if len(widths) != a.ndim or any(w < 0 for pair in widths for w in pair):
        raise ValueError(f"pad: need {a.ndim} non-negative (before, after) pairs, got {pad_width}")
    return Pad.apply(a, pad_width=widths, value=value)
