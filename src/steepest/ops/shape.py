"""Ops that move elements around without changing them: reshape, transpose, index, pad, join."""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, IndexedGrad, is_grad_enabled
from ..backend import array_module
from ..tensor import Tensor
from . import _im2col
from ._dims import as_sizes, normalize_dim, normalize_dims, resolve


class Reshape(Function):
    def forward(self, a, shape=()):
        if (type(a) is np.ndarray and a.ndim == 4 and not a.flags.c_contiguous
                and a.size > 1 << 15 and _im2col.batch_innermost_contiguous(a)):  # fmt: skip
            a = _im2col.c_order(a)  # a conv's output flattened: NumPy's own copy is 7x slower
        return a.reshape(shape)

    def backward(self, out, g):
        return reshape(g, self.parents[0].shape)


class Permute(Function):
    """Reorder the axes (NumPy's ``transpose(axes)``); the gradient applies the inverse order."""

    rule = "dx = g with the axes permuted back"

    def forward(self, a, axes=()):
        self.axes = axes
        return a.transpose(axes)

    def backward(self, out, g):
        inverse = tuple(int(i) for i in np.argsort(self.axes))
        return permute(g, inverse)


class Flip(Function):
    rule = "dx = g flipped back along the same dims"

    def forward(self, a, axes=()):
        self.axes = axes
        return array_module(a).flip(a, axes) if axes else a.copy()

    def backward(self, out, g):
        return flip(g, self.axes)


class Roll(Function):
    rule = "dx = g rolled back by the opposite shifts"

    def forward(self, a, shifts=(), axes=None):
        self.shifts, self.axes = shifts, axes
        return array_module(a).roll(a, shifts, axes)

    def backward(self, out, g):
        return Roll.apply(g, shifts=tuple(-s for s in self.shifts), axes=self.axes)


class Clone(Function):
    """A copy with its own memory; the gradient passes through unchanged."""

    rule = "d clone(x)/dx = 1: dx = g"

    def forward(self, a):
        return a.copy()

    def backward(self, out, g):
        return g


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
        r = a[index]
        if isinstance(r, np.generic):  # x[0, 1]: a 0-d view, not a copy, so x[0, 1].add_(1)
            return a[(*index, ...) if isinstance(index, tuple) else (index, ...)]  # changes x
        return r

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
def _tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(a)


def reshape(a: Any, *shape: Any) -> Tensor:
    """``a`` with a new shape (``-1`` once: inferred); ``reshape(x, 2, 3)`` or ``(x, (2, 3))``."""
    if len(shape) == 1:  # the common call, reshape(x, (2, 3)): no per-size conversion
        s = shape[0]
        shape = (s,) if isinstance(s, int) else tuple(s)
    return Reshape.apply(a, shape=shape)


view = reshape  # NumPy arrays have no strides contract to break: a view and a reshape agree


def permute(a: Any, *dims: Any) -> Tensor:
    """Reorder the dims: ``permute(x, 2, 0, 1)`` makes dim 2 first (NumPy's ``transpose(axes)``)."""
    a = _tensor(a)
    order = as_sizes("permute", dims)
    if len(order) != a.ndim:
        raise RuntimeError(
            f"permute: tensor of shape {a.shape} has {a.ndim} dims but got {len(order)}: {order}"
        )
    axes = tuple(normalize_dim(d, a.ndim, "permute") for d in order)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"permute: dims {order} repeat a dim")
    return Permute.apply(a, axes=axes)


def transpose(a: Any, dim0: int, dim1: int | None = None) -> Tensor:
    """Swap dims ``dim0`` and ``dim1`` (PyTorch's meaning; ``permute`` reorders all dims)."""
    a = _tensor(a)
    if not isinstance(dim0, int) or not isinstance(dim1, int):
        raise TypeError(
            f"transpose: takes two dims to swap, got {dim0!r} and {dim1!r}; "
            "to reorder all dims use permute"
        )
    if a.ndim == 0:  # PyTorch allows 0 and -1 on a 0-d tensor: nothing to swap
        normalize_dim(dim0, 0, "transpose"), normalize_dim(dim1, 0, "transpose")
        return a
    axes = list(range(a.ndim))
    i, j = normalize_dim(dim0, a.ndim, "transpose"), normalize_dim(dim1, a.ndim, "transpose")
    axes[i], axes[j] = axes[j], axes[i]
    return Permute.apply(a, axes=tuple(axes))


swapaxes = transpose


def t(a: Any) -> Tensor:
    """Transpose of a matrix (a 0-d or 1-D tensor is returned as is)."""
    a = _tensor(a)
    if a.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dims, got shape {a.shape}")
    return transpose(a, 0, 1) if a.ndim == 2 else a


