"""The two ways steepest convolves, kernel by kernel: im2col + GEMM (ops/_im2col.py) against
the compiled direct loops (ops/conv.c via ops/_direct.py), one thread, float32, ms.

    PYTHONPATH=src .venv/bin/python bench/bench_conv_kernels.py [--repeats 9]

Each row is one layer of the benchmark models (bench_models.py) at its batch; every kernel gets
batch-innermost planes, as inside a network. The table is what ops/_direct.py's rule (which
kernel runs where) was read from. "-": the first layer needs no input gradient.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import steepest as st
from steepest.ops import _direct, _im2col, fused, threads
from steepest.ops._im2col import ConvParams, Geometry

# name: (N, C_in, H, C_out, k, padding), square images and kernels, stride 1
LAYERS = {
    "lenet1": (128, 1, 28, 6, 5, 2),
    "lenet2": (128, 6, 14, 16, 5, 0),
    "mnist1": (64, 1, 28, 32, 3, 0),
    "mnist2": (64, 32, 26, 64, 3, 0),
    "cnn5x5-1": (128, 1, 28, 16, 5, 2),
    "cnn5x5-2": (128, 16, 14, 32, 5, 2),
    "resnet16": (128, 16, 32, 16, 3, 1),
    "resnet32": (128, 32, 16, 32, 3, 1),
    "resnet64": (128, 64, 8, 64, 3, 1),
}


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    threads.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, one thread, float32, best of {args.repeats}, ms; load "
          f"{os.getloadavg()[0]:.2f}; {fused.status('conv.c')}")  # fmt: skip
    print(f"{'layer':>9} {'MMAC':>6} | {'im2col fwd':>10} {'dx':>6} {'dw':>6} | "
          f"{'direct fwd':>10} {'dx':>6} {'dw':>6} | rule picks")  # fmt: skip
    for name, (n, c, h, o, k, pad) in LAYERS.items():
        g = Geometry(n, c, h, h, k, k, ConvParams((1, 1), (pad,) * 4, (1, 1), 1))
        x = rng.standard_normal((n, c, h, h), dtype=np.float32)
        w = rng.standard_normal((o, c, k, k), dtype=np.float32)
        planes = _im2col.to_planes(np, x, g)
        dy = rng.standard_normal((o, g.ho, g.wo, n), dtype=np.float32).transpose(3, 0, 1, 2)
        row = []
        for mod in (_im2col, _direct):
            kernels = (lambda: mod.forward(np, planes, w, None, g),  # noqa: B023 (run at once)
                       lambda: mod.input_grad(np, dy, w, g),  # noqa: B023
                       lambda: mod.weight_grad(np, planes, dy, g))  # noqa: B023  # fmt: skip
            row += [best(fn, args.repeats) for fn in kernels]
            if c == 1:
                row[-2] = float("nan")
        picks = "".join("D" if _direct.use(kern, np, x, g, o) else "i"
                        for kern in ("forward", "input_grad", "weight_grad"))  # fmt: skip
        cells = ["     -" if np.isnan(v) else f"{v:6.2f}" for v in row]
        macs = n * o * g.ho * g.wo * c * k * k / 1e6
        print(f"{name:>9} {macs:6.1f} | {cells[0]:>10} {cells[1]} {cells[2]} | "
              f"{cells[3]:>10} {cells[4]} {cells[5]} | {picks}", flush=True)  # fmt: skip
    print("rule picks: forward, input grad, weight grad; D direct, i im2col")


if __name__ == "__main__":
    st.manual_seed(0)
    main()
