"""Helpers shared by the model benchmarks: optional PyTorch, one-thread mode, GEMM limit.

Timing itself is ``bench_conv.measure`` (every case once per repeat, interleaved, median or
min); this module adds what the whole-model benchmarks need on top of it:

- ``setup(single_thread)``: PyTorch if importable (else None), one thread everywhere and the
  CPU clock when asked (as ``bench_mlp.py --single-thread``);
- ``gemm_case(shapes)`` / ``gflop(shapes)``: the float32 matrix products a training step of
  the model performs (forward, input and weight gradients), run alone in NumPy: the practical
  limit of a framework that builds every layer on GEMM.

>>> torch, clock = setup(single_thread=False)
>>> shapes = linear_gemms(128, [(784, 512), (512, 10)])
>>> run_limit = gemm_case(shapes); gflop(shapes)
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from collections.abc import Callable

import numpy as np

# (m, k, n, times): `times` products (m, k) @ (k, n) per training step
Gemm = tuple[int, int, int, int]


def setup(single_thread: bool, no_torch: bool = False):
    """(torch module or None, clock name for ``bench_conv.measure``)."""
    import steepest as st

    torch = None
    if not no_torch:
        with contextlib.suppress(ImportError):
            import torch  # optional, bench only
    if single_thread:
        if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
            sys.exit("--single-thread needs OPENBLAS_NUM_THREADS=1 in the environment")
        st.optim.parallel.set_num_threads(1)
        if hasattr(st.ops, "threads"):  # the conv / pool / batch-norm blocks too
            st.ops.threads.set_num_threads(1)
        if torch is not None:
            torch.set_num_threads(1)
    return torch, "cpu" if single_thread else "wall"


def header(torch, clock: str, stat: str, repeats: int) -> str:
    import steepest as st

    threads = f" ({torch.get_num_threads()} threads)" if torch else ""
    return (
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}\n"
        f"numpy {np.__version__}, steepest {st.__version__}, "
        f"torch {torch.__version__ if torch else 'not used'}{threads}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
        f"{stat} of {repeats} repeats, clock={'process CPU time' if clock == 'cpu' else 'wall'}"
    )


def conv_gemms(n: int, c: int, h: int, w: int, o: int, k: int, pad: int, first: bool) -> list:
    """im2col GEMMs of a stride-1 conv: forward, weight gradient, input gradient (not for the
    network's first layer, whose input needs none)."""
    ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    ck, p = c * k * k, n * ho * wo
    shapes = [(o, ck, p, 1), (o, p, ck, 1)]
    return shapes if first else [*shapes, (ck, o, p, 1)]


def strided_conv_gemms(
    n: int, c: int, h: int, w: int, o: int, k: int, stride: int, pad: int, first: bool
) -> list:
    """``conv_gemms`` for any stride: Ho = (h + 2 pad - k) // stride + 1 (Wo alike) and the
    three products run over the N Ho Wo output pixels (col2im scatters the input gradient back
    to the strided grid after its GEMM, at no GEMM cost)."""
    ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    ck, p = c * k * k, n * ho * wo
    shapes = [(o, ck, p, 1), (o, p, ck, 1)]
    return shapes if first else [*shapes, (ck, o, p, 1)]


def linear_gemms(n: int, layers: list[tuple[int, int]], times: int = 1) -> list:
    """Forward, weight-gradient and input-gradient products of each (in, out) layer."""
    return [s for i, o in layers for s in ((n, i, o, times), (i, n, o, times), (n, o, i, times))]


def gflop(shapes: list) -> float:
    return sum(2 * m * k * n * t for m, k, n, t in shapes) / 1e9


def gemm_case(shapes: list, seed: int = 0) -> Callable[[], None]:
    """A callable running every product of ``shapes`` once, on preallocated float32 arrays."""
    rng = np.random.default_rng(seed)
    pairs = [
        (rng.standard_normal((m, k), dtype=np.float32),
         rng.standard_normal((k, n), dtype=np.float32),
         np.empty((m, n), np.float32), t)
        for m, k, n, t in shapes
    ]  # fmt: skip

    def run() -> None:
        for a, b, out, t in pairs:
            for _ in range(t):
                np.matmul(a, b, out=out)

    return run
