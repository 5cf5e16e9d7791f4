"""CNN training throughput: LeNet-5 (28x28, batch 128), the classic MNIST CNN
(conv32-conv64-maxpool-fc128, batch 64), a 5x5 CNN (conv16-pool-conv32-pool-fc128, 5x5 kernels
with padding 2, batch 128) and ResNet-20 (3x32x32, batch 128), steepest beside PyTorch.

    PYTHONPATH=src .venv/bin/python bench/bench_models.py [--models lenet5,mnist_cnn,cnn5x5]
        [--steps 8] [--repeats 5] [--stat median|min]
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/bench_models.py --single-thread
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/bench_models.py --single-thread \
        --models resnet20

One case is ``--steps`` full training steps (zero_grad, forward, cross-entropy, backward, Adam
step, dropout active) on random data of the model's input shape (MNIST's 1x28x28, or CIFAR's
3x32x32 for ResNet-20, 10 classes); steepest (``st.models.get(name)``), the same network in
PyTorch (equal parameter counts, checked and printed) and the model's GEMMs alone in NumPy
run in turn within each repeat (``bench_conv.measure``), so machine noise hits all alike.
Reported: samples/s, the ratio steepest / PyTorch (throughput: > 1 means steepest is faster),
GFLOP/s achieved by each (the step's conv and linear products: forward, weight and input
gradients) and "gemm": the rate of those same products run alone by NumPy in float32, the
practical limit. ``--single-thread``: one thread each, process CPU time (see bench_mlp.py).
ResNet-20 is not in the default ``--models``: at the default steps and repeats it takes about
two minutes on one thread (a step is about 1 s in steepest); name it with ``--models resnet20``.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from _common import conv_gemms, gemm_case, gflop, header, linear_gemms, setup, strided_conv_gemms
from bench_conv import measure

import steepest as st


def resnet_gemms(
    n: int,
    blocks: int,
    widths: tuple[int, ...] = (16, 32, 64),
    channels: int = 3,
    side: int = 32,
    classes: int = 10,
) -> list:
    """GEMM shapes of one training step of ``st.models.ResNet``: the 3x3 stem (no input
    gradient: its input is the data), per block two 3x3 convs (the first strided at a stage's
    start) and, where the shape changes, the 1x1 strided projection; then the fc head.
    Batch norm, pooling and the residual adds are not GEMMs."""
    shapes = conv_gemms(n, channels, side, side, widths[0], 3, 1, first=True)
    width = widths[0]
    for s, out in enumerate(widths):
        for b in range(blocks):
            stride = 2 if s > 0 and b == 0 else 1
            shapes += strided_conv_gemms(n, width, side, side, out, 3, stride, 1, first=False)
            side //= stride
            shapes += conv_gemms(n, out, side, side, out, 3, 1, first=False)
            if stride != 1 or width != out:
                shapes += strided_conv_gemms(
                    n, width, side * stride, side * stride, out, 1, stride, 0, first=False
                )
            width = out
    return shapes + linear_gemms(n, [(width, classes)])


# name: (batch, GEMM shapes of one training step)
MODELS = {
    "lenet5": (128, conv_gemms(128, 1, 28, 28, 6, 5, 2, first=True)
               + conv_gemms(128, 6, 14, 14, 16, 5, 0, first=False)
               + linear_gemms(128, [(400, 120), (120, 84), (84, 10)])),
    "mnist_cnn": (64, conv_gemms(64, 1, 28, 28, 32, 3, 0, first=True)
                  + conv_gemms(64, 32, 26, 26, 64, 3, 0, first=False)
                  + linear_gemms(64, [(9216, 128), (128, 10)])),
    "cnn5x5": (128, conv_gemms(128, 1, 28, 28, 16, 5, 2, first=True)
               + conv_gemms(128, 16, 14, 14, 32, 5, 2, first=False)
               + linear_gemms(128, [(1568, 128), (128, 10)])),
    "resnet20": (128, resnet_gemms(128, blocks=3)),
}  # fmt: skip
# name: the shape of one example (channels, height, width), 10 classes each
INPUTS = {"lenet5": (1, 28, 28), "mnist_cnn": (1, 28, 28), "cnn5x5": (1, 28, 28),
          "resnet20": (3, 32, 32)}  # fmt: skip


def cnn5x5(nn):
    """The 5x5 CNN of issue 15, in steepest's or PyTorch's ``nn`` (the same layer names)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def steepest_model(name: str):
    """The model ``name`` in steepest: a preset of ``st.models``, or one defined here."""
    return cnn5x5(st.nn) if name == "cnn5x5" else st.models.get(name)


