"""Dimension arguments, checked once: every op that takes ``dim`` normalizes it here.

PyTorch's rules, which these follow: a dim must lie in ``[-ndim, ndim - 1]`` or the op raises
IndexError (NumPy-style wrap-around would silently pick another axis); a 0-d tensor accepts
``0`` and ``-1`` as if it had one dimension; ``axis=``/``keepdims=`` are NumPy spellings of
``dim=``/``keepdim=`` and are accepted wherever PyTorch takes a dim.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def dim_range_error(op: str, dim: Any, ndim: int, extra: int = 0) -> IndexError:
    top = max(ndim + extra, 1)
    return IndexError(
        f"{op}: dimension out of range (expected to be in range of [{-top}, {top - 1}], "
        f"but got {dim})"
    )


def normalize_dim(dim: Any, ndim: int, op: str, extra: int = 0) -> int:
    """``dim`` as an index in ``[0, ndim + extra)``; ``extra=1`` for ops that insert a dim."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        try:
            dim = int(dim.__index__())
        except AttributeError:
            raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}") from None
    top = max(ndim + extra, 1)
    if not -top <= dim < top:
        raise dim_range_error(op, dim, ndim, extra)
    return dim % top


def normalize_dims(dims: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Sorted, distinct axes of an ``ndim``-D array; ``None`` means all of them.

    A 0-d tensor's dims 0 and -1 give ``()``: reducing a 0-d tensor over "its" dim is a no-op.
    """
    if dims is None:
        return tuple(range(ndim))
    items = (dims,) if isinstance(dims, int) or hasattr(dims, "__index__") else tuple(dims)
    axes = [normalize_dim(d, ndim, op) for d in items]
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {tuple(items)} names a dimension more than once")
    return tuple(sorted(a for a in axes if a < ndim))


def resolve(
    op: str, dim: Any, keepdim: Any, axis: Any = None, keepdims: Any = None
) -> tuple[Any, bool]:
    """Merge PyTorch's ``dim``/``keepdim`` with NumPy's ``axis``/``keepdims`` aliases."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; pass one")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def as_sizes(op: str, sizes: Sequence[Any]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both give ``(2, 3)``, as in PyTorch's varargs shapes."""
    if len(sizes) == 1 and not isinstance(sizes[0], int) and not hasattr(sizes[0], "__index__"):
        sizes = tuple(sizes[0])
    try:
        return tuple(int(s) for s in sizes)
    except TypeError:
        raise TypeError(f"{op}: sizes must be ints, got {sizes!r}") from None
