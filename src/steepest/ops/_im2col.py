"""Raw-array kernels behind conv2d: geometry, im2col / col2im as strided views, a scratch buffer.

Layout. Internally an image batch is kept "batch innermost": planes (C, H, W, N), as
cuda-convnet did. Every kernel offset then shifts whole runs of Wo*N contiguous elements
(N of them at stride > 1), where NCHW or NHWC would move runs of Wo or C: the im2col copy and
the col2im adds run 1.2-3x faster. And:

* the weight (C_out, C_in/groups, kh, kw) is already the GEMM matrix (groups, C_out/groups, K)
  with K = (C_in/groups) kh kw, free of copies;
* im2col is a copy of one strided view, cols (C, kh, kw, Ho, Wo, N) = (groups, K, Ho Wo N), and
  the forward is one GEMM per group, (C_out/g, K) @ (K, Ho Wo N), whose result (C_out, Ho, Wo, N)
  is batch-innermost again: the next conv (or pool, or ReLU) reads it without a transpose;
* col2im (the input gradient) adds kh*kw contiguous slabs into strided slices, never np.add.at.

Outputs are NCHW-shaped views of that memory; NumPy ops accept any strides, so nothing else
needs to know. The expensive mistake is allocating: a fresh 40 MB cols array costs more in page
faults than the copy into it, so cols live in a reused workspace.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _aligned, threads
from ._aligned import aligned_empty


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
    def run(self) -> int:
        """GEMM columns per image: one per output pixel."""
        return self.ho * self.wo


def as_strided(xp: Any, a: Any, shape: tuple, strides: tuple, writeable: bool) -> Any:
    """A strided view; read-only unless asked (NumPy; CuPy's views are always writeable)."""
    if xp is np:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=writeable)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


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


# ----- aligned arrays ------------------------------------------------------------------------
def aligned_planes(xp: Any, planes: Any) -> Any:
    """``planes`` itself if its data starts on an ALIGN-byte boundary, else an aligned copy."""
    if xp is not np or planes.ctypes.data % _aligned.ALIGN == 0:
        return planes
    out = aligned_empty(xp, planes.shape, planes.dtype)
    copy_planes(xp, out, planes)
    return out


# ----- layout conversions --------------------------------------------------------------------
def batch_innermost(a: Any) -> bool:
    """Is this (N, C', H, W) array laid out in (C', H, W, N) order, N contiguous? (It may have
    gaps, as a cropped view has; dimensions of size 1 do not count.)"""
    if a.shape[0] > 1 and a.strides[0] != a.itemsize:
        return False
    strides = [a.strides[i] for i in (1, 2, 3, 0) if a.shape[i] > 1]
    return all(s >= t for s, t in itertools.pairwise(strides))


def batch_innermost_contiguous(a: Any) -> bool:
    """Is this (N, C', H, W) array exactly a C-contiguous (C', H, W, N) block?"""
    return bool(a.transpose(1, 2, 3, 0).flags.c_contiguous)


def full_nchw(xp: Any, shape: tuple, fill: float, dtype: Any, innermost: bool) -> Any:
    """An (N, C, H, W) array filled with ``fill``, laid out (C, H, W, N) if ``innermost``."""
    if not innermost:
        return xp.full(shape, fill, dtype)
    n, c, h, w = shape
    return xp.full((c, h, w, n), fill, dtype).transpose(3, 0, 1, 2)


def copy_planes(xp: Any, dst: Any, src: Any) -> None:
    """dst[...] = src for planes (C, ...), blocks of channels on the thread pool when large."""
    pieces = threads.parts(dst.size, dst.shape[0]) if xp is np else 1
    spans = threads.ranges(dst.shape[0], pieces)
    threads.run([lambda c=c: dst.__setitem__(slice(*c), src[c[0] : c[1]]) for c in spans])


