"""Ops that return ``(values, indices)``: ``max``/``min`` over a dim, ``sort``, ``topk``.

Each finds its indices without a gradient, then takes the values with ``gather``, whose rule
sends each gradient to exactly the element that was picked (as PyTorch does for these ops).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from ..backend import array_module
from ..tensor import Tensor
from ._dims import normalize_dim, resolve
from .elementwise import maximum, minimum
from .gather import gather
from .reduce import amax, amin, argmax, argmin
from .shape import reshape

# Named like PyTorch's torch.return_types: ``out.values``, ``out.indices``, or unpack the pair.
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


def _tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(a)


def _extreme(name: str, a: Any, dim: Any, keepdim: bool, axis: Any, keepdims: Any) -> Any:
    full, pair, arg, result = (
        (amax, maximum, argmax, MaxResult) if name == "max" else (amin, minimum, argmin, MinResult)
    )
    if isinstance(dim, Tensor):  # torch.max(a, b): the elementwise maximum
        return pair(a, dim)
    if axis is not None:  # NumPy's spelling keeps NumPy's meaning: the values alone
        return full(a, axis, keepdim if keepdims is None else keepdims)
    dim, keepdim = resolve(name, dim, keepdim, None, keepdims)
    if dim is None:
        return full(a)
    a = _tensor(a)
    d = normalize_dim(dim, a.ndim, name)
    idx = arg(a, d, keepdim=True)
    values = gather(a, d, idx)
    if not keepdim and a.ndim:
        values, idx = reshape(values, values.shape[:d] + values.shape[d + 1 :]), idx.squeeze(d)
    return result(values, idx)


def max(
    a: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
) -> Any:
    """PyTorch's three forms: ``max(x)`` the largest value (ties share the gradient equally);
    ``max(x, dim)`` a ``(values, indices)`` named tuple (the gradient goes to the picked index);
    ``max(x, y)`` the elementwise maximum. ``max(x, axis=...)`` gives the values, as NumPy.

    >>> values, indices = st.tensor([[1., 5.], [7., 2.]]).max(dim=1)  # [5., 7.], [1, 0]
    """
    return _extreme("max", a, dim, keepdim, axis, keepdims)


def min(
    a: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None
) -> Any:
    """The smallest value, ``(values, indices)`` over ``dim``, or the elementwise minimum; see
    ``max``."""
    return _extreme("min", a, dim, keepdim, axis, keepdims)


def _order(x: Any, d: int, descending: bool, stable: bool) -> Any:
    xp = array_module(x)
    if descending:  # argsort of -x keeps equal elements in their original order, as stable asks
        key = -x if x.dtype.kind in "fi" else ~x if x.dtype.kind == "b" else -x.astype(xp.int64)
        return xp.argsort(key, axis=d, kind="stable")
    return xp.argsort(x, axis=d, kind="stable" if stable else "quicksort")


def sort(a: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
    """Sorted values and the indices they came from, along ``dim``.

    Equal elements keep their original order (a stable sort is used whenever it matters).
    """
    a = _tensor(a)
    d = normalize_dim(dim, a.ndim, "sort")
    if a.ndim == 0:
        zero = array_module(a.data).zeros((), dtype="int64")
        return SortResult(gather(a, 0, zero), Tensor._from_op(zero, False))
    idx = _order(a.data, d, descending, True)
    return SortResult(gather(a, d, idx), Tensor._from_op(idx.astype("int64", copy=False), False))


def argsort(a: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``a`` along ``dim`` (no gradient)."""
    return sort(a, dim, descending, stable).indices


def topk(a: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopkResult:
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, largest first."""
    a = _tensor(a)
    d = normalize_dim(dim, a.ndim, "topk")
    n = a.shape[d] if a.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k={k} is out of range for dim {dim} of shape {a.shape}")
    if a.ndim == 0:
        if k == 0:
            raise RuntimeError("topk: k=0 of a 0-d tensor is not supported")
        return TopkResult(*sort(a))
    idx = _order(a.data, d, largest, True)
    idx = idx[(slice(None),) * d + (slice(0, k),)]
    return TopkResult(gather(a, d, idx), Tensor._from_op(idx.astype("int64", copy=False), False))
