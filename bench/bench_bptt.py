"""Backpropagation through time: cost per time step of an LSTM forward + backward at several T.

Run: OPENBLAS_NUM_THREADS=1 python bench/bench_bptt.py [--lengths 25 100 200] [--repeats 3]

A plain backward sends each slice ``x[t]`` its gradient as an ``IndexedGrad`` that the engine
adds into one buffer per tensor. ``--dense`` also times the differentiable path (a full-size
``index_add`` per slice, what ``create_graph=True`` uses), whose cost per step grows with T.
"""

from __future__ import annotations

import argparse
import time

import steepest as st
from steepest.ops import shape


def per_step(length: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        st.manual_seed(0)
        lstm = st.nn.LSTM(64, 64)
        x = st.randn(length, 32, 64)
        start = time.thread_time()
        out, _ = lstm(x)
        out[-1].sum().backward()
        best = min(best, time.thread_time() - start)
    return best / length


def dense_rule(self, out, g):
    return shape.index_add(g, self.index, self.parents[0].shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lengths", type=int, nargs="+", default=[25, 100, 200])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dense", action="store_true")
    args = parser.parse_args()
    sparse_rule = shape.GetItem.backward
    print("LSTM(64, 64), batch 32; CPU ms per time step, forward + backward (min of repeats)")
    for length in args.lengths:
        line = f"T={length:4d}  engine scatter {per_step(length, args.repeats) * 1e3:6.2f}"
        if args.dense:
            shape.GetItem.backward = dense_rule
            try:
                line += f"   dense index_add {per_step(length, args.repeats) * 1e3:6.2f}"
            finally:
                shape.GetItem.backward = sparse_rule
        print(line)


if __name__ == "__main__":
    main()
