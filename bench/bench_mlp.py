"""MLP training throughput: 784-512-512-10, ReLU, cross-entropy, Adam, MNIST-shaped random data.

Run: python bench/bench_mlp.py [--batch 32 128] [--steps 60] [--repeats 7] [--model nn|raw]
     OPENBLAS_NUM_THREADS=1 python bench/bench_mlp.py --single-thread   (CPU time, see below)

For each batch size, steepest and (when importable) PyTorch train the same architecture on
the same data, alternating run by run; each run times ``--steps`` full training steps
(zero_grad, forward, backward, optimizer step) after warm-up. Reported: median samples/s,
the ratio steepest / PyTorch, and the time of the optimizer step alone. ``--model raw``
builds the steepest MLP from raw tensors instead of ``st.nn.Linear``. The machine's load
average is printed: on a shared machine, compare numbers from the same run only.

``--single-thread`` runs both frameworks on one thread (PyTorch's intra-op threads, the
optimizer's threads and, through the environment variable, OpenBLAS) and times with the
calling thread's CPU clock: samples per CPU-second, which a busy machine disturbs far less
than wall time.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import time

import numpy as np
from bench_conv import warm

SIZES = (784, 512, 512, 10)


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], n).astype(np.int64)
    return x, y


class SteepestRun:
    def __init__(self, batch: int, model: str) -> None:
        import steepest as st

        self.st = st
        st.manual_seed(0)
        if model == "nn":
            self.model = st.nn.Sequential(
                st.nn.Linear(SIZES[0], SIZES[1]), st.nn.ReLU(),
                st.nn.Linear(SIZES[1], SIZES[2]), st.nn.ReLU(),
                st.nn.Linear(SIZES[2], SIZES[3]),
            )  # fmt: skip
            params = list(self.model.parameters())
            self.forward = self.model
        else:
            rng = np.random.default_rng(0)
            params = []
            for n_in, n_out in itertools.pairwise(SIZES):
                bound = 1 / np.sqrt(n_in)
                params.append(st.tensor(rng.uniform(-bound, bound, (n_in, n_out)), dtype=np.float32,
                                        requires_grad=True))  # fmt: skip
                params.append(st.tensor(np.zeros(n_out), dtype=np.float32, requires_grad=True))
            w1, b1, w2, b2, w3, b3 = params
            self.forward = lambda x: ((x @ w1 + b1).relu() @ w2 + b2).relu() @ w3 + b3
        self.params = params
        self.opt = st.optim.Adam(params, lr=1e-3)

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        st = self.st
        self.opt.zero_grad()
        loss = st.cross_entropy(self.forward(st.Tensor(x)), st.Tensor(y))
        loss.backward()
        self.opt.step()


class TorchRun:
    def __init__(self, batch: int) -> None:
        import torch

        self.torch = torch
        torch.manual_seed(0)
        nn = torch.nn
        self.model = nn.Sequential(
            nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
            nn.Linear(SIZES[2], SIZES[3]),
        )  # fmt: skip
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.loss = nn.CrossEntropyLoss()

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        torch = self.torch
        self.opt.zero_grad()
        loss = self.loss(self.model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        self.opt.step()


CLOCK = time.perf_counter  # time.thread_time with --single-thread
SETTLE_S = 0.5  # pause before each timed run: see bench_conv.SETTLE_S


def time_run(runner, x: np.ndarray, y: np.ndarray, batch: int, steps: int) -> float:
    """Samples per second over ``steps`` consecutive training steps."""
    n = len(x) // batch
    start = CLOCK()
    for i in range(steps):
        j = i % n
        runner.step(x[j * batch : (j + 1) * batch], y[j * batch : (j + 1) * batch])
    return steps * batch / (CLOCK() - start)


def time_optimizer_step(opt, repeats: int = 30) -> float:
    """Median seconds of ``opt.step()`` alone (gradients already in place)."""
    times = []
    for _ in range(repeats):
        start = CLOCK()
        opt.step()
        times.append(CLOCK() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--model", choices=["nn", "raw"], default="nn")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--single-thread", action="store_true")
    args = parser.parse_args()

    import steepest as st

    global CLOCK
    if args.single_thread:
        if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
            parser.error("--single-thread needs OPENBLAS_NUM_THREADS=1 in the environment")
        st.optim.parallel.set_num_threads(1)
        CLOCK = time.thread_time

    try:
        if args.no_torch:
            raise ImportError
        import torch

        torch_version = torch.__version__
        if args.single_thread:
            torch.set_num_threads(1)
    except ImportError:
        torch = None
        torch_version = "not installed"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    threads = f" ({torch.get_num_threads()} threads)" if torch else ""
    opt_threads = st.optim.parallel.get_num_threads()
    print(f"numpy {np.__version__}, steepest {st.__version__}, torch {torch_version}{threads}, "
          f"optimizer threads {opt_threads}, model={args.model}, "
          f"clock={'thread CPU time' if args.single_thread else 'wall'}")  # fmt: skip
    x, y = make_data(4096)
    print(f"{'batch':>5} {'steepest/s':>11} {'torch/s':>9} {'ratio':>6} "
          f"{'opt step st':>12} {'torch':>8}")  # fmt: skip
    for batch in args.batch:
        runners = {"steepest": SteepestRun(batch, args.model)}
        if torch is not None:
            runners["torch"] = TorchRun(batch)
        speeds: dict[str, list[float]] = {k: [] for k in runners}
        for r in runners.values():
            time_run(r, x, y, batch, 10)  # warm-up: buffers, caches, BLAS threads
        for _ in range(args.repeats):
            for name, r in runners.items():  # alternate, so load changes hit both
                time.sleep(SETTLE_S)  # the other library's threads stop spinning first
                warm(lambda r=r, b=batch: time_run(r, x, y, b, 1))  # as bench_conv.measure does
                speeds[name].append(time_run(r, x, y, batch, args.steps))
        med = {k: statistics.median(v) for k, v in speeds.items()}
        opt_st = time_optimizer_step(runners["steepest"].opt)
        line = f"{batch:>5} {med['steepest']:>11,.0f}"
        if torch is not None:
            opt_torch = time_optimizer_step(runners["torch"].opt)
            line += f" {med['torch']:>9,.0f} {med['steepest'] / med['torch']:>6.2f}"
            line += f" {opt_st * 1e3:>10.2f}ms {opt_torch * 1e3:>6.2f}ms"
        else:
            line += f" {'-':>9} {'-':>6} {opt_st * 1e3:>10.2f}ms {'-':>8}"
        print(line, flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
