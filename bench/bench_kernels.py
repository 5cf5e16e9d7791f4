"""Adam's update on a flat buffer: the ufunc rule against the C loop built with different flags.

    PYTHONPATH=src .venv/bin/python bench/bench_kernels.py [--size 669706] [--repeats 200]

Why ``steepest/optim/kernels.py`` builds with the flags it does: the same ``kernels.c`` is
compiled here with its flags, without ``-march=native`` (the compiler's baseline vector width)
and without ``-fno-math-errno`` (``sqrt`` must then set ``errno`` and the loop stays scalar),
and each build's ``adam_float32`` is timed on one thread beside the ufunc rule (``Adam.update``
with the fused loops switched off), on the 784-512-512-10 MLP's 669,706 parameters. Also
checks that every build gives the ufunc rule's bits.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import steepest as st
from steepest.optim import kernels


def timed(fn, repeats: int) -> float:
    fn()
    start = time.thread_time()
    for _ in range(repeats):
        fn()
    return (time.thread_time() - start) / repeats * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=669706)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    st.optim.parallel.set_num_threads(1)
    rng = np.random.default_rng(0)
    p = st.tensor(rng.normal(size=args.size), dtype=np.float32, requires_grad=True)
    p.grad = st.tensor(rng.normal(size=args.size), dtype=np.float32)
    opt = st.optim.Adam([p], lr=1e-3)
    kernels.set_enabled(False)
    opt.step()
    start_p, start_state = p.data.copy(), {k: v.copy() for k, v in opt.state[p].items() if
                                            hasattr(v, "copy")}  # fmt: skip
    print(f"Adam on {args.size:,} float32 values, one thread, load {os.getloadavg()[0]:.2f}; "
          f"CPU ms per update (mean of {args.repeats})")  # fmt: skip
    print(f"  ufunc rule (13 passes)                 {timed(opt.step, args.repeats):6.3f}")

    # one update from the same state, by the ufunc rule: the bits every build must give
    p.data[...] = start_p
    for k, v in start_state.items():
        opt.state[p][k][...] = v
    opt.step()
    want = p.data.copy()

    compiler = os.environ.get("CC", "cc")
    builds = {
        "C, kernels.py's flags": list(kernels.FLAGS),
        "C, without -march=native": [f for f in kernels.FLAGS if f != "-march=native"],
        "C, without -fno-math-errno": [f for f in kernels.FLAGS if f != "-fno-math-errno"],
    }
    s = np.float32
    args_c = (s(0.1), s(0.999), s(0.001), s(0.5), s(1e-8), s(1e-3))
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, flags) in enumerate(builds.items()):
            lib_path = Path(tmp) / f"k{i}.so"
            subprocess.run([compiler, *flags, "-o", str(lib_path), str(kernels.SOURCE)],
                           check=True, capture_output=True)  # fmt: skip
            adam = kernels._adam(ctypes.CDLL(str(lib_path)))
            buffers = [rng.random(args.size, dtype=np.float32) for _ in range(4)]
            ms = timed(lambda adam=adam, b=buffers: adam(*b, *args_c), args.repeats)
            # the same update as the ufunc rule above, from the same state
            pp, m = start_p.copy(), start_state["exp_avg"].copy()
            v, step = start_state["exp_avg_sq"].copy(), opt.state[p]["step"]
            b1, b2 = opt.param_groups[0]["betas"]
            bc2 = math.sqrt(1 - b2**step)  # as Adam.coefficients computes it
            size = 1e-3 / (1 - b1**step)
            adam(pp, p.grad.data, m, v, s(1 - b1), s(b2), s(1 - b2), s(bc2), s(1e-8), s(size))
            same = np.array_equal(pp, want)
            print(f"  {name:<38} {ms:6.3f}   same bits as the ufunc rule: {same}")


if __name__ == "__main__":
    main()
