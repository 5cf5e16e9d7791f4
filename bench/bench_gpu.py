"""Training-step throughput on a device: MLP, LeNet-5 and ResNet-20, steepest (through CuPy)
beside PyTorch on the same device when PyTorch has CUDA.

    PYTHONPATH=src python bench/bench_gpu.py [--device cuda] [--models mlp,lenet5,resnet20]
        [--steps 20] [--warmup 3] [--repeats 3] [--json]

One case is ``--steps`` full training steps (zero_grad, forward, cross-entropy, backward, Adam
step) on random data of the model's input shape, already on the device (batches are slices of
it: no host-to-device copy inside the timed loop). The clock stops after the device has
finished (``st.backend.synchronize`` / ``torch.cuda.synchronize``), so queued work is counted.
``--warmup`` untimed steps first: CuPy compiles each elementwise kernel on its first use.
Reported: median samples/s of ``--repeats`` runs, and steepest / PyTorch (> 1: steepest
faster). The models: the MLP 784-512-512-10 of bench_mlp.py (batch 128), ``st.models`` LeNet-5
(batch 128) and ResNet-20 (3x32x32, batch 128), PyTorch's built as in bench_models.py with the
parameter counts checked equal. ``--device cpu`` runs the same script on the host (NumPy).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time

import numpy as np
from bench_models import count_parameters, torch_model

import steepest as st

BATCH = 128
INPUTS = {"mlp": (784,), "lenet5": (1, 28, 28), "resnet20": (3, 32, 32)}


def steepest_model(name: str):
    if name == "mlp":
        nn = st.nn
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))  # fmt: skip
    return st.models.get(name)


def torch_mlp(torch):
    nn = torch.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))  # fmt: skip


def steepest_case(name: str, device: str, x: np.ndarray, y: np.ndarray):
    st.manual_seed(0)
    model = steepest_model(name).to(device)
    opt = st.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = st.nn.CrossEntropyLoss()
    xd, yd = st.tensor(x, device=device), st.tensor(y, device=device)
    n = len(x) // BATCH

    def run(steps: int) -> None:
        for i in range(steps):
            j = (i % n) * BATCH
            opt.zero_grad()
            loss_fn(model(xd[j : j + BATCH]), yd[j : j + BATCH]).backward()
            opt.step()
        st.backend.synchronize(device)

    return run, count_parameters(model.parameters())


def torch_case(torch, name: str, device: str, x: np.ndarray, y: np.ndarray):
    torch.manual_seed(0)
    model = (torch_mlp(torch) if name == "mlp" else torch_model(torch, name)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xd, yd = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    n = len(x) // BATCH

    def run(steps: int) -> None:
        for i in range(steps):
            j = (i % n) * BATCH
            opt.zero_grad()
            loss_fn(model(xd[j : j + BATCH]), yd[j : j + BATCH]).backward()
            opt.step()
        if device == "cuda":
            torch.cuda.synchronize()

    return run, count_parameters(model.parameters())


def measure(cases: dict, steps: int, warmup: int, repeats: int) -> dict[str, float]:
    """Median samples/s of each case; the cases alternate within each repeat."""
    for run in cases.values():
        run(warmup)
    rates: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeats):
        for k, run in cases.items():
            start = time.perf_counter()
            run(steps)
            rates[k].append(steps * BATCH / (time.perf_counter() - start))
    return {k: statistics.median(v) for k, v in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=("cpu", "cuda"))
    parser.add_argument("--models", default="mlp,lenet5,resnet20")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--json", action="store_true", help="also one JSON line per model")
    args = parser.parse_args()
    try:
        xp = st.backend.require_device(args.device)
    except RuntimeError as exc:  # no CuPy or no GPU: one line, no traceback
        raise SystemExit(f"bench_gpu.py: {exc}") from None
    torch = None
    if not args.no_torch:
        with contextlib.suppress(ImportError):
            import torch  # optional, bench only
        if torch is not None and args.device == "cuda" and not torch.cuda.is_available():
            torch = None
    gpu = ""
    if args.device == "cuda":
        props = xp.cuda.runtime.getDeviceProperties(0)
        gpu = f", GPU {props['name'].decode()}, CuPy {xp.__version__}"
    print(f"device {args.device}{gpu}, numpy {np.__version__}, steepest {st.__version__}, "
          f"torch {torch.__version__ if torch else 'not used'}; median of {args.repeats} "
          f"repeats of {args.steps} steps after {args.warmup} warm-up steps, batch {BATCH}")
    print(f"{'model':>9} {'params':>9} {'steepest/s':>11} {'torch/s':>9} {'ratio':>6}")
    for name in filter(None, args.models.split(",")):
        rng = np.random.default_rng(0)
        x = rng.random((BATCH * 4, *INPUTS[name]), dtype=np.float32)
        y = rng.integers(0, 10, BATCH * 4).astype(np.int64)
        cases, params = {}, {}
        cases["steepest"], params["steepest"] = steepest_case(name, args.device, x, y)
        if torch is not None:
            cases["torch"], params["torch"] = torch_case(torch, name, args.device, x, y)
            if params["torch"] != params["steepest"]:
                raise SystemExit(f"{name}: PyTorch {params['torch']} parameters, steepest "
                                 f"{params['steepest']}: not the same network")
        rates = measure(cases, args.steps, args.warmup, args.repeats)
        t = rates.get("torch")
        tcell, ratio = (f"{t:9,.0f}", f"{rates['steepest'] / t:6.3f}") if t else ("-", "-")
        print(f"{name:>9} {params['steepest']:>9,} {rates['steepest']:11,.0f} {tcell:>9} "
              f"{ratio:>6}", flush=True)
        if args.json:
            print("JSON " + json.dumps({"model": name, "device": args.device, **rates}))


if __name__ == "__main__":
    main()
