"""``F.interpolate``: nearest and (bi)linear resizing, composed from getitem, mul and add.

For output position j of an axis of input size n and output size m, the source coordinate is

* nearest: ``floor(j * r)`` (clamped to n - 1), with ``r = n / m``, or ``1 / scale_factor``
  when a scale factor is given (PyTorch's rule, so ``scale_factor=2`` repeats each element);
* linear, ``align_corners=True``: ``j (n - 1) / (m - 1)`` (corners map to corners);
* linear, ``align_corners=False``: ``max((j + 1/2) r - 1/2, 0)`` (pixel centres line up).

Linear modes blend the two neighbours ``i0 = floor(src)`` and ``i1 = min(i0 + 1, n - 1)`` with
weight ``src - i0``, one axis after the other. Gathers carry their own gradient (getitem adds
each copy back), so no rule is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import array_module
from ..tensor import Tensor

_MODES = {"nearest": None, "linear": 3, "bilinear": 4}


def _sizes(x: Tensor, size: Any, scale_factor: Any) -> tuple[list[int], list[float | None]]:
    spatial = x.shape[2:]
    k = len(spatial)
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        sizes = [size] * k if isinstance(size, int) else list(size)
        if len(sizes) != k or any(int(s) < 1 for s in sizes):
            raise ValueError(f"interpolate: size needs {k} positive ints for input {x.shape}")
        return [int(s) for s in sizes], [None] * k
    scales = [scale_factor] * k if isinstance(scale_factor, int | float) else list(scale_factor)
    if len(scales) != k or any(float(f) <= 0 for f in scales):
        raise ValueError(f"interpolate: scale_factor needs {k} positive numbers, got "
                         f"{scale_factor!r}")  # fmt: skip
    return [math.floor(n * float(f)) for n, f in zip(spatial, scales, strict=True)], [
        float(f) for f in scales
    ]


def _ratio(n: int, m: int, scale: float | None) -> float:
    return 1.0 / scale if scale is not None else n / m


def _take(x: Tensor, axis: int, index: np.ndarray) -> Tensor:
    if not isinstance(x.data, np.ndarray):
        index = array_module(x.data).asarray(index)
    return x[(slice(None),) * axis + (index,)]


def _linear_axis(x: Tensor, axis: int, m: int, scale: float | None, align: bool) -> Tensor:
    n = x.shape[axis]
    j = np.arange(m, dtype=np.float64)
    if align:
        src = j * ((n - 1) / (m - 1)) if m > 1 else np.zeros(m)
    else:
        src = np.maximum((j + 0.5) * _ratio(n, m, scale) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = (src - i0).astype(x.dtype)
    shape = [1] * x.ndim
    shape[axis] = m
    lam_t = Tensor(lam.reshape(shape))
    if not isinstance(x.data, np.ndarray):
        lam_t = lam_t.to(x.device)
    return _take(x, axis, i0) * (1.0 - lam_t) + _take(x, axis, i1) * lam_t


def interpolate(
    input: Any,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Resize (N, C, W) or (N, C, H, W) inputs to ``size`` or by ``scale_factor``.

    ``mode``: ``"nearest"`` (any spatial rank), ``"linear"`` (3-D input), ``"bilinear"``
    (4-D input); ``align_corners`` (linear modes only, default False) as PyTorch.

    >>> F.interpolate(st.randn(1, 3, 8, 8), scale_factor=2, mode="bilinear").shape
    (1, 3, 16, 16)
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {tuple(_MODES)}, got {mode!r}")
    if x.ndim not in (3, 4):
        raise ValueError(f"interpolate: input must be (N, C, W) or (N, C, H, W), got {x.shape}")
    if _MODES[mode] is not None and x.ndim != _MODES[mode]:
        raise ValueError(f"interpolate: mode {mode!r} needs a {_MODES[mode]}-D input, got "
                         f"{x.ndim}-D {x.shape}")  # fmt: skip
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners only applies to the linear modes")
    if x.dtype.kind != "f":
        raise TypeError(f"interpolate: input must be a float tensor, got {x.dtype}")
    sizes, scales = _sizes(x, size, scale_factor)
    for offset, (m, scale) in enumerate(zip(sizes, scales, strict=True)):
        axis = 2 + offset
        n = x.shape[axis]
        if mode == "nearest":
            src = np.floor(np.arange(m) * _ratio(n, m, scale)).astype(np.int64)
            x = _take(x, axis, np.minimum(src, n - 1))
        else:
            x = _linear_axis(x, axis, m, scale, bool(align_corners))
    return x