def flip(a: Any, *dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims``."""
    a = _tensor(a)
    axes = tuple(normalize_dim(d, a.ndim, "flip") for d in as_sizes("flip", dims))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dims {dims} repeat a dim")
    return Flip.apply(a, axes=tuple(x for x in axes if x < a.ndim))


def roll(a: Any, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements circularly by ``shifts`` along ``dims`` (flattened when ``dims`` is None)."""
    a = _tensor(a)
    sh = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"roll: {len(sh)} shifts need as many dims, got dims=None")
        return reshape(Roll.apply(reshape(a, -1), shifts=sh, axes=None), a.shape)
    ds = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(ds) != len(sh):
        raise RuntimeError(f"roll: shifts {sh} and dims {ds} differ in length")
    axes = tuple(normalize_dim(d, a.ndim, "roll") for d in ds)
    if a.ndim == 0:
        return clone(a)
    return Roll.apply(a, shifts=sh, axes=axes)


def clone(a: Any) -> Tensor:
    """A copy of ``a`` that stays in the graph (the gradient flows back to ``a``)."""
    return Clone.apply(a)


def broadcast_to(a: Any, shape: Sequence[int]) -> Tensor:
    return BroadcastTo.apply(a, shape=tuple(shape))


def expand(a: Any, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes``; ``-1`` keeps a dim's size, new dims go in front (as PyTorch)."""
    a = _tensor(a)
    want = as_sizes("expand", sizes)
    lead = len(want) - a.ndim
    if lead < 0:
        raise RuntimeError(f"expand: {len(want)} sizes {want} for a tensor of shape {a.shape}")
    shape = tuple(a.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(want))
    if any(n < 0 for n in shape):
        raise RuntimeError(f"expand: -1 is only allowed for existing dims, got {want}")
    return broadcast_to(a, shape)


def repeat(a: Any, *repeats: Any) -> Tensor:
    """Tile ``a``: ``repeat(x, 2, 3)`` stacks 2 copies along dim -2 and 3 along dim -1."""
    a = _tensor(a)
    reps = as_sizes("repeat", repeats)
    if len(reps) < a.ndim:
        raise RuntimeError(
            f"repeat: {len(reps)} repeats {reps} for a tensor of shape {a.shape}; need >= {a.ndim}"
        )
    shape = (1,) * (len(reps) - a.ndim) + a.shape
    # interleave a size-1 dim before each dim, broadcast it to the repeat count, merge the pairs
    spread = reshape(a, tuple(x for n in shape for x in (1, n)))
    tiled = broadcast_to(spread, tuple(x for r, n in zip(reps, shape, strict=True) for x in (r, n)))
    return reshape(tiled, tuple(r * n for r, n in zip(reps, shape, strict=True)))


def cast(a: Any, dtype: Any) -> Tensor:
    """``a`` converted to ``dtype``; float results keep the gradient, others drop it."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    if dtype.kind != "f":
        return Tensor._from_op(a.data.astype(dtype), False)
    return Cast.apply(a, dtype=dtype)


def squeeze(a: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Drop size-1 dims: all of them, or those in ``dim`` (a dim of another size is kept)."""
    dim, _ = resolve("squeeze", dim, False, axis, None)
    a = _tensor(a)
    if dim is None:
        axes = {i for i, n in enumerate(a.shape) if n == 1}
    else:
        axes = {x for x in normalize_dims(dim, a.ndim, "squeeze") if a.shape[x] == 1}
    return reshape(a, tuple(n for i, n in enumerate(a.shape) if i not in axes))


def unsqueeze(a: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Insert a size-1 dim at ``dim`` (in ``[-ndim - 1, ndim]``)."""
    dim, _ = resolve("unsqueeze", dim, False, axis, None)
    if dim is None:
        raise TypeError("unsqueeze: missing the dim to insert")
    a = _tensor(a)
    d = normalize_dim(dim, a.ndim, "unsqueeze", extra=1)
    return reshape(a, a.shape[:d] + (1,) + a.shape[d:])


def flatten(
    a: Any, start_dim: int = 0, end_dim: int = -1, *, start_axis: Any = None, end_axis: Any = None
) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (``flatten(x, 1)`` keeps the batch dim)."""
    start_dim = start_dim if start_axis is None else start_axis
    end_dim = end_dim if end_axis is None else end_axis
    a = _tensor(a)
    s, e = normalize_dim(start_dim, a.ndim, "flatten"), normalize_dim(end_dim, a.ndim, "flatten")
    if a.ndim == 0:
        return reshape(a, (1,))
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(a, a.shape[:s] + (-1,) + a.shape[e + 1 :])


def _is_int(i: Any) -> bool:
    return isinstance(i, int | np.integer) and not isinstance(i, bool | np.bool_)


def _is_advanced(i: Any) -> bool:
    return not (_is_int(i) or isinstance(i, slice) or i is None or i is Ellipsis)


def _split_mixed(index: Any) -> tuple[Any, Any] | None:
    """PyTorch applies an int index as basic indexing; NumPy counts it as advanced, which moves
    the advanced dims to the front when an int and an array are separated by a slice. For an
    index with both, return (the ints and slices, the arrays applied to what is left)."""
    if not isinstance(index, tuple):
        return None
    ints = [_is_int(i) for i in index]
    if not any(ints) or not any(_is_advanced(i) for i in index):
        return None
    basic = tuple(slice(None) if _is_advanced(i) else i for i in index)
    rest = tuple(
        i if _is_advanced(i) or i is Ellipsis else slice(None)
        for i, is_int in zip(index, ints, strict=True)
        if not is_int
    )
    return basic, rest


def getitem(a: Any, index: Any) -> Tensor:
    """``a[index]`` with PyTorch's shape rules (ints are basic indexing, as in PyTorch)."""
    index = _plain_index(index)
    parts = _split_mixed(index)
    if parts is not None:
        return GetItem.apply(GetItem.apply(a, index=parts[0]), index=parts[1])
    return GetItem.apply(a, index=index)


def index_add(g: Any, index: Any, shape: Sequence[int]) -> Tensor:
    return IndexAdd.apply(g, index=_plain_index(index), shape=tuple(shape))


def concatenate(tensors: Sequence[Any], dim: int = 0, *, axis: Any = None) -> Tensor:
    """Join tensors along an existing ``dim``."""
    dim, _ = resolve("cat", dim if axis is None else None, False, axis, None)
    if len(tensors) == 0:
        raise ValueError("cat: needs at least one tensor")
    ts = [_tensor(x) for x in tensors]
    d = normalize_dim(dim, ts[0].ndim, "cat")
    return Concatenate.apply(*ts, axis=d)


cat = concatenate


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: Any = None) -> Tensor:
    """Join same-shaped tensors along a new ``dim``."""
    dim, _ = resolve("stack", dim if axis is None else None, False, axis, None)
    if len(tensors) == 0:
        raise ValueError("stack: needs at least one tensor")
    ts = [_tensor(t) for t in tensors]
    shapes = {t.shape for t in ts}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    d = normalize_dim(dim, ts[0].ndim, "stack", extra=1)
    return concatenate([unsqueeze(t, d) for t in ts], d)


def split(
    a: Any, split_size_or_sections: int | Sequence[int], dim: int = 0, *, axis: Any = None
) -> list[Tensor]:
    """PyTorch's split: an int is the size of each piece (the last may be smaller); a list gives
    every piece's size and must add up to the dim's size. ``chunk`` takes a number of pieces."""
    dim, _ = resolve("split", dim if axis is None else None, False, axis, None)
    a = _tensor(a)
    if a.ndim == 0:
        raise RuntimeError("split: a 0-d tensor has no dim to split")
    d = normalize_dim(dim, a.ndim, "split")
    n = a.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0 or (size == 0 and n > 0):
            raise RuntimeError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split: sizes {sizes} must be non-negative and add up to {n} (dim {dim} of shape "
                f"{a.shape})"
            )
    bounds = [0, *itertools.accumulate(sizes)]
    lead = (slice(None),) * d
    return [getitem(a, (*lead, slice(lo, hi))) for lo, hi in itertools.pairwise(bounds)]


def chunk(a: Any, chunks: int, dim: int = 0) -> list[Tensor]:
    """Split into ``chunks`` pieces of ``ceil(n / chunks)`` elements (fewer if they run out)."""
    a = _tensor(a)
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    if a.ndim == 0:
        raise RuntimeError("chunk: a 0-d tensor has no dim to split")
    n = a.shape[normalize_dim(dim, a.ndim, "chunk")]
    return split(a, -(-n // chunks) if n else 0, dim)


def pad(a: Any, pad_width: Sequence[tuple[int, int]] | int, value: float = 0.0) -> Tensor:
    """Constant padding; ``pad_width`` has one ``(before, after)`` pair per axis, as in NumPy."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    if isinstance(pad_width, int):
        pad_width = [(pad_width, pad_width)] * a.ndim
    widths = tuple((int(lo), int(hi)) for lo, hi in pad_width)
    if len(widths) != a.ndim or any(w < 0 for pair in widths for w in pair):
        raise ValueError(f"pad: need {a.ndim} non-negative (before, after) pairs, got {pad_width}")
    return Pad.apply(a, pad_width=widths, value=value)
