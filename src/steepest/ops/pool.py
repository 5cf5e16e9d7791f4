"""2-D pooling (NCHW, PyTorch semantics): max_pool2d, avg_pool2d, adaptive_avg_pool2d.

The window at output (h, w) reads x_pad[s_h h + d_h i, s_w w + d_w j] at kernel offset (i, j);
for each offset these reads form one strided view of the input, win_ij (N, C, Ho, Wo).
Every op here is a loop over the kh*kw offsets of elementwise work on those views: NumPy's own
reductions over small window axes run ~50x slower than this loop.

Two linear ops carry the derivative rules, each the adjoint of the other:

    window_gather(x)  = scale * sum_ij mask_ij * win_ij(x)        (N, C, H, W) -> (N, C, Ho, Wo)
    window_scatter(g) = sum_ij scatter_ij(mask_ij * scale * g)     (N, C, Ho, Wo) -> (N, C, H, W)

avg_pool2d is window_gather with scale 1/(kh kw) and no mask; max_pool2d's derivative is
window_scatter with mask_ij = [win_ij == max]. Ties: where several elements of a window equal
the max, they share its gradient equally (scale = 1 / their count), as st.max does; PyTorch
instead gives it all to the first one. Either is a valid subgradient.

>>> x = st.randn(8, 16, 28, 28)
>>> st.max_pool2d(x, 2).shape       # (8, 16, 14, 14)
>>> st.avg_pool2d(x, 3, stride=1, padding=1).shape  # (8, 16, 28, 28)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..backend import array_module
from ..tensor import Tensor
from . import fused, threads
from ._aligned import aligned_empty
from ._im2col import (
    ConvParams,
    Geometry,
    as_strided,
    batch_innermost,
    contiguous_planes,
    full_nchw,
)
from .conv import _check_window, _pair
from .linalg import matmul


# ----- raw-array helpers ----------------------------------------------------------------------
def _windows(xp: Any, x: Any, g: Geometry, writeable: bool = False) -> Any:
    """Offset-major window view (kh, kw, N, C, Ho, Wo) of x (N, C, Hp, Wp), x already padded."""
    sn, sc, sh, sw = x.strides
    (dh, dw), (st_h, st_w) = g.p.dilation, g.p.stride
    shape = (g.kh, g.kw, g.n, g.c, g.ho, g.wo)
    strides = (dh * sh, dw * sw, sn, sc, st_h * sh, st_w * sw)
    return as_strided(xp, x, shape, strides, writeable)


def _padded(xp: Any, x: Any, g: Geometry, pad_value: float) -> Any:
    top, bottom, left, right = g.p.padding
    if top == bottom == left == right == 0:
        return x
    out = full_nchw(xp, (g.n, g.c, g.hp, g.wp), pad_value, x.dtype, batch_innermost(x))
    out[:, :, top : top + g.h, left : left + g.w] = x
    return out


def _overlapping(g: Geometry) -> bool:
    """Do two windows share an input element (so scattered gradients must add up)?"""
    span_h = g.p.dilation[0] * (g.kh - 1) + 1
    span_w = g.p.dilation[1] * (g.kw - 1) + 1
    dilated = g.p.dilation != (1, 1)
    return dilated or g.p.stride[0] < span_h or g.p.stride[1] < span_w


def _is_number(a: Any) -> bool:
    return isinstance(a, int | float)


def _masks(xp: Any, g: Geometry, like: Any) -> Any:
    """Uninitialised booleans (kh, kw, N, C, Ho, Wo), each offset's slab in ``like``'s layout."""
    if not batch_innermost(like):
        return xp.empty((g.kh, g.kw, *like.shape), dtype=bool)
    masks = xp.empty((g.kh, g.kw, g.c, g.ho, g.wo, g.n), dtype=bool)
    return masks.transpose(0, 1, 5, 2, 3, 4)


def _offsets(g: Geometry) -> list[tuple[int, int]]:
    return [(i, j) for i in range(g.kh) for j in range(g.kw)]


def _part(a: Any, c: slice) -> Any:
    """The channels ``c`` of a per-element factor (N, C, Ho, Wo); a scalar, or a factor
    broadcast along the channels, as it is."""
    return a if _is_number(a) or a.ndim < 3 or a.shape[-3] == 1 else a[..., c, :, :]


def _by_channels(xp: Any, g: Geometry, work: Any) -> None:
    """Call ``work(channels)`` over slices of the channel axis that together cover it, on
    threads' pool when the arrays are large NumPy ones (channels are disjoint in every
    layout here, so blocks never write to one element)."""
    pieces = threads.parts(g.n * g.c * g.ho * g.wo, g.c) if xp is np else 1
    threads.run([lambda r=r: work(slice(*r)) for r in threads.ranges(g.c, pieces)])


class WindowGather(Function):
    """y = scale * sum_ij mask_ij * win_ij(x); the adjoint of WindowScatter."""

    def forward(self, x, geometry=None, scale=1.0, mask=None):
        self.geometry, self.scale, self.mask = geometry, scale, mask
        self.innermost = batch_innermost(x)
        xp = array_module(x)
        win = _windows(xp, _padded(xp, x, geometry, 0.0), geometry)
        out = xp.empty_like(win[0, 0])  # keeps the input's memory order
        scaled = not (_is_number(scale) and scale == 1.0)

        def work(c: slice) -> None:
            o = out[:, c]
            for k, (i, j) in enumerate(_offsets(geometry)):
                w_ij = win[i, j, :, c]
                if k == 0:
                    o[...] = w_ij if mask is None else mask[i, j, :, c] * w_ij
                elif mask is None:
                    o += w_ij
                else:
                    o += mask[i, j, :, c] * w_ij
            if scaled:  # a Python float keeps the array's dtype
                o *= _part(scale, c)

        _by_channels(xp, geometry, work)
        return out

    def backward(self, out, grad):
        return window_scatter(grad, self.geometry, self.scale, self.mask, self.innermost)


class WindowScatter(Function):
    """dx = sum_ij scatter_ij(mask_ij * scale * g); the adjoint of WindowGather."""

    def forward(self, grad, geometry=None, scale=1.0, mask=None, innermost=None):
        self.geometry, self.scale, self.mask = geometry, scale, mask
        g = geometry
        xp = array_module(grad)
        # dx laid out as the pooled input was (default: as grad is), so that the ops before
        # the pool (a ReLU, a conv's backward) see their own layout again; scaled too, since
        # elementwise ops between arrays of different layouts run several times slower
        innermost = batch_innermost(grad) if innermost is None else innermost
        scaled = full_nchw(xp, grad.shape, 0, grad.dtype, innermost)
        dx = full_nchw(xp, (g.n, g.c, g.hp, g.wp), 0, grad.dtype, innermost)
        win = _windows(xp, dx, g, writeable=True)
        overlapping = _overlapping(g)

        def work(c: slice) -> None:
            sc = scaled[:, c]
            xp.multiply(grad[:, c], _part(scale, c), out=sc)
            for i, j in _offsets(g):
                w_ij = win[i, j, :, c]
                if mask is None:
                    term = sc
                elif overlapping:
                    term = mask[i, j, :, c] * sc
                else:  # disjoint windows: write straight into dx, no temporary
                    xp.multiply(mask[i, j, :, c], sc, out=w_ij)
                    continue
                if overlapping:
                    w_ij += term
                else:
                    w_ij[...] = term

        _by_channels(xp, g, work)
        top, _, left, _ = g.p.padding
        return dx[:, :, top : top + g.h, left : left + g.w]

    def backward(self, out, grad):
        return window_gather(grad, self.geometry, self.scale, self.mask)


class MaxPool2d(Function):
    """y = max_ij win_ij(x) (padding counts as -inf); the rule scatters g to the maxima."""

    def forward(self, x, geometry=None):
        self.geometry = geometry
        self.innermost = batch_innermost(x)
        xp = array_module(x)
        padded = _padded(xp, x, geometry, -np.inf)
        self.padded = padded if padded is not x and is_grad_enabled() else None  # for backward
        g = geometry
        if _compiled("maxpool_forward", padded) is not None:
            y = aligned_empty(np, (g.c, g.ho, g.wo, g.n), x.dtype).transpose(3, 0, 1, 2)
            run = _compiled("maxpool_forward", padded, y)
            geo = _strides_in_elements(g, padded, y)
            ptrs = [fused.pointer(a) for a in (padded, y)]
            _by_channels(np, g, lambda c: run(*ptrs, geo.ctypes.data, c.start, c.stop))
            return y
        win = _windows(xp, padded, geometry)
        out = xp.empty_like(win[0, 0])  # keeps the input's memory order

        def work(c: slice) -> None:
            o = out[:, c]
            o[...] = win[0, 0, :, c]
            for i, j in _offsets(geometry)[1:]:
                xp.maximum(o, win[i, j, :, c], out=o)

        _by_channels(xp, geometry, work)
        return out

    def backward(self, out, grad):
        g = self.geometry
        x = self.parents[0].data
        xp = array_module(x)
        padded = _padded(xp, x, g, -np.inf) if self.padded is None else self.padded
        # the loops take one dtype (the engine already casts grad to the output's)
        if grad.dtype == x.dtype and _compiled("maxpool_backward", padded, out.data) is not None:
            return MaxPoolScatter.apply(grad, geometry=g, padded=padded, y=out.data)
        scale, mask = _max_masks(xp, g, padded, out.data)
        return window_scatter(grad, g, scale, mask, self.innermost)


class MaxPoolScatter(Function):
    """dx of max pooling in one compiled pass (pool.c): window_scatter of grad to the maxima,
    the masks never built. Its rule builds them, for second derivatives."""

    def forward(self, grad, geometry=None, padded=None, y=None):
        self.geometry, self.padded, self.y = geometry, padded, y
        g = geometry
        if not batch_innermost(grad):  # the loops read every array with N contiguous
            grad = contiguous_planes(np, grad.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        # windows that tile the input (stride = kernel, no dilation) write each element of dx
        # once: only the rows and columns past the last window need zeros first
        tile = g.p.stride == (g.kh, g.kw) and g.p.dilation == (1, 1)
        dx = aligned_empty(np, (g.c, g.hp, g.wp, g.n), grad.dtype, zero=not tile)
        if tile:
            dx[:, g.ho * g.kh :] = 0
            dx[:, :, g.wo * g.kw :] = 0
        dx = dx.transpose(3, 0, 1, 2)
        run = _compiled("maxpool_backward", padded, y, grad, dx)
        geo = _strides_in_elements(g, padded, y, grad, dx)
        ptrs = [fused.pointer(a) for a in (padded, y, grad, dx)]
        _by_channels(np, g, lambda c: run(*ptrs, geo.ctypes.data, c.start, c.stop, tile))
        top, _, left, _ = g.p.padding
        return dx[:, :, top : top + g.h, left : left + g.w]

    def backward(self, out, grad):
        scale, mask = _max_masks(np, self.geometry, self.padded, self.y)
        return window_gather(grad, self.geometry, scale, mask)


def _max_masks(xp: Any, g: Geometry, padded: Any, y: Any) -> tuple[Any, Any]:
    """Where each window offset holds its window's max (mask), and 1 / the number of such
    offsets (scale): max pooling's derivative as window_scatter's factors."""
    win = _windows(xp, padded, g)
    # masks and counts as uint8: arithmetic between bool and float arrays goes through
    # NumPy's slow casting loops; uint8 views of the same bytes are 20% faster overall
    mask = _masks(xp, g, y).view(xp.uint8)
    count = xp.zeros_like(y, dtype=xp.uint8 if g.kh * g.kw < 256 else xp.int32)
    scale = xp.empty_like(y, dtype=padded.dtype)

    def work(c: slice) -> None:
        cnt, yc = count[:, c], y[:, c]
        for i, j in _offsets(g):
            xp.equal(win[i, j, :, c], yc, out=mask[i, j, :, c].view(bool))
            cnt += mask[i, j, :, c]
        xp.maximum(cnt, 1, out=cnt)  # an all-NaN window has no max: it gets no gradient
        xp.divide(1.0, cnt, out=scale[:, c])

    _by_channels(xp, g, work)
    return scale, mask


def _compiled(name: str, *arrays: Any) -> Any:
    """pool.c's loop ``name`` when every array is a batch-innermost NumPy array, else None."""
    if not all(type(a) is np.ndarray and batch_innermost(a) for a in arrays):
        return None
    return fused.get(name, *arrays)


