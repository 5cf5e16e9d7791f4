"""Direct convolution: the three kernels of conv.py in compiled loops (conv.c), no im2col.

Same arguments and results as _im2col.forward / input_grad / weight_grad, on the same
batch-innermost planes (C, H, W, N): the batch is the vector axis, each kernel tap one vector
multiply-add, and no C kh kw-fold copy of the input goes through memory. Where it pays is
measured, not assumed (``use``): small layers, where im2col's copy costs more than the GEMM it
feeds, take the direct loops; large ones keep im2col + OpenBLAS, whose GEMM is faster there.

One thread, float32, ms, im2col vs direct (2026-12-05, commit 052ccb1, a 2-core Xeon with
AVX-512; python bench/bench_conv_kernels.py, docs/bench/issue15-round3/): LeNet-5's conv1
(1->6 5x5, 28x28 pad 2, batch 128) forward 1.66 vs 0.29, weight grad 1.87 vs 0.42; its conv2
(6->16 5x5 on 14x14) forward 1.43 vs 0.46, input grad 2.01 vs 0.57, weight grad 1.07 vs 0.62;
ResNet-20's 16->16 3x3 on 32x32 forward 12.32 vs 5.11, input grad 12.54 vs 5.20, weight grad
10.97 vs 9.16; its 64->64 on 8x8 forward 4.69 vs 4.77, input grad 6.54 vs 5.53, weight grad
4.55 vs 6.50.

Without a C compiler, on CuPy, for other dtypes or batches narrower than a vector, im2col runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import fused, threads
from ._aligned import aligned_empty
from ._im2col import Geometry, aligned_planes, grad_columns

# A layer with at most this many weights (C_out x C_in/groups x kh x kw) takes the direct
# loops for all three kernels. On one thread they win all three up to ResNet-20's 32->32 3x3
# (9,216) and the 5x5 16->32 (12,800). At the MNIST CNN's 32->64 3x3 (18,432) im2col wins the
# weight gradient on one thread, but on two the model trained at 1,504 and 1,417 samples/s
# with the layer direct, 1,320 and 1,154 with it on im2col, and with only its weight gradient
# on im2col 1,512 and 1,642 against 1,588 and 1,720 (2026-12-05, bench_models.py --no-torch
# --repeats 3): one rule for the three. ResNet-20's 64->64 (36,864) keeps im2col (a tie).
MAX_DIRECT_WEIGHTS = 20000

_enabled = True


def set_enabled(flag: bool) -> None:
    """Let conv2d take the direct loops where they are faster (True, the default) or never."""
    global _enabled
    if not isinstance(flag, bool):
        raise TypeError(f"ops.conv direct: expected a bool, got {flag!r}")
    _enabled = flag


def use(kernel: str, xp: Any, arrays: tuple, g: Geometry, c_out: int) -> bool:
    """Should ``kernel`` ('forward', 'input_grad', 'weight_grad') run in the direct loops on
    ``arrays`` (its two operands)? Only NumPy arrays of one float dtype, and one rule for the
    three kernels today (see MAX_DIRECT_WEIGHTS)."""
    if not _enabled or xp is not np or fused.get("conv_forward", *arrays) is None:
        return False
    if g.n < 64 // arrays[0].itemsize:  # fewer images than one vector's lanes: scalar code
        return False
    return c_out * g.c // g.p.groups * g.kh * g.kw <= MAX_DIRECT_WEIGHTS


def _geometry(g: Geometry, c_out: int, x: Any, y: Any) -> Any:
    """The int array conv.c reads (enum G): one group's sizes, strides in elements."""
    ex, ey = x.strides, y.strides
    if ex[3] != x.itemsize or ey[3] != y.itemsize:
        raise ValueError(f"conv direct: planes must be batch-innermost, strides {ex}, {ey}")
    (sh, sw), (dh, dw) = g.p.stride, g.p.dilation
    sizes = (g.c // g.p.groups, c_out // g.p.groups, g.kh, g.kw, g.ho, g.wo, g.n, sh, sw, dh, dw)
    strides = tuple(s // x.itemsize for s in ex[:3]) + tuple(s // y.itemsize for s in ey[:3])
    return np.array(sizes + strides, np.intp)


def _packed(weight: Any, groups: int) -> Any:
    """Weights (C_out, C_in/groups, kh, kw) as (groups, C_in/groups kh kw, C_out/groups): the
    output channels of one tap adjacent, as the loops read them."""
    w = weight.reshape(groups, weight.shape[0] // groups, -1)
    return np.ascontiguousarray(w.transpose(0, 2, 1))


def forward(xp: Any, planes: Any, weight: Any, bias: Any, g: Geometry) -> Any:
    """y = conv2d(x, weight) + bias, (N, C_out, Ho, Wo) batch-innermost, from x's planes."""
    c_out, groups = weight.shape[0], g.p.groups
    planes = aligned_planes(xp, planes)
    y = aligned_empty(xp, (c_out, g.ho, g.wo, g.n), planes.dtype)
    geo, wk = _geometry(g, c_out, planes, y), _packed(weight, groups)
    run = fused.get("conv_forward", planes)
    ptr = fused.pointer
    c, o = int(geo[0]), int(geo[1])
    x0, w0, y0 = ptr(planes), ptr(wk), ptr(y)
    bias = None if bias is None else np.ascontiguousarray(bias)  # read by pointer arithmetic
    b0 = ptr(bias) if bias is not None else None
    item = planes.itemsize

    def rows(h0: int, h1: int) -> None:
        for grp in range(groups):  # pointers by arithmetic: a view per group costs ~1 us
            b = b0 + grp * o * item if b0 is not None else None
            x, w = x0 + grp * c * planes.strides[0], w0 + grp * wk[0].nbytes
            run(x, w, o, b, y0 + grp * o * y.strides[0], geo.ctypes.data, h0, h1)

    pieces = threads.parts(y.size, g.ho)
    threads.run([lambda r=r: rows(*r) for r in threads.ranges(g.ho, pieces)])
    return y.transpose(3, 0, 1, 2)


def input_grad(xp: Any, grad: Any, weight: Any, g: Geometry) -> Any:
    """dL/dx (N, C, H, W): every output gradient spread back over its window (conv.c)."""
    groups, c_out = g.p.groups, weight.shape[0]
    dy = aligned_planes(xp, grad_columns(xp, grad, g).reshape(c_out, g.ho, g.wo, g.n))
    planes = aligned_empty(xp, (g.c, g.hp, g.wp, g.n), grad.dtype, zero=True)
    geo, wk = _geometry(g, c_out, planes, dy), _packed(weight, groups)
    run = fused.get("conv_input_grad", planes)
    ptr = fused.pointer
    per_group, o = g.c // groups, c_out // groups

    def channels(c0: int, c1: int) -> None:
        """Input channels c0 <= c < c1 (one group's): no other thread writes them."""
        grp = c0 // per_group
        x = ptr(planes) + grp * per_group * planes.strides[0]
        w, d = ptr(wk) + grp * wk[0].nbytes, ptr(dy) + grp * o * dy.strides[0]
        run(x, w, o, d, geo.ctypes.data, c0 % per_group, c0 % per_group + c1 - c0)

    pieces = threads.parts(planes.size, g.c)
    if groups >= pieces:  # whole groups to each thread
        spans = [(lo * per_group, hi * per_group) for lo, hi in threads.ranges(groups, pieces)]
        tasks = [lambda s=s: [channels(c, c + per_group) for c in range(*s, per_group)]
                 for s in spans]  # fmt: skip
    else:  # each group's channels cut into pieces // groups
        spans = [(grp * per_group + lo, grp * per_group + hi) for grp in range(groups)
                 for lo, hi in threads.ranges(per_group, pieces // groups)]  # fmt: skip
        tasks = [lambda s=s: channels(*s) for s in spans]
    threads.run(tasks)
    top, _, left, _ = g.p.padding
    return planes[:, top : top + g.h, left : left + g.w].transpose(3, 0, 1, 2)


def weight_grad(xp: Any, planes: Any, grad: Any, g: Geometry) -> Any:
    """dL/dweight (C_out, C_in/groups, kh, kw): each weight's sum over pixels and images."""
    groups, c_out = g.p.groups, grad.shape[1]
    dy = aligned_planes(xp, grad_columns(xp, grad, g).reshape(c_out, g.ho, g.wo, g.n))
    planes = aligned_planes(xp, planes)
    per_group, o = g.c // groups, c_out // groups
    geo = _geometry(g, c_out, planes, dy)
    run = fused.get("conv_weight_grad", planes)
    ptr = fused.pointer

    def rows(h0: int, h1: int) -> Any:
        """The sums over output rows h0 <= h < h1 (each thread its own, added after)."""
        dw = np.empty((groups, o, per_group * g.kh * g.kw), planes.dtype)
        for grp in range(groups):
            x = ptr(planes) + grp * per_group * planes.strides[0]
            d = ptr(dy) + grp * o * dy.strides[0]
            if run(x, d, ptr(dw) + grp * dw[0].nbytes, geo.ctypes.data, h0, h1):
                raise MemoryError(f"conv2d weight gradient: no memory for {tuple(dw.shape)} sums")
        return dw

    pieces = threads.parts(planes.size, g.ho)
    parts = threads.run([lambda r=r: rows(*r) for r in threads.ranges(g.ho, pieces)])
    dw = parts[0] if len(parts) == 1 else sum(parts[1:], parts[0])
    return dw.reshape(c_out, per_group, g.kh, g.kw)
