"""PyTorch's pooling options on top of the plain pool kernels of ``steepest.ops.pool``.

The kernels know one geometry (symmetric padding, floor rounding, padding counted in the
mean); everything else is done here with ops that already have rules, so the kernels stay as
they are:

* ``ceil_mode``: the extra last window is made by padding the bottom/right beforehand (-inf for
  max, 0 for average), as many elements as the window needs;
* ``count_include_pad=False`` / ``divisor_override`` / ceil_mode's short windows: the average
  is the window sum divided by a constant map of divisors, computed once from a ones-image;
* ``return_indices``: each window's first maximum, as a flat index into its input plane
  (PyTorch's convention), found on the raw arrays (indices carry no gradient);
* ``max_unpool2d``: the adjoint scatter, an ``index_add`` into a zero image.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops
from ..backend import array_module
from ..ops.conv import _pair
from ..tensor import Tensor
from ._pad import pad as _pad


def _out_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = d * (k - 1) + 1
    if ceil_mode:
        out = -(-(n + 2 * p - span) // s) + 1
        if (out - 1) * s >= n + p:  # the last window must start inside the input or left pad
            out -= 1
        return out
    return (n + 2 * p - span) // s + 1


def _geometry(op: str, x: Tensor, kernel_size, stride, padding, dilation, ceil_mode):
    k = _pair("kernel_size", op, kernel_size, 1)
    s = k if stride is None or stride == () else _pair("stride", op, stride, 1)
    p = _pair("padding", op, padding, 0)
    d = _pair("dilation", op, dilation, 1)
    h, w = x.shape[-2:]
    out = tuple(_out_size(n, k[i], s[i], p[i], d[i], ceil_mode) for i, n in enumerate((h, w)))
    # extra bottom/right elements the last window reads beyond the symmetric padding
    extra = tuple(
        max((out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (n + 2 * p[i]), 0)
        for i, n in enumerate((h, w))
    )
    return k, s, p, d, out, extra


def _batched(x: Any) -> tuple[Tensor, bool]:
    x = x if isinstance(x, Tensor) else Tensor(x)
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def max_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max pooling with PyTorch's options; with ``return_indices`` returns ``(out, indices)``,
    each index the flat position ``h * W + w`` of its window's first maximum in the input plane
    (what ``max_unpool2d`` takes). Tied maxima share the gradient (see ``st.max_pool2d``).

    >>> y, idx = F.max_pool2d(st.randn(1, 1, 5, 5), 2, ceil_mode=True, return_indices=True)
    >>> y.shape, idx.shape
    ((1, 1, 3, 3), (1, 1, 3, 3))
    """
    if not (ceil_mode or return_indices):  # the plain kernel: no extra work per call
        return ops.max_pool2d(input, kernel_size, stride, padding, dilation)
    x, unbatched = _batched(input)
    k, s, p, d, out, extra = _geometry("max_pool2d", x, kernel_size, stride, padding, dilation,
                                       ceil_mode)  # fmt: skip
    src = x
    if any(extra):
        src = _pad(x, (0, extra[1], 0, extra[0]), value=-math.inf)
    y = ops.max_pool2d(src, k, stride=s, padding=p, dilation=d)
    if not return_indices:
        return y.squeeze(0) if unbatched else y
    idx = _argmax_indices(x.data, k, s, p, d, out)
    indices = Tensor._from_op(idx, False)
    if unbatched:
        return y.squeeze(0), indices.squeeze(0)
    return y, indices


def _argmax_indices(x: Any, k, s, p, d, out) -> Any:
    """Flat index into (H, W) of the first maximum of every window (NaN wins, as PyTorch)."""
    xp = array_module(x)
    n, c, h, w = x.shape
    ho, wo = out
    hp = max((ho - 1) * s[0] + d[0] * (k[0] - 1) + 1, h + p[0])
    wp = max((wo - 1) * s[1] + d[1] * (k[1] - 1) + 1, w + p[1])
    padded = xp.full((n, c, hp, wp), -xp.inf, dtype=x.dtype)
    padded[:, :, p[0] : p[0] + h, p[1] : p[1] + w] = x
    best = xp.full((n, c, ho, wo), -xp.inf, dtype=x.dtype)
    index = xp.full((n, c, ho, wo), -1, dtype=xp.int64)
    rows = xp.arange(ho)[:, None] * s[0] - p[0]
    cols = xp.arange(wo)[None, :] * s[1] - p[1]
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * d[0], j * d[1]
            rs = slice(r0, r0 + s[0] * (ho - 1) + 1, s[0])
            v = padded[:, :, rs, c0 : c0 + s[1] * (wo - 1) + 1 : s[1]]
            take = (v > best) | (xp.isnan(v) & ~xp.isnan(best)) | (index < 0)
            best = xp.where(take, v, best)
            index = xp.where(take, (rows + r0) * w + (cols + c0), index)
    return index


def avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Average pooling with PyTorch's options. A window's divisor is ``divisor_override`` if
    given, else the number of its elements inside the input plus (``count_include_pad``) the
    zero padding; ceil_mode's extra elements never count.

    >>> F.avg_pool2d(st.ones(1, 1, 3, 3), 2, padding=1, count_include_pad=False)  # all ones
    """
    x, unbatched = _batched(input)
    if divisor_override is not None and (
        isinstance(divisor_override, bool) or not isinstance(divisor_override, int)
        or divisor_override <= 0
    ):  # fmt: skip
        raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got "
                         f"{divisor_override!r}")  # fmt: skip
    k, s, p, _, _, extra = _geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    plain = not any(extra) and (count_include_pad or p == (0, 0)) and divisor_override is None
    if plain:
        y = ops.avg_pool2d(x, k, stride=s, padding=p)
        return y.squeeze(0) if unbatched else y
    src = _pad(x, (0, extra[1], 0, extra[0])) if any(extra) else x
    sums = ops.avg_pool2d(src, k, stride=s, padding=p) * float(k[0] * k[1])
    if divisor_override is not None:
        y = sums * (1.0 / divisor_override)
    else:
        y = sums / Tensor(_divisors(x, k, s, p, extra, count_include_pad))
    return y.squeeze(0) if unbatched else y


def _divisors(x: Tensor, k, s, p, extra, count_include_pad: bool) -> Any:
    """(Ho, Wo) window sizes: ones over the input (and its padding if counted), summed."""
    h, w = x.shape[-2:]
    xp = array_module(x.data)
    inner = (h + 2 * p[0], w + 2 * p[1]) if count_include_pad else (h, w)
    ones = np.ones((1, 1, *inner), dtype=x.dtype)
    if not count_include_pad:
        ones = np.pad(ones, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    ones = np.pad(ones, [(0, 0), (0, 0), (0, extra[0]), (0, extra[1])])
    counts = ops.avg_pool2d(Tensor(ones), k, stride=s).numpy()[0, 0] * (k[0] * k[1])
    return xp.asarray(np.rint(counts).astype(x.dtype))


def max_unpool2d(
    input: Any,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The partial inverse of ``max_pool2d(..., return_indices=True)``: each value goes to its
    index in a zero image of size ``(H - 1) s - 2 p + k`` (or ``output_size``); the gradient
    gathers back from those positions.

    >>> y, idx = F.max_pool2d(x, 2, return_indices=True)
    >>> F.max_unpool2d(y, idx, 2).shape == x.shape
    """
    x, unbatched = _batched(input)
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if unbatched:
        idx = idx[None]
    if tuple(idx.shape) != x.shape:
        raise ValueError(f"max_unpool2d: indices {tuple(idx.shape)} must match input {x.shape}")
    k = _pair("kernel_size", "max_unpool2d", kernel_size, 1)
    s = k if stride is None else _pair("stride", "max_unpool2d", stride, 1)
    p = _pair("padding", "max_unpool2d", padding, 0)
    n, c, h, w = x.shape
    size = tuple((m - 1) * s[i] - 2 * p[i] + k[i] for i, m in enumerate((h, w)))
    if output_size is not None:
        size = tuple(output_size)[-2:]
    ho, wo = size
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= ho * wo):
        raise ValueError(
            f"max_unpool2d: indices must lie in [0, {ho * wo}) for output size {(ho, wo)}, got "
            f"[{int(idx.min())}, {int(idx.max())}]"
        )
    xp = array_module(x.data)
    where = (xp.arange(n)[:, None, None, None], xp.arange(c)[None, :, None, None], xp.asarray(idx))
    y = ops.index_add(x, where, (n, c, ho * wo)).reshape(n, c, ho, wo)
    return y.squeeze(0) if unbatched else y
