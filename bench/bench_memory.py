"""Peak resident memory during one MNIST-shaped MLP or CNN epoch: steepest and PyTorch, each
in its own fresh process.

    PYTHONPATH=src .venv/bin/python bench/bench_memory.py [--batch 128] [--samples 60000]
    PYTHONPATH=src .venv/bin/python bench/bench_memory.py --model lenet5 [--samples 60000]

Each child process imports its framework, builds 784-512-512-10 + Adam (``bench_mlp.py``'s
runners), makes ``--samples`` float32 MNIST-shaped examples, then trains one epoch. The peak
resident set size is ``resource.getrusage(RUSAGE_SELF).ru_maxrss``, read once before the epoch
(import + model + data) and once after it. Reported: both peaks and the growth during the
epoch; the goal of issue 6 is steepest's peak <= 0.5 x PyTorch's. Each child runs its
framework on one thread (run with OPENBLAS_NUM_THREADS=1 for NumPy's BLAS too); the data
(60,000 x 784 float32: 179 MiB) are the same in both.

``--model`` NAME (a model of ``bench_models.py``: lenet5, mnist_cnn, cnn5x5, resnet20) trains
that CNN instead, with Adam on random images of its input shape (``--batch`` 128 unless given),
each framework at its default threads (issue 15: the CNN epoch as a user runs it; steepest's
kernel threads each keep an im2col workspace, which this counts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def cnn_child(framework: str, model: str, batch: int, samples: int) -> None:
    from bench_models import (
        INPUTS,
        image_data,
        steepest_model,
        steepest_steps,
        torch_model,
        torch_steps,
    )

    x, y = image_data(samples, shape=INPUTS[model])
    if framework == "torch":
        import torch

        run = torch_steps(torch, torch_model(torch, model), x, y, batch, samples // batch)
    else:
        run = steepest_steps(steepest_model(model), x, y, batch, samples // batch)
    before = peak_mib()
    start = time.perf_counter()
    run()  # one pass over the samples
    seconds = time.perf_counter() - start
    print(json.dumps({"before": before, "peak": peak_mib(), "seconds": seconds}))


def child(framework: str, batch: int, samples: int) -> None:
    from bench_mlp import SteepestRun, TorchRun, make_data

    # one thread each: the peak is what is measured, and oversubscribed threads on a busy
    # machine only stretch the epoch (PyTorch's took 90 s instead of ~8 s with its default)
    if framework == "torch":
        import torch

        torch.set_num_threads(1)
    else:
        import steepest as st

        st.optim.parallel.set_num_threads(1)
    runner = SteepestRun(batch, "nn") if framework == "steepest" else TorchRun(batch)
    x, y = make_data(samples)
    before = peak_mib()
    start = time.perf_counter()
    for i in range(0, samples - batch + 1, batch):
        runner.step(x[i : i + batch], y[i : i + batch])
    seconds = time.perf_counter() - start
    print(json.dumps({"before": before, "peak": peak_mib(), "seconds": seconds}))


def measure(framework: str, batch: int, samples: int, model: str = "mlp") -> dict:
    cmd = [sys.executable, __file__, "--child", framework, "--batch", str(batch),
           "--samples", str(samples), "--model", model]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mlp", help="mlp, or a CNN of bench_models.py")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--json", action="store_true", help="also one JSON line")
    parser.add_argument("--child", choices=["steepest", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.model == "mlp":
            child(args.child, args.batch, args.samples)
        else:
            cnn_child(args.child, args.model, args.batch, args.samples)
        return
    try:
        if args.no_torch:
            raise ImportError
        import importlib.util

        has_torch = importlib.util.find_spec("torch") is not None
    except ImportError:
        has_torch = False
    what = "MLP 784-512-512-10" if args.model == "mlp" else f"CNN {args.model}"
    print(f"{what}, Adam, batch {args.batch}, one epoch of {args.samples} float32 "
          f"samples; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"{'framework':>10} {'before MiB':>11} {'peak MiB':>9} {'growth':>8} {'epoch s':>8}")
    rows = {}
    for fw in ["steepest", "torch"] if has_torch else ["steepest"]:
        r = rows[fw] = measure(fw, args.batch, args.samples, args.model)
        print(f"{fw:>10} {r['before']:11.0f} {r['peak']:9.0f} {r['peak'] - r['before']:8.0f} "
              f"{r['seconds']:8.1f}", flush=True)  # fmt: skip
    if has_torch:
        ratio = rows["steepest"]["peak"] / rows["torch"]["peak"]
        print(f"peak ratio steepest / torch: {ratio:.2f} (goal <= 0.5: "
              f"{'met' if ratio <= 0.5 else 'not met'})")  # fmt: skip
    if args.json:
        print("JSON " + json.dumps(rows))


if __name__ == "__main__":
    main()
