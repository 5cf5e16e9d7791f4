"""An embedding's gradient: rows of a (batch, time, dim) gradient added into a (vocab, dim) table.

    PYTHONPATH=src .venv/bin/python bench/bench_scatter.py [--vocab 10000] [--rows 6400] [--dim 64]

Times the engine's scatter (``IndexedGrad.add_into``, which flattens whole-row indices so that
``np.add.at`` takes its fast 1-D loop) against ``np.add.at`` on the 2-D table, which it
replaced; both give the same bits. Ids are random with repeats, as words in a batch are.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from steepest.autograd import IndexedGrad


def best_ms(fn, repeats: int = 30) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return min(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=10000)
    parser.add_argument("--rows", type=int, default=6400, help="ids in the batch (N x T)")
    parser.add_argument("--dim", type=int, default=64)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    ids = rng.integers(0, args.vocab, args.rows)
    grad = rng.normal(size=(args.rows, args.dim)).astype(np.float32)
    table = np.zeros((args.vocab, args.dim), np.float32)
    two_d = best_ms(lambda: np.add.at(table, ids, grad))
    engine = best_ms(lambda: IndexedGrad(grad, ids).add_into(table))
    a, b = np.zeros_like(table), np.zeros_like(table)
    np.add.at(a, ids, grad)
    IndexedGrad(grad, ids).add_into(b)
    print(f"{args.rows} rows of {args.dim} into {args.vocab} (load {os.getloadavg()[0]:.2f}), "
          f"min CPU ms: np.add.at 2-D {two_d:.2f}, engine scatter {engine:.2f}; "
          f"bit-identical: {np.array_equal(a, b)}")  # fmt: skip


if __name__ == "__main__":
    main()
