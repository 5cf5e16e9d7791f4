"""``gather`` and ``scatter_add`` along a dim: each is the other's adjoint, and so its rule.

``gather(x, dim, index)[i][j] = x[index[i][j]][j]`` for dim 0 (and likewise for other dims);
``index`` may be smaller than ``x`` in every dim but ``dim``, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from ._dims import normalize_dim
from .shape import getitem


def _coordinates(index: Any, axis: int) -> tuple[Any, ...]:
    """A full NumPy index that picks ``index`` along ``axis`` and the same position elsewhere."""
    xp = array_module(index)
    n = index.ndim  # np.indices(shape, sparse=True) by hand: CuPy's indices has no sparse=
    grids = [xp.arange(k).reshape((1,) * i + (k,) + (1,) * (n - i - 1))
             for i, k in enumerate(index.shape)]
    grids[axis] = index
    return tuple(grids)


def _check_index(op: str, index: Any, shape: tuple[int, ...], axis: int) -> None:
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got {index.dtype}")
    if index.ndim != len(shape) and not (index.ndim == 0 and len(shape) == 0):
        raise RuntimeError(
            f"{op}: index of shape {index.shape} needs as many dims as the input {shape}"
        )
    for d, (m, n) in enumerate(zip(index.shape, shape, strict=True)):
        if d != axis and m > n:
            raise RuntimeError(
                f"{op}: index shape {index.shape} exceeds the input shape {shape} in dim {d}"
            )
    n = shape[axis] if shape else 1
    if index.size and (int(index.min()) < 0 or int(index.max()) >= n):
        raise IndexError(
            f"{op}: index values must be in [0, {n - 1}] for dim {axis} of shape {shape}, got "
            f"[{int(index.min())}, {int(index.max())}]"
        )


class Gather(Function):
    rule = "dx = zeros with g added at the gathered positions"

    def forward(self, a, index=None, axis=0):
        self.index, self.axis = index, axis
        if a.ndim == 0:
            return a.copy()
        return a[_coordinates(index, axis)]

    def backward(self, out, g):
        x = self.parents[0]
        zeros = Tensor._from_op(array_module(g.data).zeros(x.shape, g.dtype), False)
        return scatter_add(zeros, self.axis, self.index, g)


class ScatterAdd(Function):
    """``a`` plus ``src`` added at ``index`` along ``axis`` (``src`` has ``index``'s shape)."""

    rule = "dx = g; dsrc = g read back at the scattered positions"

    def forward(self, a, src, index=None, axis=0):
        self.index, self.axis = index, axis
        out = a.copy()
        if a.ndim == 0:
            return out + src
        array_module(a).add.at(out, _coordinates(index, axis), src)  # repeats add up
        return out

    def backward(self, out, g):
        return g, gather(g, self.axis, self.index)


def _index_array(index: Any) -> Any:
    return index.data if isinstance(index, Tensor) else array_module(index).asarray(index)


def gather(a: Any, dim: int, index: Any) -> Tensor:
    """Values of ``a`` picked along ``dim`` by ``index`` (output has ``index``'s shape).

    >>> st.gather(st.tensor([[1., 2.], [3., 4.]]), 1, st.tensor([[1], [0]]))  # [[2.], [3.]]
    """
    a = a if isinstance(a, Tensor) else Tensor(a)
    idx = _index_array(index)
    axis = normalize_dim(dim, a.ndim, "gather")
    _check_index("gather", idx, a.shape, min(axis, max(a.ndim - 1, 0)))
    return Gather.apply(a, index=idx, axis=axis)


def scatter_add(a: Any, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of ``a`` with ``src[i][j]`` added at ``[index[i][j]][j]`` (dim 0; likewise others).

    Repeated indices add up. Only the leading ``index.shape`` block of ``src`` is used.
    """
    a = a if isinstance(a, Tensor) else Tensor(a)
    src = src if isinstance(src, Tensor) else Tensor(src, dtype=a.dtype)
    idx = _index_array(index)
    axis = normalize_dim(dim, a.ndim, "scatter_add")
    _check_index("scatter_add", idx, a.shape, min(axis, max(a.ndim - 1, 0)))
    if src.ndim != idx.ndim or any(s < m for s, m in zip(src.shape, idx.shape, strict=True)):
        raise RuntimeError(
            f"scatter_add: src of shape {src.shape} must be at least index's shape {idx.shape}"
        )
    if src.shape != idx.shape:
        src = getitem(src, tuple(slice(0, m) for m in idx.shape))
    return ScatterAdd.apply(a, src, index=idx, axis=axis)
