"""CNN training throughput: LeNet-5 (28x28, batch 128) and the classic MNIST CNN
(conv32-conv64-maxpool-fc128, batch 64), steepest beside PyTorch.

    PYTHONPATH=src .venv/bin/python bench/bench_models.py [--models lenet5,mnist_cnn]
        [--steps 8] [--repeats 5] [--stat median|min]
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/bench_models.py --single-thread

One case is ``--steps`` full training steps (zero_grad, forward, cross-entropy, backward, Adam
step, dropout active) on MNIST-shaped random data; steepest (``st.models.LeNet5`` /
``st.models.MnistCNN``), the same network in PyTorch and the model's GEMMs alone in NumPy
run in turn within each repeat (``bench_conv.measure``), so machine noise hits all alike.
Reported: samples/s, the ratio steepest / PyTorch (throughput: > 1 means steepest is faster),
GFLOP/s achieved by each (the step's conv and linear products: forward, weight and input
gradients) and "gemm": the rate of those same products run alone by NumPy in float32, the
practical limit. ``--single-thread``: one thread each, process CPU time (see bench_mlp.py).
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from _common import conv_gemms, gemm_case, gflop, header, linear_gemms, setup
from bench_conv import measure

import steepest as st

# name: (batch, GEMM shapes of one training step)
MODELS = {
    "lenet5": (128, conv_gemms(128, 1, 28, 28, 6, 5, 2, first=True)
               + conv_gemms(128, 6, 14, 14, 16, 5, 0, first=False)
               + linear_gemms(128, [(400, 120), (120, 84), (84, 10)])),
    "mnist_cnn": (64, conv_gemms(64, 1, 28, 28, 32, 3, 0, first=True)
                  + conv_gemms(64, 32, 26, 26, 64, 3, 0, first=False)
                  + linear_gemms(64, [(9216, 128), (128, 10)])),
}  # fmt: skip


def torch_model(torch, name: str):
    nn = torch.nn
    if name == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )  # fmt: skip
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10),
    )  # fmt: skip


def steepest_steps(model, x: np.ndarray, y: np.ndarray, batch: int, steps: int):
    """A callable doing ``steps`` training steps of ``model`` on consecutive batches."""
    opt = st.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = st.nn.CrossEntropyLoss()
    n = len(x) // batch
    pos = [0]

    def run() -> None:
        for _ in range(steps):
            j = pos[0] % n
            pos[0] += 1
            xb, yb = x[j * batch : (j + 1) * batch], y[j * batch : (j + 1) * batch]
            opt.zero_grad()
            loss_fn(model(st.Tensor(xb)), st.Tensor(yb)).backward()
            opt.step()

    return run


def torch_steps(torch, model, x: np.ndarray, y: np.ndarray, batch: int, steps: int):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = len(x) // batch
    pos = [0]

    def run() -> None:
        for _ in range(steps):
            j = pos[0] % n
            pos[0] += 1
            opt.zero_grad()
            loss_fn(model(xt[j * batch : (j + 1) * batch]), yt[j * batch : (j + 1) * batch]
                    ).backward()  # fmt: skip
            opt.step()

    return run


def image_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n).astype(np.int64)


def bench(name: str, torch, steps: int, repeats: int, stat: str, clock: str) -> dict:
    """Samples/s and GFLOP/s of steepest, PyTorch and the GEMMs alone, for one model."""
    batch, shapes = MODELS[name]
    x, y = image_data(batch * 8)
    st.manual_seed(0)
    cases = {"steepest": steepest_steps(st.models.get(name), x, y, batch, steps)}
    if torch is not None:
        torch.manual_seed(0)
        cases["torch"] = torch_steps(torch, torch_model(torch, name), x, y, batch, steps)
    limit = gemm_case(shapes)
    cases["gemm"] = lambda: [limit() for _ in range(steps)]
    ms = measure(cases, repeats, stat, clock)
    per_step = gflop(shapes)
    return {
        "name": name, "batch": batch, "gflop": per_step,
        **{f"{k}/s": steps * batch / (v / 1e3) for k, v in ms.items()},
        **{f"{k} GF/s": steps * per_step / (v / 1e3) for k, v in ms.items()},
    }  # fmt: skip


def format_row(r: dict) -> str:
    t = r.get("torch/s")
    ratio = f"{r['steepest/s'] / t:6.2f}" if t else f"{'-':>6}"
    tcells = f"{t:9,.0f} {r['torch GF/s']:9.1f}" if t else f"{'-':>9} {'-':>9}"
    return (f"{r['name']:>10} {r['batch']:>5} {r['steepest/s']:11,.0f} {tcells} {ratio} "
            f"{r['steepest GF/s']:9.1f} {r['gemm GF/s']:9.1f} {r['gemm/s']:11,.0f}")


HEAD = (f"{'model':>10} {'batch':>5} {'steepest/s':>11} {'torch/s':>9} {'torch GF/s':>9} "
        f"{'ratio':>6} {'st GF/s':>9} {'gemm GF/s':>9} {'gemm-limit/s':>11}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    parser.add_argument("--steps", type=int, default=8, help="training steps per timed case")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--stat", choices=["median", "min"], default="median")
    parser.add_argument("--single-thread", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--json", action="store_true", help="also one JSON line per model")
    args = parser.parse_args()
    torch, clock = setup(args.single_thread, args.no_torch)
    print(header(torch, clock, args.stat, args.repeats))
    print(HEAD)
    for name in filter(None, args.models.split(",")):
        r = bench(name, torch, args.steps, args.repeats, args.stat, clock)
        print(format_row(r), flush=True)
        if args.json:
            print("JSON " + json.dumps(r))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