def contiguous_planes(xp: Any, planes: Any) -> Any:
    """``ascontiguousarray(planes)`` with the copy split as copy_planes does."""
    if planes.flags.c_contiguous:
        return planes
    out = aligned_empty(xp, planes.shape, planes.dtype)
    copy_planes(xp, out, planes)
    return out


def c_order(a: Any) -> Any:
    """A batch-innermost (N, C, H, W) NumPy array copied to C order (N, C, H, W), one channel at
    a time, channels split across threads. NumPy's own copy walks the source in the
    destination's order, one element per page-sized stride: (64, 64, 12, 12), as the MNIST CNN
    flattens it, 2.27 ms that way, 0.33 ms channel by channel (2026-12-05)."""
    out = np.empty(a.shape, a.dtype)

    def channels(lo: int, hi: int) -> None:
        for c in range(lo, hi):
            out[:, c] = a[:, c]

    pieces = threads.parts(a.size, a.shape[1])
    threads.run([lambda r=r: channels(*r) for r in threads.ranges(a.shape[1], pieces)])
    return out


def to_planes(xp: Any, x: Any, g: Geometry) -> Any:
    """Input (N, C, H, W) as padded planes (C, Hp, Wp, N); no copy if already so, unpadded."""
    planes = x.transpose(1, 2, 3, 0)
    top, bottom, left, right = g.p.padding
    if top == bottom == left == right == 0:
        return planes if batch_innermost(x) else contiguous_planes(xp, planes)
    out = aligned_empty(xp, (g.c, g.hp, g.wp, g.n), x.dtype, zero=True)
    copy_planes(xp, out[:, top : top + g.h, left : left + g.w], planes)
    return out


def grad_columns(xp: Any, grad: Any, g: Geometry) -> Any:
    """An output gradient (N, C', Ho, Wo) as GEMM columns (C', Ho Wo N); no copy if it is
    batch-innermost already (as conv2d's own output is)."""
    planes = grad.transpose(1, 2, 3, 0)
    return contiguous_planes(xp, planes).reshape(planes.shape[0], g.run * g.n)


def window_view(xp: Any, planes: Any, g: Geometry, writeable: bool = False) -> Any:
    """All kh*kw shifted windows of planes (C, Hp, Wp, N) as one view (C, kh, kw, Ho, Wo, N):
    element [c, i, j, h, w, n] is planes[c, s_h h + d_h i, s_w w + d_w j, n]."""
    sc, sh, sw, sn = planes.strides
    (dh, dw), (st_h, st_w) = g.p.dilation, g.p.stride
    shape = (g.c, g.kh, g.kw, g.ho, g.wo, g.n)
    strides = (sc, dh * sh, dw * sw, st_h * sh, st_w * sw, sn)
    return as_strided(xp, planes, shape, strides, writeable)


# ----- the three kernels -----------------------------------------------------------------------
# Each kernel cuts its work into blocks for threads.run when NumPy arrays are big enough:
# forward and weight gradient by rows of the output (each block's im2col lands in its own
# thread's workspace), the input gradient by input channels (each block's col2im writes to its
# own planes, so no two threads add into one element).
#
# Within a block, rows go in chunks whose columns take at most CHUNK_BYTES, so that the GEMM
# reads what im2col just wrote (or col2im what the GEMM wrote) from the core's cache, not
# from memory. Conv f+b, one thread, CPU ms, medians of 7, three layers (5x5 16->32 on 14x14
# batch 128; 3x3 32->64 on 26x26 batch 64; 3x3 16->16 on 32x32 batch 128), busy machine:
# unchunked 54/96/101 and 53/93/101; 512 KiB 48/96/75; 1 MiB 41-55/84-103/72-88;
# 2 MiB 43-46/85-98/74-78 (taken).
CHUNK_BYTES = 2 << 20


