r"""Gradient transforms: weight decay, L1 penalty, clipping, composed in front of any optimizer.

A transform changes the effective gradient :math:`d` (initially the raw gradient :math:`g`) or
the parameters :math:`p` before the update rule runs; the user's ``.grad`` is never modified.
They run in list order: the ``transforms=`` you pass, then the optimizer's built-in weight
decay, so clipping sees the raw gradient as with ``clip_grad_norm_`` before ``step()``.

=====================  ===========================================  =====================
transform              effect                                       group hyperparameter
=====================  ===========================================  =====================
WeightDecay            :math:`d \leftarrow d + \lambda p` (L2)      ``weight_decay``
DecoupledWeightDecay   :math:`p \leftarrow p (1 - \eta \lambda)`    ``weight_decay``
L1Penalty(l1)          :math:`d \leftarrow d + l_1 \operatorname{sign}(p)`  ``l1``
ClipGradNorm(c)        :math:`d \leftarrow d \min(1, c / (\|d\| + 10^{-6}))`, norm over all groups
ClipGradValue(c)       :math:`d \leftarrow \operatorname{clip}(d, -c, c)`
=====================  ===========================================  =====================

Hyperparameters live in the param groups, so a group can switch a penalty off:

>>> opt = st.optim.SGD([{"params": weights}, {"params": biases, "l1": 0.0}], lr=0.1,
...                    transforms=[st.optim.L1Penalty(1e-4), st.optim.ClipGradNorm(1.0)])
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..backend import array_module
from ._flat import Chunk


def merge_adjacent(arrays: Iterable[Any]) -> list[Any]:
    """The same elements as fewer arrays: C-contiguous arrays that follow each other in one
    flat buffer (an optimizer's gradients) become a single 1-D view, so a norm over a model's
    gradients is one BLAS call however many tensors it has."""
    out: list[Any] = []
    run: list[Any] = []  # [base, start address, end address, first array]
    for a in arrays:
        base = a.base if isinstance(a, np.ndarray) else None  # NumPy only: addresses below
        ok = (
            base is not None and base.ndim == 1 and base.flags.c_contiguous
            and a.flags.c_contiguous and a.size > 0
        )  # fmt: skip
        addr = a.__array_interface__["data"][0] if ok else None
        if ok and run and run[0] is base and run[2] == addr:
            run[2] = addr + a.nbytes
            continue
        if run:
            out.append(_span(run))
        run = [base, addr, addr + a.nbytes, a] if ok else []
        if not ok:
            out.append(a)
    if run:
        out.append(_span(run))
    return out


def _span(run: list[Any]) -> Any:
    base, start, end, first = run
    if end - start == first.nbytes:
        return first
    offset = (start - base.__array_interface__["data"][0]) // base.itemsize
    return base[offset : offset + (end - start) // base.itemsize]


def global_norm(arrays: Iterable[Any], norm_type: float = 2.0) -> float:
    """The ``norm_type``-norm of all ``arrays`` taken together (as one long vector)."""
    norm_type = float(norm_type)
    total = 0.0
    for a in merge_adjacent(arrays):
        if a.size == 0:
            continue
        flat = a.reshape(-1)
        xp = array_module(flat)
        if norm_type == 2.0:
            total += float(xp.dot(flat, flat))  # one BLAS call per array
        elif math.isinf(norm_type):
            total = max(total, float(xp.abs(flat).max()))
        else:
            total += float((xp.abs(flat) ** norm_type).sum())
    if math.isinf(norm_type):
        return total
    return math.sqrt(total) if norm_type == 2.0 else total ** (1.0 / norm_type)


def _non_negative(group: dict[str, Any], key: str, owner: str) -> None:
    value = group[key]
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"{owner}: {key} must be a number >= 0, got {value!r}")


class Transform:
    """Base class. ``hyperparameters`` become param-group defaults; ``apply`` edits one chunk.

    A transform with ``is_global = True`` first sees the effective gradients of the whole
    step in ``prepare`` (e.g. to compute a norm over all parameters), then ``apply`` runs
    per chunk.
    """

    hyperparameters: dict[str, Any] = {}
    is_global = False

    def check(self, group: dict[str, Any], owner: str) -> None:
        """Raise ValueError if this transform's hyperparameters in ``group`` are invalid."""

    def prepare(self, grads: list[Any]) -> None:
        """Global transforms: look at the effective gradients (flat arrays) of the step."""

    def apply(self, c: Chunk, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class WeightDecay(Transform):
    r"""L2 penalty coupled to the gradient: :math:`d \leftarrow d + \lambda p`, as in PyTorch's
    ``weight_decay`` for SGD, Adam, RMSprop, Adagrad, Adadelta and NAdam."""

    hyperparameters = {"weight_decay": 0.0}

    def check(self, group: dict[str, Any], owner: str) -> None:
        _non_negative(group, "weight_decay", owner)

    def apply(self, c: Chunk, group: dict[str, Any]) -> None:
        wd = group["weight_decay"]
        if wd != 0:
            c.add_to_grad(c.xp.multiply(c.p, wd, out=c.tmp(0)))


class DecoupledWeightDecay(Transform):
    r"""Decay applied to the parameters, not the gradient (Loshchilov & Hutter, 2019):
    :math:`p \leftarrow p\,(1 - \eta \lambda)` with :math:`\eta` the group's current lr."""

    hyperparameters = {"weight_decay": 0.0}

    def check(self, group: dict[str, Any], owner: str) -> None:
        _non_negative(group, "weight_decay", owner)

    def apply(self, c: Chunk, group: dict[str, Any]) -> None:
        wd = group["weight_decay"]
        if wd != 0:
            c.p *= 1.0 - group["lr"] * wd


class L1Penalty(Transform):
    r"""The subgradient of :math:`l_1 \|p\|_1`: :math:`d \leftarrow d + l_1 \mathrm{sign}(p)`."""

    def __init__(self, l1: float = 0.0) -> None:
        self.hyperparameters = {"l1": l1}

    def check(self, group: dict[str, Any], owner: str) -> None:
        _non_negative(group, "l1", owner)

    def apply(self, c: Chunk, group: dict[str, Any]) -> None:
        l1 = group["l1"]
        if l1 != 0:
            t = c.xp.sign(c.p, out=c.tmp(0))
            t *= l1
            c.add_to_grad(t)


class ClipGradNorm(Transform):
    r"""Rescale all gradients together so their global norm is at most ``max_norm``:
    :math:`d \leftarrow d \cdot \min(1, \mathrm{max\_norm} / (\|d\|_{p} + 10^{-6}))`,
    the same coefficient as ``clip_grad_norm_``. ``last_norm`` keeps the norm before clipping."""

    is_global = True

    def __init__(self, max_norm: float, norm_type: float = 2.0) -> None:
        if not max_norm >= 0:
            raise ValueError(f"ClipGradNorm: max_norm must be >= 0, got {max_norm!r}")
        self.max_norm = float(max_norm)
        self.norm_type = float(norm_type)
        self.last_norm = float("nan")
        self._coef = 1.0

    def prepare(self, grads: list[Any]) -> None:
        self.last_norm = global_norm(grads, self.norm_type)
        self._coef = self.max_norm / (self.last_norm + 1e-6)

    def apply(self, c: Chunk, group: dict[str, Any]) -> None:
        if not self._coef >= 1.0:  # also scales when the norm is NaN, as PyTorch does
            c.scale_grad(self._coef)


class ClipGradValue(Transform):
    r"""Clip each gradient element to :math:`[-c, c]`."""

    def __init__(self, clip_value: float) -> None:
        if not clip_value >= 0:
            raise ValueError(f"ClipGradValue: clip_value must be >= 0, got {clip_value!r}")
        self.clip_value = float(clip_value)

    def apply(self, c: Chunk, group: dict[str, Any]) -> None:
        c.clip_grad(-self.clip_value, self.clip_value)
