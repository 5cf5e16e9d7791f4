"""Wall time for steepest's MNIST recipe to reach a target test accuracy (issue 15: 99.2% in
<= 20 s), evaluating after every epoch and stopping at the target or at a time cap.

    PYTHONPATH=src .venv/bin/python bench/bench_time_to_accuracy.py [--target 0.992]
        [--cap 120] [--model lenet5] [--[no-]batch-norm] [--epochs 4] [--lr 2e-2] [--batch 128]
        [--seed 0] [--device cpu|cuda]

The recipe: ``st.models`` ``--model``, by default LeNet-5 with batch norm after each
convolution (plain LeNet-5 stalls near 99.2% after 7 epochs; with batch norm it passes 99.2%
in 4 on seeds 0, 1 and 2: 99.39%, 99.30%, 99.29%). Adam under a OneCycleLR schedule laid out
over ``--epochs`` epochs (max lr ``--lr``, per batch), shuffled batches of ``--batch`` from
``st.datasets.mnist.load_data()`` scaled to [0, 1]; test accuracy on the 10,000 test images
after each epoch. The clock runs from before ``load_data()`` to the evaluation that reaches
the target (data, model, training and every evaluation included; with ``--device cuda`` each
batch is copied to the GPU as it is drawn, as ``steepest train --device cuda`` does; MNIST
comes from the cache, ``$STEEPEST_DATA/mnist/mnist.npz``). If the cap or the last
epoch comes first the script says so and reports the best accuracy and when it was reached.

``--torch``: the same recipe in PyTorch at its defaults (LeNet-5 with BatchNorm2d after each
bias-free convolution, Adam, ``torch.optim.lr_scheduler.OneCycleLR`` with the same arguments,
shuffled batches, the same data from ``st.datasets.mnist``), for the side-by-side of issue 15.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import steepest as st


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.992)
    parser.add_argument("--cap", type=float, default=120.0, help="seconds of wall time")
    parser.add_argument("--model", default="lenet5")
    parser.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=True,
                        help="LeNet-5 with batch norm (the default recipe)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=4, help="length of the lr schedule")
    parser.add_argument("--lr", type=float, default=2e-2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--torch", action="store_true", help="run the recipe in PyTorch (CPU)")
    args = parser.parse_args()
    try:
        st.backend.require_device(args.device)
    except RuntimeError as exc:  # no CuPy or no GPU: one line, no traceback
        raise SystemExit(f"bench_time_to_accuracy.py: {exc}") from None
    print(f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; {args}")
    start = time.perf_counter()
    (x, y), (x_test, y_test) = st.datasets.mnist.load_data(download=False)
    scale = lambda a: (a.reshape(-1, 1, 28, 28) / np.float32(255)).astype(np.float32)  # noqa: E731
    x, x_test = scale(x), scale(x_test)
    train = (torch_recipe if args.torch else steepest_recipe)(args, x, y)
    best, best_at, reached, now = 0.0, 0.0, False, 0.0
    for epoch in range(1, args.epochs + 1):
        train(lambda: time.perf_counter() - start > args.cap)
        acc = float((train.predict(x_test).argmax(1) == y_test).mean())
        now = time.perf_counter() - start
        if acc > best:
            best, best_at = acc, now
        print(f"epoch {epoch}: test accuracy {acc:.4f} at {now:.1f} s", flush=True)
        if acc >= args.target:
            reached = True
            break
        if now > args.cap:
            break
    if reached:
        print(f"REACHED {args.target:.2%} test accuracy in {best_at:.1f} s wall "
              f"(goal <= 20 s: {'met' if best_at <= 20 else 'not met'})")  # fmt: skip
    else:
        why = f"time cap of {args.cap:.0f} s hit" if now > args.cap else "schedule ended"
        print(f"NOT REACHED: {why} before {args.target:.2%}; best test accuracy {best:.4f} "
              f"at {best_at:.1f} s wall")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def steepest_recipe(args, x: np.ndarray, y: np.ndarray):
    """A callable training one epoch (stopping early when ``over()``), with ``.predict``."""
    st.manual_seed(args.seed)
    kwargs = {"batch_norm": True} if args.batch_norm and args.model == "lenet5" else {}
    model = st.models.get(args.model, **kwargs).to(args.device)
    loader = st.data.DataLoader(st.data.ArrayDataset(x, y), batch_size=args.batch,
                                shuffle=True, seed=args.seed)  # fmt: skip
    opt = st.optim.Adam(model.parameters(), lr=args.lr)
    sched = st.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                             steps_per_epoch=len(loader))  # fmt: skip
    loss_fn = st.nn.CrossEntropyLoss()

    def epoch(over) -> None:
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb.to(args.device)), yb.to(args.device)).backward()
            opt.step()
            sched.step()
            if over():
                break

    epoch.predict = lambda xt: st.train.predict(model, xt, batch_size=1000)
    return epoch


def torch_recipe(args, x: np.ndarray, y: np.ndarray):
    """The same recipe in PyTorch (its default threads)."""
    import torch  # optional, bench only

    nn = torch.nn
    torch.manual_seed(args.seed)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, bias=False), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )  # fmt: skip
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    steps = -(-len(x) // args.batch)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps)  # fmt: skip
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)

    def epoch(over) -> None:
        model.train()
        order = torch.randperm(len(x), generator=gen)
        for i in range(steps):
            idx = order[i * args.batch : (i + 1) * args.batch]
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
            sched.step()
            if over():
                break

    def predict(x_test: np.ndarray) -> np.ndarray:
        model.eval()
        with torch.no_grad():
            xs = torch.from_numpy(x_test)
            return torch.cat([model(xs[i : i + 1000]) for i in range(0, len(xs), 1000)]).numpy()

    epoch.predict = predict
    return epoch


if __name__ == "__main__":
    main()
