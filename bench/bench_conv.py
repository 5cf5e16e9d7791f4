"""conv2d and pooling layers alone, forward and forward+backward: steepest beside PyTorch and a
naive NumPy im2col.

    PYTHONPATH=src .venv/bin/python bench/bench_conv.py [--repeats 15] [--shapes issue,mnist2]

Within each repeat every implementation runs once in turn, so machine noise (the 2 cores are
shared) hits all of them alike; the tables show medians (or minima, --stat min) in ms, the time
ratio steepest / PyTorch (< 1: steepest is faster), steepest's GFLOP/s, and "gemm": one NumPy
float32 product (C_out, K) @ (K, N Ho Wo) of the forward's size, the practical limit of an
im2col convolution (its forward is that GEMM plus the im2col copy). PyTorch is optional.

Backward means the gradients with respect to input, weight and bias, returned (st.grad,
torch.autograd.grad) rather than accumulated into leaves' .grad, as inside a network.
Each framework gets its inputs in the memory layout its own previous layer would leave: NCHW
for PyTorch, and for steepest NCHW for a network's first layer (lenet1, mnist1) and otherwise
the batch-innermost layout that steepest's conv2d and pools return (--nchw: NCHW everywhere).
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
from steepest.ops.pool import avg_pool2d, max_pool2d

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
FIRST_LAYERS = {"lenet1", "mnist1"}  # their input is the data, NCHW
# name: (input shape, op, kernel, stride, padding)
POOLS = {
    "max2-mnist": ((64, 64, 24, 24), "max", 2, 2, 0),  # the classic MNIST CNN's pool
    "max2-lenet": ((128, 6, 28, 28), "max", 2, 2, 0),
    "max3s2p1": ((64, 64, 28, 28), "max", 3, 2, 1),  # ResNet stem style, overlapping
    "avg2-lenet": ((128, 6, 28, 28), "avg", 2, 2, 0),
    "avg3s1p1": ((64, 32, 16, 16), "avg", 3, 1, 1),
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


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}

# Pause before each timed case. Both libraries' idle threads spin after their work (OpenBLAS's
# for about 0.1 s, PyTorch's OpenMP threads too), and a case that starts while the previous
# case's threads still spin runs on half a machine: PyTorch's MLP ran 8,500 samples/s right
# after steepest's case and 12,600 after a 0.5 s pause (2026-12-04, batch 32). A user runs one
# library per process, so each case gets a machine the other has left.
# After the pause, untimed calls of the case itself for WARM_S: a pause this long lets the
# cores idle, and the first calls after it run up to twice as slow. steepest's pool threads
# block between kernels (OpenMP's spin), so for about 40 ms after an idle pause the second core
# wakes late each time: the 5x5 16->32 conv layer f+b, calls 1..6 after 0.5 s idle, 12-17,
# 16-20, 17-19, 10-12, 10, 10 ms, in a loop 10 ms; on one thread 18-21 throughout (2026-12-05).
# Inside a training loop layers run back to back, warm; so is what is timed here, for both.
SETTLE_S = 0.5
WARM_S = 0.05


def settle() -> None:
    time.sleep(SETTLE_S)


def warm(fn: Callable[[], object]) -> None:
    """Call fn (at least once) until WARM_S have passed."""
    end = time.perf_counter() + WARM_S
    fn()
    while time.perf_counter() < end:
        fn()


def measure(
    cases: dict[str, Callable[[], object]], repeats: int, stat: str, clock: str = "wall"
) -> dict[str, float]:
    """Each case once per repeat, interleaved, each after a pause and WARM_S of untimed calls;
    the median (or min) in ms."""
    now = CLOCKS[clock]
    times: dict[str, list[float]] = {key: [] for key in cases}
    for fn in cases.values():  # warm-up: first-touch allocations, BLAS thread start
        fn()
    for _ in range(repeats):
        for key, fn in cases.items():
            settle()
            warm(fn)  # warm again after the pause: what is timed is a call in a running loop
            start = now()
            fn()
            times[key].append((now() - start) * 1e3)
    reduce = statistics.median if stat == "median" else min
    return {key: reduce(v) for key, v in times.items()}


def as_previous_layer_leaves(a: np.ndarray, nchw: bool) -> np.ndarray:
    """The same values laid out (C, H, W, N) in memory, as steepest's conv2d returns them."""
    return a if nchw else np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def conv_cases(spec: tuple, torch, nchw: bool) -> tuple[dict[str, Callable[[], object]], float]:
    n, c, h, wd, o, k, s, p, groups = spec
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, wd), dtype=np.float32)
    w = rng.standard_normal((o, c // groups, k, k), dtype=np.float32) * 0.1
    b = rng.standard_normal(o, dtype=np.float32)
    ho, wo = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
    g = rng.standard_normal((n, o, ho, wo), dtype=np.float32)
    xs = st.Tensor(as_previous_layer_leaves(x, nchw), requires_grad=True)
    ws, bs = (st.Tensor(v, requires_grad=True) for v in (w, b))
    gs = st.Tensor(as_previous_layer_leaves(g, nchw))

    def st_fwd() -> None:
        with st.no_grad():
            conv2d(xs, ws, bs, stride=s, padding=p, groups=groups)

    def st_fwd_bwd() -> None:
        y = conv2d(xs, ws, bs, stride=s, padding=p, groups=groups)
        st.grad(y, [xs, ws, bs], gs)

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
        conv = torch.nn.functional.conv2d

        def torch_fwd() -> None:
            with torch.no_grad():
                conv(xt, wt, bt, stride=s, padding=p, groups=groups)

        def torch_fwd_bwd() -> None:
            y = conv(xt, wt, bt, stride=s, padding=p, groups=groups)
            torch.autograd.grad(y, [xt, wt, bt], gt)

        cases["torch fwd"], cases["torch f+b"] = torch_fwd, torch_fwd_bwd
    return cases, 2 * n * ho * wo * o * (c // groups) * k * k / 1e9


def pool_cases(spec: tuple, torch, nchw: bool) -> dict[str, Callable[[], object]]:
    shape, kind, k, s, p = spec
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    xs = st.Tensor(as_previous_layer_leaves(x, nchw), requires_grad=True)
    pool = max_pool2d if kind == "max" else avg_pool2d
    y = pool(xs, k, s, p)
    gs = st.Tensor(as_previous_layer_leaves(rng.standard_normal(y.shape, dtype=np.float32), nchw))

    def st_fwd() -> None:
        with st.no_grad():
            pool(xs, k, s, p)

    def st_fwd_bwd() -> None:
        st.grad(pool(xs, k, s, p), [xs], gs)

    cases: dict[str, Callable[[], object]] = {"st fwd": st_fwd, "st f+b": st_fwd_bwd}
    if torch is not None:
        xt = torch.from_numpy(x.copy()).requires_grad_()
        gt = torch.from_numpy(np.ascontiguousarray(gs.numpy()))
        tpool = getattr(torch.nn.functional, f"{kind}_pool2d")

        def torch_fwd() -> None:
            with torch.no_grad():
                tpool(xt, k, s, p)

        def torch_fwd_bwd() -> None:
            torch.autograd.grad(tpool(xt, k, s, p), [xt], gt)

        cases["torch fwd"], cases["torch f+b"] = torch_fwd, torch_fwd_bwd
    return cases


def _row(name: str, r: dict[str, float], cols: list[str], extra: str = "") -> str:
    cells = "".join(f"{r[c]:11.2f}" if c in r else f"{'-':>11s}" for c in cols)
    if "torch fwd" in r:
        ratios = f"{r['st fwd'] / r['torch fwd']:11.2f}{r['st f+b'] / r['torch f+b']:11.2f}"
    else:
        ratios = f"{'-':>11s}{'-':>11s}"
    return f"{name:11s}{cells}{ratios}{extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="conv shapes, comma-separated")
    parser.add_argument("--pools", default=",".join(POOLS), help="pool shapes ('' for none)")
    parser.add_argument("--stat", choices=["median", "min"], default="median")
    parser.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="wall",
        help="cpu: process CPU time, steadier on a busy machine (all threads summed; best "
        "with OPENBLAS_NUM_THREADS=1 and --torch-threads 1)",
    )
    parser.add_argument("--torch-threads", type=int, default=0, help="0: PyTorch's default")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--nchw", action="store_true", help="give steepest NCHW inputs too")
    args = parser.parse_args()
    torch = None
    if not args.no_torch:
        with contextlib.suppress(ImportError):
            import torch  # optional, bench only
    if torch and args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    threads = torch.get_num_threads() if torch else "-"
    print(
        f"numpy {np.__version__}, python {platform.python_version()}, "
        f"torch {torch.__version__ if torch else 'not installed'} ({threads} threads); "
        f"{args.stat} of {args.repeats} repeats, {args.clock} ms; ratio = steepest / torch"
    )
    cols = ["st fwd", "torch fwd", "naive fwd", "gemm", "st f+b", "torch f+b", "naive f+b"]
    head = "".join(f"{c:>11s}" for c in cols) + f"{'fwd ratio':>11s}{'f+b ratio':>11s}"
    print(f"{'conv2d':11s}{head}{'st GF/s':>9s}")
    for name in filter(None, args.shapes.split(",")):
        nchw = args.nchw or name in FIRST_LAYERS
        cases, gflop = conv_cases(SHAPES[name], torch, nchw)
        r = measure(cases, args.repeats, args.stat, args.clock)
        print(_row(name, r, cols, f"{3 * gflop / r['st f+b'] * 1e3:9.1f}"))
    pool_cols = ["st fwd", "torch fwd", "st f+b", "torch f+b"]
    if args.pools:
        head = "".join(f"{c:>11s}" for c in pool_cols) + f"{'fwd ratio':>11s}{'f+b ratio':>11s}"
        print(f"{'pool':11s}{head}")
    for name in filter(None, args.pools.split(",")):
        r = measure(pool_cases(POOLS[name], torch, args.nchw), args.repeats, args.stat, args.clock)
        print(_row(name, r, pool_cols))


if __name__ == "__main__":
    main()