def _strides_in_elements(g: Geometry, *arrays: Any) -> Any:
    """pool.c's geometry (enum G): sizes, then each array's C, H, W strides in elements."""
    (sh, sw), (dh, dw) = g.p.stride, g.p.dilation
    strides = [s // a.itemsize for a in arrays for s in a.strides[1:]]
    return np.array([g.kh, g.kw, g.ho, g.wo, g.n, sh, sw, dh, dw, *strides], np.intp)


def window_gather(x: Any, geometry: Geometry, scale: Any = 1.0, mask: Any = None) -> Tensor:
    return WindowGather.apply(x, geometry=geometry, scale=scale, mask=mask)


def window_scatter(
    grad: Any, geometry: Geometry, scale: Any = 1.0, mask: Any = None, innermost: Any = None
) -> Tensor:
    return WindowScatter.apply(grad, geometry=geometry, scale=scale, mask=mask, innermost=innermost)


# ----- argument handling ---------------------------------------------------------------------
def _pool_geometry(
    op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1
) -> Geometry:
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a float tensor, got {x.dtype}")
    k = _pair("kernel_size", op, kernel_size, 1)
    s = k if stride is None else _pair("stride", op, stride, 1)
    p = _pair("padding", op, padding, 0)
    d = _pair("dilation", op, dilation, 1)
    for name, pad, kk, dd in (("height", p[0], k[0], d[0]), ("width", p[1], k[1], d[1])):
        if 2 * pad > dd * (kk - 1) + 1:
            raise ValueError(
                f"{op}: padding {pad} must be at most half the kernel {name} {kk} (dilation {dd}), "
                f"so that every window holds an input element"
            )
    params = ConvParams(s, (p[0], p[0], p[1], p[1]), d, 1)
    _check_window(op, x.shape, k, params, what="kernel_size")
    n, c, h, w = x.shape
    return Geometry(n, c, h, w, k[0], k[1], params)


def _batched(x: Any) -> tuple[Tensor, bool]:
    x = x if isinstance(x, Tensor) else Tensor(x)
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


# ----- public functions ----------------------------------------------------------------------
def max_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> Tensor:
    """Max over each kh x kw window (stride defaults to kernel_size; padding counts as -inf and
    is at most half the kernel). Tied maxima share the gradient equally (PyTorch: the first).

    >>> x = st.randn(2, 3, 8, 8, requires_grad=True)
    >>> y = st.max_pool2d(x, 2)               # (2, 3, 4, 4)
    >>> y.sum().backward()                    # x.grad is 1 at each window's max, else 0
    """
    x, unbatched = _batched(x)
    g = _pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation)
    y = MaxPool2d.apply(x, geometry=g)
    return y.squeeze(0) if unbatched else y


