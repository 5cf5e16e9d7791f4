"""One conv2d layer alone, forward and forward+backward, steepest beside PyTorch and a naive im2col.

    PYTHONPATH=src .venv/bin/python bench/bench_conv.py [--repeats 15] [--shapes issue,mnist2]

For each shape the three implementations run in turn within each repeat (so machine noise hits
all of them alike); the table shows medians in ms, steepest / PyTorch time ratios, achieved
GFLOP/s, and the NumPy float32 GEMM of the same size ("gemm": one (C_out, K) @ (K, N Ho Wo)
product, the practical limit of an im2col convolution's forward). PyTorch is optional.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

import steepest as st
from steepest.ops.conv import conv2d  # also st.conv2d once exported

# name: (N, C_in, H, W, C_out, k, stride, padding, groups)
SHAPES = {
    "issue": (128, 16, 14, 14, 32, 5, 1, 2, 1),  # the shape quoted in issue 6
    "lenet1": (128, 1, 28, 28, 6, 5, 1, 2, 1),  # LeNet-5 on 28x28, batch 128
    "lenet2": (128, 6, 14, 14, 16, 5, 1, 0, 1),
    "mnist1": (64, 1, 28, 28, 32, 3, 1, 0, 1),  # the classic MNIST CNN, batch 64
    "mnist2": (64, 32, 26, 26, 64, 3, 1, 0, 1),
    "stride2": (64, 64, 28, 28, 128, 3, 2, 1, 1),  # a ResNet-style downsampling conv
    "depthwise": (64, 64, 28, 28, 64, 3, 1, 1, 64),
}


def naive_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> tuple:
    """The textbook NumPy im2col (groups=1): the 'before' column. Returns y and a backward."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]
    ho, wo = win.shape[2:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, -1)
    y = (cols @ w.reshape(o, -1).T + b).reshape(n, ho, wo, o).transpose(0, 3, 1, 2)

    def backward(g: np.ndarray) -> tuple:
        g2 = g.transpose(0, 2, 3, 1).reshape(-1, o)
        dw = (g2.T @ cols).reshape(w.shape)
        dcols = (g2 @ w.reshape(o, -1)).reshape(n, ho, wo, c, k, k)
        dxp = np.zeros_like(xp)
        for i in range(k):
            for j in range(k):
                dxp[:, :, i : i + stride * ho : stride, j : j + stride * wo : stride] += dcols[
                    :, :, :, :, i, j
                ].transpose(0, 3, 1, 2)
        return dxp[:, :, pad : pad + h, pad : pad + wd], dw, g2.sum(0)

    return y, backward


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def bench_shape(name: str, spec: tuple, repeats: int, torch) -> dict:
    n, c, h, wd, o, k, s, p, groups = spec
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, wd), dtype=np.float32)
    w = rng.standard_normal((o, c // groups, k, k), dtype=np.float32) * 0.1
    b = rng.standard_normal(o, dtype=np.float32)
    ho, wo = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
    g = rng.standard_normal((n, o, ho, wo), dtype=np.float32)
    flops = 2 * n * ho * wo * o * (c // groups) * k * k

    xs, ws, bs = (st.Tensor(v, requires_grad=True) for v in (x, w, b))
    gs = st.Tensor(g)

    def st_fwd() -> None:
        with st.no_grad():
            conv2d(xs, ws, bs, stride=s, padding=p, groups=groups)

    def st_fwd_bwd() -> None:
        xs.grad = ws.grad = bs.grad = None
        conv2d(xs, ws, bs, stride=s, padding=p, groups=groups).backward(gs)

    cases: dict[str, Callable[[], object]] = {"st fwd": st_fwd, "st f+b": st_fwd_bwd}
    if groups == 1:
        cases["naive fwd"] = lambda: naive_conv(x, w, b, s, p)
        cases["naive f+b"] = lambda: naive_conv(x, w, b, s, p)[1](g)
    a = rng.standard_normal((o // groups, (c // groups) * k * k), dtype=np.float32)
    bm = rng.standard_normal(((c // groups) * k * k, n * ho * wo), dtype=np.float32)
    cases["gemm"] = lambda: [a @ bm for _ in range(groups)]
    if torch is not None:
        xt, wt, bt = (torch.from_numpy(v.copy()).requires_grad_() for v in (x, w, b))
        gt = torch.from_numpy(g)

        def torch_fwd() -> None:
            with torch.no_grad():
                torch.nn.functional.conv2d(xt, wt, bt, stride=s, padding=p, groups=groups)

        def torch_fwd_bwd() -> None:
            xt.grad = wt.grad = bt.grad = None
            torch.nn.functional.conv2d(xt, wt, bt, stride=s, padding=p, groups=groups).backward(gt)

        cases["torch fwd"], cases["torch f+b"] = torch_fwd, torch_fwd_bwd
    times: dict[str, list[float]] = {key: [] for key in cases}
    for fn in cases.values():  # warm-up: first-touch allocations, BLAS thread start
        fn()
    for _ in range(repeats):
        for key, fn in cases.items():
            times[key].append(timed(fn))
    med = {key: statistics.median(v) for key, v in times.items()}
    med["gflop"] = flops / 1e9
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated names")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    torch = None
    if not args.no_torch:
        with contextlib.suppress(ImportError):
            import torch  # optional, bench only
    print(
        f"numpy {np.__version__}, python {platform.python_version()}, "
        f"torch {torch.__version__ if torch else 'not installed'} "
        f"({torch.get_num_threads() if torch else '-'} threads); medians of {args.repeats}, ms"
    )
    cols = ["st fwd", "torch fwd", "naive fwd", "gemm", "st f+b", "torch f+b", "naive f+b"]
    ratios = f"{'fwd ratio':>11s}{'f+b ratio':>11s}{'st GF/s':>9s}"
    print(f"{'shape':10s}" + "".join(f"{c:>11s}" for c in cols) + ratios)
    for name in args.shapes.split(","):
        r = bench_shape(name, SHAPES[name], args.repeats, torch)
        cells = "".join(f"{r[c]:11.2f}" if c in r else f"{'-':>11s}" for c in cols)
        ratio = (
            f"{r['st fwd'] / r['torch fwd']:11.2f}{r['st f+b'] / r['torch f+b']:11.2f}"
            if "torch fwd" in r
            else f"{'-':>11s}{'-':>11s}"
        )
        print(f"{name:10s}{cells}{ratio}{3 * r['gflop'] / r['st f+b'] * 1e3:9.1f}")


if __name__ == "__main__":
    main()
