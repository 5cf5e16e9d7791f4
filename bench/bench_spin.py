"""OpenBLAS's idle threads spin after a multi-threaded product: what that costs the next kernel.

    PYTHONPATH=src python bench/bench_spin.py [--repeats 9]

Times the MNIST CNN's second convolution forward (64 x 32 x 26 x 26, 3x3 -> 64, steepest's
split kernel on its own threads), alone and right after one product of the CNN's first fully
connected layer, (64, 9216) @ (9216, 128), run (a) by NumPy on OpenBLAS's default threads and
(b) by ``st.ops.threads.matmul`` on steepest's threads with BLAS on one. In (a), OpenBLAS's
threads spin for about 0.1 s after the product and the conv's two threads share the cores
with them. Medians of ``--repeats``, wall ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from steepest.ops import _im2col, threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    g = _im2col.Geometry(64, 32, 26, 26, 3, 3, _im2col.ConvParams())
    x = rng.random((32, 26, 26, 64), dtype=np.float32).transpose(3, 0, 1, 2)
    w = rng.random((64, 32, 3, 3), dtype=np.float32)
    planes = _im2col.to_planes(np, x, g)
    a = rng.random((64, 9216), dtype=np.float32)
    b = rng.random((9216, 128), dtype=np.float32)

    def conv() -> float:
        start = time.perf_counter()
        _im2col.forward(np, planes, w, None, g)
        return (time.perf_counter() - start) * 1e3

    def force_ours() -> None:  # as if a split kernel had just run: products on our threads
        threads.run([lambda: None, lambda: None])
        threads.matmul(a, b)

    cases = {
        "after the previous conv": lambda: None,
        "right after a product on OpenBLAS's threads": lambda: np.matmul(a, b),
        "right after the product on steepest's threads": force_ours,
    }
    conv()
    print(f"steepest threads {threads.get_num_threads()}; median of {args.repeats}, wall ms")
    for name, before in cases.items():
        times = []
        for _ in range(args.repeats):
            before()
            times.append(conv())
        print(f"  conv forward {name}: {statistics.median(times):6.2f} ms")


if __name__ == "__main__":
    main()
