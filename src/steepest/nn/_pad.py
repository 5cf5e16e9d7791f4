"""``F.pad``: PyTorch's flat pad tuple and its four modes, composed from getitem and ops.pad.

``pad = (left_last, right_last, left_second_last, right_second_last, ...)`` pads the last
``len(pad) // 2`` dimensions, last dimension first. A negative amount crops. ``constant`` fills
with ``value``; ``reflect`` mirrors without repeating the edge (``dcb|abcd|cba``),
``replicate`` repeats the edge (``aaa|abcd|ddd``), ``circular`` wraps around (``bcd|abcd|abc``).

The non-constant modes are one gather per padded dimension (``x[..., idx]`` with ``idx`` the
source position of each output position); getitem's rule adds the gradient of every copy back
into its source, so no rule of its own is needed.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
from ..tensor import Tensor

MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(mode: str, n: int, before: int, after: int) -> np.ndarray:
    """For each position of the padded axis, the input position it copies."""
    i = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    reflected = np.abs(i)  # reflect: -k -> k on the left, n-1+k -> n-1-k on the right
    return np.where(reflected > n - 1, 2 * (n - 1) - reflected, reflected)


def _amounts(pad: Sequence[int], ndim: int, mode: str) -> list[tuple[int, int]]:
    try:
        flat = [operator.index(p) for p in pad]
    except TypeError:
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}") from None
    if len(flat) % 2 or len(flat) // 2 > ndim:
        raise ValueError(
            f"pad: pad {tuple(pad)} must hold (before, after) pairs for at most {ndim} "
            f"dimensions, last dimension first"
        )
    if mode != "constant" and len(flat) // 2 > max(ndim - 1, 0):
        raise ValueError(
            f"pad: mode {mode!r} pads at most ndim - 1 = {ndim - 1} dimensions of a {ndim}-D "
            f"input (the first is the batch or channel axis), got {len(flat) // 2} pairs"
        )
    widths = [(0, 0)] * ndim
    for k in range(len(flat) // 2):
        widths[ndim - 1 - k] = (flat[2 * k], flat[2 * k + 1])
    return widths


def pad(
    input: Any, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad (or, with negative amounts, crop) the last ``len(pad) // 2`` dimensions.

    >>> F.pad(st.ones(1, 2, 3), (1, 2)).shape                      # last dim 3 -> 6
    (1, 2, 6)
    >>> F.pad(st.randn(1, 1, 4, 4), (1, 1, 2, 0), mode="reflect").shape
    (1, 1, 6, 6)
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    if mode != "constant" and value not in (None, 0, 0.0):
        raise ValueError(f"pad: value={value} only applies to mode 'constant', not {mode!r}")
    widths = _amounts(pad, x.ndim, mode)
    # crop first: negative amounts remove elements, whatever the mode
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        index = []
        for (lo, hi), n in zip(widths, x.shape, strict=True):
            start, stop = max(-lo, 0), n - max(-hi, 0)
            if stop < start:
                raise ValueError(f"pad: cropping {(lo, hi)} removes more than the {n} elements")
            index.append(slice(start, stop))
        x = x[tuple(index)]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if all(lo == 0 and hi == 0 for lo, hi in widths):
        return x
    if mode == "constant":
        return ops.pad(x, widths, 0.0 if value is None else value)
    for axis, ((lo, hi), n) in enumerate(zip(widths, x.shape, strict=True)):
        if lo == 0 and hi == 0:
            continue
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(
                f"pad: reflect padding {(lo, hi)} must be smaller than the dimension {n} "
                f"(dim {axis} of input {tuple(input.shape)})"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise ValueError(
                f"pad: circular padding {(lo, hi)} must be at most the dimension {n} "
                f"(dim {axis} of input {tuple(input.shape)})"
            )
        if n == 0:
            raise ValueError(f"pad: mode {mode!r} cannot pad the empty dim {axis}")
        idx = _source_index(mode, n, lo, hi)
        if not isinstance(x.data, np.ndarray):  # the index on the tensor's device
            idx = Tensor(idx).to(x.device).data
        x = x[(slice(None),) * axis + (idx,)]
    return x