def torch_resnet(
    torch, blocks: int, widths: tuple[int, ...] = (16, 32, 64), channels: int = 3, classes: int = 10
):
    """``st.models.ResNet`` in PyTorch, layer for layer: bias-free convs, BatchNorm2d with
    eps 1e-5 and momentum 0.1 (both libraries' defaults), 1x1 strided projection shortcuts."""
    nn = torch.nn

    def conv_bn(c: int, o: int, k: int, stride: int) -> list:
        return [
            nn.Conv2d(c, o, k, stride=stride, padding=k // 2, bias=False),
            nn.BatchNorm2d(o, eps=1e-5, momentum=0.1),
        ]

    class Block(nn.Module):
        def __init__(self, c: int, o: int, stride: int) -> None:
            super().__init__()
            self.conv1, self.bn1 = conv_bn(c, o, 3, stride)
            self.conv2, self.bn2 = conv_bn(o, o, 3, 1)
            project = stride != 1 or c != o
            self.shortcut = nn.Sequential(*conv_bn(c, o, 1, stride)) if project else nn.Identity()

        def forward(self, x):
            h = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))

    layers, width = [*conv_bn(channels, widths[0], 3, 1), nn.ReLU()], widths[0]
    for s, out in enumerate(widths):
        for b in range(blocks):
            layers.append(Block(width, out, 2 if s > 0 and b == 0 else 1))
            width = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, classes))


def torch_model(torch, name: str):
    nn = torch.nn
    if name == "resnet20":
        return torch_resnet(torch, blocks=3)
    if name == "cnn5x5":
        return cnn5x5(nn)
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


def image_data(
    n: int, seed: int = 0, shape: tuple[int, ...] = (1, 28, 28), classes: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform [0, 1) float32 images of ``shape`` and int64 labels below ``classes``."""
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape), dtype=np.float32), rng.integers(0, classes, n).astype(np.int64)


def count_parameters(params) -> int:
    """The number of scalars in an iterable of steepest or PyTorch parameters."""
    return sum(int(np.prod(p.shape)) for p in params)


def bench(name: str, torch, steps: int, repeats: int, stat: str, clock: str) -> dict:
    """Samples/s and GFLOP/s of steepest, PyTorch and the GEMMs alone, for one model."""
    batch, shapes = MODELS[name]
    x, y = image_data(batch * 8, shape=INPUTS[name])
    st.manual_seed(0)
    model = steepest_model(name)
    params = {"steepest": count_parameters(model.parameters())}
    cases = {"steepest": steepest_steps(model, x, y, batch, steps)}
    if torch is not None:
        torch.manual_seed(0)
        tmodel = torch_model(torch, name)
        params["torch"] = count_parameters(tmodel.parameters())
        if params["torch"] != params["steepest"]:
            raise ValueError(
                f"{name}: the PyTorch network has {params['torch']} parameters, "
                f"steepest's {params['steepest']}: not the same architecture"
            )
        cases["torch"] = torch_steps(torch, tmodel, x, y, batch, steps)
    counts = ", ".join(f"{k} {v:,}" for k, v in params.items())
    print(f"{name}: parameters {counts}", flush=True)
    limit = gemm_case(shapes)
    cases["gemm"] = lambda: [limit() for _ in range(steps)]
    ms = measure(cases, repeats, stat, clock)
    per_step = gflop(shapes)
    return {
        "name": name, "batch": batch, "gflop": per_step,
        **{f"{k} params": v for k, v in params.items()},
        **{f"{k}/s": steps * batch / (v / 1e3) for k, v in ms.items()},
        **{f"{k} GF/s": steps * per_step / (v / 1e3) for k, v in ms.items()},
    }  # fmt: skip


def format_row(r: dict) -> str:
    t = r.get("torch/s")
    ratio = f"{r['steepest/s'] / t:6.2f}" if t else f"{'-':>6}"
    tcells = f"{t:9,.0f} {r['torch GF/s']:9.1f}" if t else f"{'-':>9} {'-':>9}"
    return (
        f"{r['name']:>10} {r['batch']:>5} {r['steepest/s']:11,.0f} {tcells} {ratio} "
        f"{r['steepest GF/s']:9.1f} {r['gemm GF/s']:9.1f} {r['gemm/s']:11,.0f}"
    )


HEAD = (
    f"{'model':>10} {'batch':>5} {'steepest/s':>11} {'torch/s':>9} {'torch GF/s':>9} "
    f"{'ratio':>6} {'st GF/s':>9} {'gemm GF/s':>9} {'gemm-limit/s':>11}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        default="lenet5,mnist_cnn,cnn5x5",
        help=f"comma-separated, of {', '.join(MODELS)}",
    )
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