def avg_pool2d(
    x: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """Mean over each kh x kw window; zero padding counts in the mean (count_include_pad=True,
    PyTorch's default), so every window divides by kh kw.

    >>> st.avg_pool2d(st.ones(1, 1, 4, 4), 2)  # all ones, shape (1, 1, 2, 2)
    """
    x, unbatched = _batched(x)
    g = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding)
    y = window_gather(x, g, scale=1.0 / (g.kh * g.kw))
    return y.squeeze(0) if unbatched else y


def _adaptive_matrix(size_in: int, size_out: int, dtype: Any) -> np.ndarray:
    """(size_out, size_in) averaging matrix; window i is [floor(i n/m), ceil((i+1) n/m))."""
    a = np.zeros((size_out, size_in), dtype=dtype)
    for i in range(size_out):
        start, end = (i * size_in) // size_out, -((-(i + 1) * size_in) // size_out)
        a[i, start:end] = 1.0 / (end - start)
    return a


def adaptive_avg_pool2d(x: Any, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """Average pooling to a fixed output size (Ho, Wo), whatever the input size (PyTorch's
    windows: [floor(i H/Ho), ceil((i+1) H/Ho)), possibly overlapping). None keeps that size.

        y = A_h x A_w^T   with A_h (Ho, H), A_w (Wo, W) the averaging matrices

    >>> st.adaptive_avg_pool2d(st.randn(2, 8, 7, 7), 1).shape  # global average: (2, 8, 1, 1)
    """
    x, unbatched = _batched(x)
    op = "adaptive_avg_pool2d"
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a float tensor, got {x.dtype}")
    single = isinstance(output_size, int) or output_size is None
    sizes = (output_size, output_size) if single else tuple(output_size)
    if len(sizes) != 2 or not all(s is None or (isinstance(s, int) and s >= 1) for s in sizes):
        raise ValueError(
            f"{op}: output_size must be a positive int or a pair (None keeps that size), "
            f"got {output_size!r}"
        )
    h, w = x.shape[2:]
    ho, wo = (h if sizes[0] is None else sizes[0]), (w if sizes[1] is None else sizes[1])
    if h == 0 or w == 0:
        raise ValueError(f"{op}: input {x.shape} has an empty spatial dimension")
    if h % ho == 0 and w % wo == 0:  # equal windows: plain average pooling, no GEMM
        y = avg_pool2d(x, (h // ho, w // wo))
    else:
        a_h = Tensor(_adaptive_matrix(h, ho, x.dtype))
        a_wt = Tensor(np.ascontiguousarray(_adaptive_matrix(w, wo, x.dtype).T))
        if not isinstance(x.data, np.ndarray):  # keep the matrices on the tensor's device
            a_h, a_wt = a_h.to(x.device), a_wt.to(x.device)
        y = matmul(a_h, matmul(x, a_wt))
    return y.squeeze(0) if unbatched else y
