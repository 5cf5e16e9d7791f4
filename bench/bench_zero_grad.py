"""Step time with ``zero_grad(set_to_none=False)`` (in place) against ``zero_grad()`` (None).

Run: OPENBLAS_NUM_THREADS=1 python bench/bench_zero_grad.py [--repeats 9] [--steps 60]
A 784-256-10 MLP with Adam; the two settings alternate, each reported as its minimum ms/step
over the repeats (the least disturbed run on a shared machine).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import steepest as st


def ms_per_step(set_to_none: bool, batch: int, steps: int) -> float:
    nn = st.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = st.optim.Adam(model.parameters(), lr=1e-3)
    x = st.randn(batch, 784, generator=st.Generator(0))
    y = st.tensor(np.arange(batch) % 10)

    def step() -> None:
        opt.zero_grad(set_to_none=set_to_none)
        st.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(5):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    for batch in (32, 128):
        times: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.repeats):
            for set_to_none in (False, True):
                times[set_to_none].append(ms_per_step(set_to_none, batch, args.steps))
        print(
            f"batch {batch}: in place {min(times[False]):.3f} ms/step, "
            f"set_to_none {min(times[True]):.3f} ms/step"
        )


if __name__ == "__main__":
    main()
