"""DataLoader(num_workers=k): seconds per epoch with threads, for two kinds of batch cost.

* ``numpy``: an array dataset whose batch transform is NumPy work on whole batches (a 2-D FFT
  blur of 3x64x64 images), the case where NumPy releases the GIL;
* ``python``: a per-sample dataset whose ``__getitem__`` is a Python loop, which holds it.

    OPENBLAS_NUM_THREADS=1 python bench/bench_loader_workers.py --workers 0,1,2 --repeats 3
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from steepest.data import ArrayDataset, DataLoader


def blur(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f = np.fft.rfft2(x)
    h, w = x.shape[-2], f.shape[-1]
    ky, kx = np.fft.fftfreq(h)[:, None], np.fft.rfftfreq(x.shape[-1])[None, :w]
    return np.fft.irfft2(f * np.exp(-(ky**2 + kx**2) * 40.0 * rng.uniform(0.5, 1.5)), x.shape[-2:])


class PythonDataset:
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        total = 0.0
        for k in range(3000):  # pure-Python work per sample
            total += (i * k) % 7
        return np.full(8, total, np.float32), i % 10


def epoch_seconds(loader: DataLoader) -> float:
    start = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workers", default="0,1,2")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    x = np.random.default_rng(0).standard_normal((1024, 3, 64, 64)).astype(np.float32)
    kinds = {
        "numpy": lambda k: DataLoader(
            ArrayDataset(x, np.arange(1024)), batch_size=64, seed=0, transform=blur, num_workers=k
        ),
        "python": lambda k: DataLoader(PythonDataset(1024), batch_size=64, seed=0, num_workers=k),
    }
    for name, make in kinds.items():
        for k in [int(w) for w in args.workers.split(",")]:
            loader = make(k)
            times = sorted(epoch_seconds(loader) for _ in range(args.repeats))
            print(f"{name:7s} num_workers={k}: median {times[len(times) // 2]:.3f} s/epoch")


if __name__ == "__main__":
    main()
