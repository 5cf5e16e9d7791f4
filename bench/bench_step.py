"""One training step of a model, split into its parts: zero_grad, forward, backward, step.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/bench_step.py \
        [--model mlp|bn_cnn|lenet5|lenet5_bn|mnist_cnn] [--batch 32] [--steps 200]

The plainest training loop there is: batches are slices of one random array (no DataLoader),
Adam, cross-entropy; one thread for the optimizer; the calling thread's CPU clock; the mean
over ``--steps`` steps after 20 warm-up steps. ``mlp`` is bench_mlp.py's 784-512-512-10;
``bn_cnn`` is conv3x3(16)-BN-ReLU-pool-conv3x3(32)-BN-ReLU-pool-linear, built from st.nn layers
only, so it runs at any commit (for before/after of batch norm).
Useful for before/after comparisons of one change: run it at two commits, or with
``STEEPEST_MALLOC=0`` / ``STEEPEST_FUSED=0`` in the environment to switch off the allocator
settings / the fused optimizer loops.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import steepest as st

IMAGE = (1, 28, 28)
SHAPES = {"mlp": (784,), "bn_cnn": IMAGE, "lenet5": IMAGE, "lenet5_bn": IMAGE, "mnist_cnn": IMAGE}


def build(name: str) -> st.nn.Module:
    nn = st.nn
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))  # fmt: skip
    if name == "bn_cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
        )  # fmt: skip
    if name == "lenet5_bn":
        return st.models.get("lenet5", batch_norm=True)
    return st.models.get(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(SHAPES), default="mlp")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    st.optim.parallel.set_num_threads(1)
    if hasattr(st.ops, "threads"):  # CPU ms of one thread: the conv blocks stay here too
        st.ops.threads.set_num_threads(1)
    st.manual_seed(0)
    model = build(args.model)
    opt = st.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    n = 8 * args.batch
    x = rng.random((n, *SHAPES[args.model]), dtype=np.float32)
    y = rng.integers(0, 10, n)
    parts = np.zeros(4)
    clock = time.thread_time
    for i in range(20 + args.steps):
        j = (i % 8) * args.batch
        xb, yb = st.Tensor(x[j : j + args.batch]), st.Tensor(y[j : j + args.batch])
        t0 = clock()
        opt.zero_grad()
        t1 = clock()
        loss = st.cross_entropy(model(xb), yb)
        t2 = clock()
        loss.backward()
        t3 = clock()
        opt.step()
        t4 = clock()
        if i >= 20:
            parts += (t1 - t0, t2 - t1, t3 - t2, t4 - t3)
    ms = parts / args.steps * 1e3
    env = " ".join(f"{k}={os.environ[k]}" for k in ("STEEPEST_MALLOC", "STEEPEST_FUSED")
                   if k in os.environ)  # fmt: skip
    print(f"{args.model} batch {args.batch}, {args.steps} steps, CPU ms per step "
          f"(load {os.getloadavg()[0]:.2f}{', ' + env if env else ''}): "
          f"zero_grad {ms[0]:.3f}  forward {ms[1]:.3f}  backward {ms[2]:.3f}  "
          f"step {ms[3]:.3f}  total {ms.sum():.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
