"""Raw-array kernels behind conv2d: geometry, im2col / col2im as strided views, a scratch buffer.

Layout. Internally images are kept "channels first, batch second": planes (C, N, H, W), each
(H, W) plane contiguous. Then

* the weight (C_out, C_in/groups, kh, kw) is already the GEMM matrix (groups, C_out/groups, K)
  with K = (C_in/groups) kh kw, free of copies;
* im2col is a copy of one strided view, cols (C, kh, kw, N, R) = (groups, K, N R), and the
  forward is one GEMM per group, (C_out/g, K) @ (K, N R), whose result (C_out, N, R) is again
  channels first: the next conv reads it without a transpose;
* col2im (the input gradient) adds kh*kw contiguous slabs into strided slices, never np.add.at.

Stride 1 (the common case) uses "full rows": the output is computed at every column of the
padded width Wp, not just the Wo valid ones, so that a window offset's input is ONE contiguous
run of memory per plane (R = (Ho-1) Wp + Wo) instead of Ho runs of Wo elements; the copy then
runs at memcpy speed. The Wp - Wo extra columns per row are dropped after the GEMM (forward)
or fed zeros (backward).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ConvParams:
    """Hyperparameters of a 2-D convolution; padding is (top, bottom, left, right)."""

    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1


@dataclass(frozen=True)
class Geometry:
    """Every size of one convolution, derived from the input, the kernel and ConvParams."""

    n: int
    c: int
    h: int
    w: int
    kh: int
    kw: int
    p: ConvParams

    @property
    def hp(self) -> int:
        return self.h + self.p.padding[0] + self.p.padding[1]

    @property
    def wp(self) -> int:
        return self.w + self.p.padding[2] + self.p.padding[3]

    @property
    def ho(self) -> int:
        return (self.hp - self.p.dilation[0] * (self.kh - 1) - 1) // self.p.stride[0] + 1

    @property
    def wo(self) -> int:
        return (self.wp - self.p.dilation[1] * (self.kw - 1) - 1) // self.p.stride[1] + 1

    @property
    def full_rows(self) -> bool:
        """Stride 1: each window offset reads one contiguous run per plane (see module doc)."""
        return self.p.stride == (1, 1)

    @property
    def run(self) -> int:
        """Columns of the GEMM per image: the output grid, with garbage columns if full_rows."""
        return (self.ho - 1) * self.wp + self.wo if self.full_rows else self.ho * self.wo


def as_strided(xp: Any, a: Any, shape: tuple, strides: tuple, writeable: bool) -> Any:
    return xp.lib.stride_tricks.as_strided(a, shape, strides, writeable=writeable)


# ----- scratch buffer ------------------------------------------------------------------------
_scratch = threading.local()


def workspace(xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialised array that is reused from call to call (one per thread, NumPy only).

    im2col writes 10-50 MB per call; a fresh allocation that large is handed back to the OS on
    free, and faulting its pages in again costs more than the copy itself. The result must
    never leave the op that asked for it: the next call overwrites it.
    """
    dtype = np.dtype(dtype)
    if xp is not np:
        return xp.empty(shape, dtype)  # CuPy's memory pool already reuses blocks
    nbytes = int(np.prod(shape)) * dtype.itemsize
    buf = getattr(_scratch, "buf", None)
    if buf is None or buf.nbytes < nbytes:
        _scratch.buf = buf = np.empty(max(nbytes, 1), np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def clear_workspace() -> None:
    """Free this thread's scratch buffer (it is re-allocated on the next convolution)."""
    _scratch.buf = None


# ----- layout conversions --------------------------------------------------------------------
def to_planes(xp: Any, x: Any, g: Geometry) -> Any:
    """Input (N, C, H, W) as padded planes (C, N, Hp, Wp), each plane contiguous.

    No copy when there is no padding and the planes are already contiguous (an NCHW array, or
    the channels-first output of a previous convolution).
    """
    planes = x.transpose(1, 0, 2, 3)
    top, bottom, left, right = g.p.padding
    if top == bottom == left == right == 0:
        s = planes.strides
        if s[3] == planes.itemsize and s[2] == planes.shape[3] * planes.itemsize:
            return planes
        return xp.ascontiguousarray(planes)
    out = xp.zeros((g.c, g.n, g.hp, g.wp), x.dtype)
    out[:, :, top : top + g.h, left : left + g.w] = planes
    return out


def image_view(xp: Any, y: Any, g: Geometry, writeable: bool = False) -> Any:
    """GEMM columns (C', N R) seen as images (C', N, Ho, Wo), skipping full-rows garbage."""
    if not g.full_rows:
        return y.reshape(y.shape[0], g.n, g.ho, g.wo)
    it = y.itemsize
    strides = (g.n * g.run * it, g.run * it, g.wp * it, it)
    return as_strided(xp, y, (y.shape[0], g.n, g.ho, g.wo), strides, writeable)


def grad_columns(xp: Any, grad: Any, g: Geometry) -> Any:
    """An output gradient (N, C', Ho, Wo) as GEMM columns (C', N R); garbage columns get 0."""
    planes = grad.transpose(1, 0, 2, 3)
    if not g.full_rows:
        return xp.ascontiguousarray(planes).reshape(planes.shape[0], g.n * g.run)
    cols = xp.zeros((planes.shape[0], g.n * g.run), grad.dtype)
    image_view(xp, cols, g, writeable=True)[...] = planes
    return cols


def window_view(xp: Any, planes: Any, g: Geometry, writeable: bool = False) -> Any:
    """All kh*kw shifted windows of planes (C, N, Hp, Wp) as a view (C, kh, kw, N, R...).

    full_rows: (C, kh, kw, N, R), the window at (i, j) starting at flat offset i dh Wp + j dw of
    each plane; otherwise (C, kh, kw, N, Ho, Wo) with the strides of the strided output grid.
    """
    sc, sn, sh, sw = planes.strides
    (dh, dw), (st_h, st_w) = g.p.dilation, g.p.stride
    if g.full_rows:
        shape = (g.c, g.kh, g.kw, g.n, g.run)
        strides = (sc, dh * sh, dw * sw, sn, sw)
    else:
        shape = (g.c, g.kh, g.kw, g.n, g.ho, g.wo)
        strides = (sc, dh * sh, dw * sw, sn, st_h * sh, st_w * sw)
    return as_strided(xp, planes, shape, strides, writeable)


# ----- the three kernels -----------------------------------------------------------------------
def im2col(xp: Any, x: Any, g: Geometry) -> Any:
    """Columns (groups, K, N R) of input x (N, C, H, W), in the reused workspace."""
    view = window_view(xp, to_planes(xp, x, g), g)
    cols = workspace(xp, view.shape, x.dtype)
    cols[...] = view  # the one copy: every window element, in the order the GEMM reads it
    return cols.reshape(g.p.groups, g.c // g.p.groups * g.kh * g.kw, g.n * g.run)


def forward(xp: Any, x: Any, weight: Any, bias: Any, g: Geometry) -> Any:
    """y = conv2d(x, weight) + bias, (N, C_out, Ho, Wo), returned channels first in memory."""
    cols = im2col(xp, x, g)
    c_out = weight.shape[0]
    w = weight.reshape(g.p.groups, c_out // g.p.groups, -1)
    y = xp.matmul(w, cols).reshape(c_out, g.n * g.run)
    img = image_view(xp, y, g)
    if bias is not None:
        img = img + bias.reshape(-1, 1, 1, 1)  # also compacts full-rows output
    elif g.full_rows:
        img = xp.ascontiguousarray(img)
    return img.transpose(1, 0, 2, 3)


def weight_grad(xp: Any, x: Any, grad: Any, g: Geometry) -> Any:
    """dL/dweight (C_out, C_in/groups, kh, kw) = grad (C_out, N R) @ cols^T, per group."""
    cols = im2col(xp, x, g)
    c_out = grad.shape[1]
    gc = grad_columns(xp, grad, g).reshape(g.p.groups, c_out // g.p.groups, g.n * g.run)
    dw = xp.matmul(gc, cols.transpose(0, 2, 1))
    return dw.reshape(c_out, g.c // g.p.groups, g.kh, g.kw)


def input_grad(xp: Any, grad: Any, weight: Any, g: Geometry) -> Any:
    """dL/dx (N, C, H, W): columns weight^T @ grad, then col2im (the adjoint of im2col)."""
    groups, c_out = g.p.groups, weight.shape[0]
    w = weight.reshape(groups, c_out // groups, -1)
    gc = grad_columns(xp, grad, g).reshape(groups, c_out // groups, g.n * g.run)
    cols = workspace(xp, (groups, w.shape[2], gc.shape[2]), grad.dtype)
    xp.matmul(w.transpose(0, 2, 1), gc, out=cols)
    cols = cols.reshape((g.c, g.kh, g.kw, g.n, *([g.run] if g.full_rows else [g.ho, g.wo])))
    planes = xp.zeros((g.c, g.n, g.hp, g.wp), grad.dtype)
    windows = window_view(xp, planes, g, writeable=True)
    for i in range(g.kh):  # overlapping windows: one add per kernel offset, each slab disjoint
        for j in range(g.kw):
            windows[:, i, j] += cols[:, i, j]
    top, _, left, _ = g.p.padding
    return planes[:, :, top : top + g.h, left : left + g.w].transpose(1, 0, 2, 3)
