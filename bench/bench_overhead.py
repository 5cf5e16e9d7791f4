"""Autodiff overhead per op: forward + backward of a long chain of tiny ops, and import time.

Run: python bench/bench_overhead.py [--ops 20000] [--repeats 5] [--clock cpu|wall]
PyTorch, when importable, runs the same chain in the same process, alternating with steepest.
``--clock cpu`` (the default) times with the calling thread's CPU clock and reports the minimum:
on a shared machine, waiting for a core then does not count, and neither do PyTorch's idle
worker threads spinning after its last op (a process-wide clock charged them to steepest);
both frameworks run this chain entirely on the calling thread. ``--clock wall`` reports medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def chain_steepest(n_ops: int, clock) -> float:
    import steepest as st

    x = st.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    start = clock()
    y = x
    for i in range(n_ops // 2):  # two ops per iteration: mul, add
        y = y * 0.999 + 0.001 * (i % 3)
    y.sum().backward()
    return (clock() - start) / n_ops


def chain_torch(n_ops: int, clock) -> float:
    import torch

    x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    start = clock()
    y = x
    for i in range(n_ops // 2):
        y = y * 0.999 + 0.001 * (i % 3)
    y.sum().backward()
    return (clock() - start) / n_ops


def import_time(module: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import time; t=time.perf_counter(); import {module}; "
                "print(time.perf_counter()-t)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(out.stdout))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = parser.parse_args()
    try:
        import torch  # optional comparison only

        torch.set_num_threads(1)  # tiny tensors: intra-op threads only add spinning
        has_torch = True
    except ImportError:
        has_torch = False

    clock = time.thread_time if args.clock == "cpu" else time.perf_counter
    summary = min if args.clock == "cpu" else statistics.median
    ours, theirs = [], []
    for _ in range(args.repeats):  # alternate so both see the same machine state
        ours.append(chain_steepest(args.ops, clock))
        if has_torch:
            theirs.append(chain_torch(args.ops, clock))
    how = "min CPU time" if args.clock == "cpu" else "median wall time"
    print(
        f"per-op forward+backward, chain of {args.ops} ops on a 4-element tensor ({how} of "
        f"{args.repeats})"
    )
    print(f"  steepest: {summary(ours) * 1e6:6.2f} us/op")
    if has_torch:
        ratio = summary(ours) / summary(theirs)
        print(
            f"  pytorch : {summary(theirs) * 1e6:6.2f} us/op   "
            f"(time ratio steepest/pytorch {ratio:.2f})"
        )
    print(
        f"import steepest: {import_time('steepest', args.repeats):.3f} s; "
        f"import numpy: {import_time('numpy', args.repeats):.3f} s"
    )
    if has_torch:
        print(f"import torch: {import_time('torch', 3):.3f} s")


if __name__ == "__main__":
    main()