def _chunks(lo: int, hi: int, row_bytes: int) -> list[tuple[int, int]]:
    per_chunk = max(1, CHUNK_BYTES // max(row_bytes, 1))
    return [(h, min(h + per_chunk, hi)) for h in range(lo, hi, per_chunk)]


def _row_blocks(xp: Any, g: Geometry, elements: int, item: int) -> list[list[tuple[int, int]]]:
    """Rows of the output for each thread, as a list of chunks (h0, h1) per thread."""
    pieces = threads.parts(elements, g.ho) if xp is np else 1
    row_bytes = g.c * g.kh * g.kw * g.wo * g.n * item  # im2col columns of one output row
    return [_chunks(lo, hi, row_bytes) for lo, hi in threads.ranges(g.ho, pieces)]


def im2col(xp: Any, planes: Any, g: Geometry, rows: tuple[int, int] | None = None) -> Any:
    """Columns (groups, K, Ho Wo N) of padded planes (C, Hp, Wp, N), in the reused workspace
    (of the calling thread); ``rows`` = (h0, h1): only output rows h0 <= h < h1."""
    view = window_view(xp, planes, g)
    h0, h1 = rows if rows is not None else (0, g.ho)
    if rows is not None:
        view = view[:, :, :, h0:h1]
    cols = workspace(xp, view.shape, planes.dtype)
    cols[...] = view  # the one copy: every window element, in the order the GEMM reads it
    return cols.reshape(g.p.groups, g.c // g.p.groups * g.kh * g.kw, (h1 - h0) * g.wo * g.n)


def forward(xp: Any, planes: Any, weight: Any, bias: Any, g: Geometry) -> Any:
    """y = conv2d(x, weight) + bias, (N, C_out, Ho, Wo), batch-innermost in memory; x given
    as its padded planes (to_planes)."""
    c_out, groups = weight.shape[0], g.p.groups
    w = weight.reshape(groups, c_out // groups, -1)
    y = aligned_empty(xp, (c_out, g.ho, g.wo, g.n), planes.dtype)
    flat = y.reshape(groups, c_out // groups, g.run * g.n)
    step = g.wo * g.n  # GEMM columns per output row

    def block(chunks: list[tuple[int, int]]) -> None:
        for h0, h1 in chunks:
            cols = im2col(xp, planes, g, (h0, h1))
            xp.matmul(w, cols, out=flat[:, :, h0 * step : h1 * step])
            if bias is not None:
                y[:, h0:h1] += bias.reshape(-1, 1, 1, 1)

    blocks = _row_blocks(xp, g, y.size, y.itemsize)
    threads.run([lambda c=c: block(c) for c in blocks])
    return y.transpose(3, 0, 1, 2)


def weight_grad(xp: Any, planes: Any, grad: Any, g: Geometry) -> Any:
    """dL/dweight (C_out, C_in/groups, kh, kw) = grad (C_out, Ho Wo N) @ cols^T, per group."""
    c_out = grad.shape[1]
    gc = grad_columns(xp, grad, g).reshape(g.p.groups, c_out // g.p.groups, g.run * g.n)
    step = g.wo * g.n

    def chunk(h0: int, h1: int) -> Any:
        cols = im2col(xp, planes, g, (h0, h1))
        gcb = gc[:, :, h0 * step : h1 * step]
        # A product with a huge inner dimension (Ho Wo N) and a small result: OpenBLAS's
        # threads then synchronise once per block of it, and on a busy machine each wait can
        # cost a scheduler slice. Putting the result's larger side first (as rows) avoids most
        # of that (issue-6 layer, other jobs running: medians 16 vs 49 ms, worst 19 vs 640 ms).
        if cols.shape[1] >= gcb.shape[1]:
            return xp.matmul(cols, gcb.transpose(0, 2, 1)).transpose(0, 2, 1)
        return xp.matmul(gcb, cols.transpose(0, 2, 1))

    def block(chunks: list[tuple[int, int]]) -> Any:
        dw = chunk(*chunks[0])
        for h0, h1 in chunks[1:]:
            dw = dw + chunk(h0, h1)
        return dw

    # Tried: the forward keeping its columns for this (when <= 16 MiB: LeNet-5's two convs)
    # instead of copying them out again. LeNet-5 + BN step 15.1/18.5 ms without, 16.0/19.5 ms
    # with (2026-12-04, commit 441d04c, paired runs on a noisy machine): the fresh 10 MB array
    # per step costs its page faults, about what the second copy costs. Rejected.
    # each block a partial sum over its rows' pixels (cols of a block never leave its thread)
    blocks = _row_blocks(xp, g, planes.size, planes.itemsize)
    partial = threads.run([lambda c=c: block(c) for c in blocks])
    dw = partial[0] if len(partial) == 1 else sum(partial[1:], partial[0].copy())
    return xp.ascontiguousarray(dw).reshape(c_out, g.c // g.p.groups, g.kh, g.kw)


def input_grad(xp: Any, grad: Any, weight: Any, g: Geometry) -> Any:
    """dL/dx (N, C, H, W): columns weight^T @ grad, then col2im (the adjoint of im2col)."""
    # Tried: for stride 1, dx as a forward convolution of the padded grad with the flipped,
    # transposed weight (im2col + GEMM, no col2im). One thread, CPU ms, the three layers of
    # CHUNK_BYTES's comment: 18.2 / 29.9 / 20.7 against col2im's 15.6 / 24.9 / 23.9. Rejected.
    groups, c_out = g.p.groups, weight.shape[0]
    w = weight.reshape(groups, c_out // groups, -1)
    gc = grad_columns(xp, grad, g).reshape(groups, c_out // groups, g.run * g.n)
    w_t = xp.ascontiguousarray(w.transpose(0, 2, 1))  # (groups, K, C_out/groups)
    planes = aligned_empty(xp, (g.c, g.hp, g.wp, g.n), grad.dtype, zero=True)
    windows = window_view(xp, planes, g, writeable=True)
    per_group, kk = g.c // groups, g.kh * g.kw

    def block(c0: int, c1: int) -> None:
        """Input channels c0 <= c < c1, all of one group."""
        grp, lo, hi = c0 // per_group, (c0 % per_group) * kk, (c0 % per_group + c1 - c0) * kk
        step = g.wo * g.n  # GEMM columns per output row
        for h0, h1 in _chunks(0, g.ho, (hi - lo) * step * grad.itemsize):
            cols = workspace(xp, (hi - lo, (h1 - h0) * step), grad.dtype)
            gcb = gc[grp, :, h0 * step : h1 * step]
            if w_t.shape[2] == 1:  # one output channel per group: an outer product, 4x faster so
                xp.multiply(w_t[grp, lo:hi], gcb, out=cols)
            else:
                xp.matmul(w_t[grp, lo:hi], gcb, out=cols)
            cols = cols.reshape(c1 - c0, g.kh, g.kw, h1 - h0, g.wo, g.n)
            for i in range(g.kh):  # overlapping windows: one add per offset, each slab disjoint
                for j in range(g.kw):
                    windows[c0:c1, i, j, h0:h1] += cols[:, i, j]

    pieces = threads.parts(planes.size, g.c) if xp is np else 1
    # blocks never straddle a group: cut each group's channels, or whole groups when many
    if groups >= pieces:
        spans = [(lo * per_group, hi * per_group) for lo, hi in threads.ranges(groups, pieces)]
        tasks = [lambda s=s: [block(c, c + per_group) for c in range(s[0], s[1], per_group)]
                 for s in spans]  # fmt: skip
    else:
        spans = [(grp * per_group + lo, grp * per_group + hi) for grp in range(groups)
                 for lo, hi in threads.ranges(per_group, max(1, pieces // groups))]  # fmt: skip
        tasks = [lambda s=s: block(*s) for s in spans]
    threads.run(tasks)
    top, _, left, _ = g.p.padding
    return planes[:, top : top + g.h, left : left + g.w].transpose(3, 0, 1, 2)
