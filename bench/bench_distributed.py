"""Data-parallel scaling on MPI: 1 and 2 processes x 1 BLAS thread, and 1 process x 2 threads.

Run (one line; takes ~4 minutes on 2 cores):
    python bench/bench_distributed.py [--models mlp,lenet5,mnist_cnn] [--steps 30] [--repeats 3]

For each model the same training step (zero_grad, forward, backward, allreduce, Adam) runs on a
*global* batch (MLP 784-512-512-10: 256; LeNet-5 on 28x28: 128; the classic MNIST CNN,
conv32-conv64-pool-fc128: 128) of random MNIST-shaped data:

* ``1p x 1t``: one process, ``OPENBLAS_NUM_THREADS=STEEPEST_NUM_THREADS=1`` (BLAS, kernels and
  optimizer on one thread; before 2026-12-04 the conv kernels' pool still ran 2 threads here);
* ``2p x 1t``: ``mpiexec -n 2 python -m mpi4py``, each rank one thread and half the batch;
* ``1p x 2t``: one process, two threads of each (what one process does alone).

The three configurations alternate, ``--repeats`` times each; medians are reported: global
samples/s, the speed-up over 1p x 1t, and for 2 processes the time inside the gradient
Allreduce per step and its share of the step. That time includes waiting for the slower rank;
``pure allreduce`` times the same Allreduce again right after a barrier (communication alone).
The load average is printed beside the numbers: on a shared machine they mean little.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BATCH = {"mlp": 256, "lenet5": 128, "mnist_cnn": 128}


def _model(name: str):
    import steepest as st

    st.manual_seed(0)
    if name == "mlp":
        return st.models.get("mlp", in_features=784, hidden=[512, 512], num_classes=10), (784,)
    return st.models.get(name, in_channels=1, num_classes=10), (1, 28, 28)


def worker(name: str, steps: int, warmup: int = 5) -> None:
    # --batch overrides the global batch (a larger one shows the per-step fixed costs' share)
    """One configuration (inside mpiexec or alone): train, print one JSON line on rank 0."""
    import steepest as st
    from steepest import distributed as dist

    model, shape = _model(name)
    opt = dist.DistributedOptimizer(st.optim.Adam(model.parameters(), lr=1e-3), model)
    world, rank = dist.world_size(), dist.rank()
    local = BATCH[name] // world
    rng = np.random.default_rng(rank)
    x = st.tensor(rng.random((local, *shape), dtype=np.float32))
    y = st.tensor(rng.integers(0, 10, local))
    loss_fn = st.nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    dist.barrier()
    opt.allreduce_seconds = 0.0
    start = time.perf_counter()
    for _ in range(steps):
        step()
    dist.barrier()
    seconds = time.perf_counter() - start
    pure = 0.0
    grads = opt.optimizer.grad_buffers()
    for _ in range(steps):
        dist.barrier()
        t = time.perf_counter()
        for g in grads:
            dist.allreduce_sum_(g)
        pure += time.perf_counter() - t
    if dist.is_main():
        print(json.dumps({"samples_per_s": BATCH[name] * steps / seconds,
                          "step_ms": 1e3 * seconds / steps,
                          "allreduce_ms": 1e3 * opt.allreduce_seconds / steps,
                          "pure_allreduce_ms": 1e3 * pure / steps if world > 1 else 0.0,
                          "grad_mb": sum(g.nbytes for g in grads) / 1e6}))


def _run(config: str, name: str, steps: int, batch: int | None) -> dict[str, float]:
    from steepest.distributed import launch

    procs, threads = {"1p x 1t": (1, 1), "2p x 1t": (2, 1), "1p x 2t": (1, 2)}[config]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "STEEPEST_NUM_THREADS"):  # steepest's own pool (kernels, optimizer) too
        env[key] = str(threads)
    program = [str(Path(__file__).resolve()), "--worker", name, "--steps", str(steps)]
    if batch:
        program += ["--batch", str(batch)]
    cmd = launch.mpi_command(procs, program) if procs > 1 else [sys.executable, *program]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="mlp,lenet5,mnist_cnn")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=None, help="global batch for every model")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.batch:
        BATCH.update(dict.fromkeys(BATCH, args.batch))
    if args.worker:
        worker(args.worker, args.steps)
        return
    configs = ("1p x 1t", "2p x 1t", "1p x 2t")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
          f"load average before: {os.getloadavg()[0]:.2f}")
    print("| model (global batch) | config | samples/s | vs 1p x 1t | allreduce ms/step "
          "(share) | pure allreduce ms | gradient MB |")
    print("|---|---|---|---|---|---|---|")
    for name in args.models.split(","):
        runs: dict[str, list[dict[str, float]]] = {c: [] for c in configs}
        for _ in range(args.repeats):
            for c in configs:
                runs[c].append(_run(c, name, args.steps, args.batch))
        base = statistics.median(r["samples_per_s"] for r in runs["1p x 1t"])
        for c in configs:
            med = {k: statistics.median(r[k] for r in runs[c]) for k in runs[c][0]}
            share = med["allreduce_ms"] / med["step_ms"]
            reduce = (f"{med['allreduce_ms']:.2f} ({share:.0%})" if c.startswith("2p") else "-")
            pure = f"{med['pure_allreduce_ms']:.2f}" if c.startswith("2p") else "-"
            print(f"| {name} ({BATCH[name]}) | {c} | {med['samples_per_s']:.0f} | "
                  f"{med['samples_per_s'] / base:.2f}x | {reduce} | {pure} | "
                  f"{med['grad_mb']:.2f} |")
    print(f"# load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
