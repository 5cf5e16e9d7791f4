"""PyTorch parity: each case is written once, against a namespace ``m`` that is torch or steepest.

A case names a function ``fn(m, *tensors)`` and its inputs. ``tools/torch_golden.py`` runs
every case under PyTorch and writes ``golden_<area>.npz`` beside this file: each output with
its dtype, and the gradient of every float input under a *random weighting* of the outputs
(a plain ``.sum()`` cannot see a gradient sent to the wrong element). ``test_parity.py`` runs
the same cases under steepest and compares. Neither the package nor its tests import torch.

    Case("transpose_2d", lambda m, x: x.transpose(0, 1), [arg((3, 4))])
    Case("unsqueeze_out_of_range", lambda m, x: x.unsqueeze(77), [arg((2, 3))], raises=IndexError)

Adding a case: append it to ``cases_<area>.py``, run
``python tools/torch_golden.py <area>`` where PyTorch is installed, and commit the .npz.
A case without a golden entry fails its test, so a case cannot be added and forgotten.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FLOATS = ("float32", "float64")
TOLERANCES = {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}  # (rtol, atol)


@dataclass(frozen=True)
class Arg:
    """One input: drawn uniformly in [low, high) (ints: integers in [low, high)), or given."""

    shape: tuple[int, ...]
    dtype: str = "float64"
    low: float = -2.0
    high: float = 2.0
    requires_grad: bool = True  # only float inputs take gradients
    noncontiguous: bool = False  # a transposed view of a leaf (the leaf's gradient is compared)
    values: Any = None  # explicit values (kinks, ties, indices); shape is then ignored


def arg(shape: Sequence[int] = (), dtype: str = "float64", **options: Any) -> Arg:
    return Arg(tuple(shape), dtype, **options)


def const(values: Any, dtype: str = "int64") -> Arg:
    """Fixed values that take no gradient: indices, masks, targets."""
    return Arg((), dtype, values=values, requires_grad=False)


@dataclass
class Case:
    name: str
    fn: Callable[..., Any]  # fn(m, *tensors) -> tensor | number | (nested) tuple/list of them
    args: list[Arg] = field(default_factory=list)
    raises: type[BaseException] | None = None  # the error steepest must raise (PyTorch raises too)
    rtol: float | None = None
    atol: float | None = None
    grad: bool = True  # compare input gradients (False for non-differentiable outputs)


def _rng(*parts: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(parts).encode()))


def make_inputs(case: Case) -> list[np.ndarray]:
    """The case's input arrays, the same on every run and machine (seeded by the case name)."""
    rng = _rng(case.name)
    arrays = []
    for a in case.args:
        if a.values is not None:
            x = np.array(a.values, dtype=a.dtype)
        elif a.dtype in FLOATS:
            shape = a.shape[::-1] if a.noncontiguous else a.shape
            x = rng.uniform(a.low, a.high, size=shape).astype(a.dtype)
        elif a.dtype == "bool":
            x = rng.integers(0, 2, size=a.shape).astype(bool)
        else:
            x = rng.integers(int(a.low), int(a.high), size=a.shape).astype(a.dtype)
        arrays.append(x)
    return arrays


def flatten(out: Any) -> list[Any]:
    """Outputs in a fixed order: tensors and numbers; tuples, lists and named tuples unpacked."""
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in flatten(item)]
    return [out]


@dataclass
class Adapter:
    """What the runner needs from a framework, beyond the case's own calls."""

    tensor: Callable[[np.ndarray, bool], Any]  # (array, requires_grad) -> leaf tensor
    is_tensor: Callable[[Any], bool]
    to_numpy: Callable[[Any], np.ndarray]
    grad_of: Callable[[Any], np.ndarray | None]


def run_case(case: Case, m: Any, adapter: Adapter) -> dict[str, np.ndarray]:
    """Run ``case`` under framework ``m``: outputs as ``out{i}``, gradients as ``grad{j}``."""
    arrays = make_inputs(case)
    leaves, inputs = [], []
    for a, x in zip(case.args, arrays, strict=True):
        leaf = adapter.tensor(x, a.requires_grad and a.dtype in FLOATS)
        leaves.append(leaf)
        inputs.append(leaf.permute(*range(x.ndim - 1, -1, -1)) if a.noncontiguous else leaf)
    outputs = flatten(case.fn(m, *inputs))
    result = {}
    weighted = []
    rng = _rng(case.name, "weights")
    for i, o in enumerate(outputs):
        value = adapter.to_numpy(o) if adapter.is_tensor(o) else np.asarray(o)
        result[f"out{i}"] = value
        if adapter.is_tensor(o) and getattr(o, "requires_grad", False) and case.grad:
            w = rng.uniform(0.5, 1.5, size=value.shape).astype(value.dtype)
            weighted.append((o * adapter.tensor(w, False)).sum())
    if weighted:
        sum(weighted[1:], weighted[0]).backward()
    for j, (a, leaf) in enumerate(zip(case.args, leaves, strict=True)):
        if case.grad and a.requires_grad and a.dtype in FLOATS:
            g = adapter.grad_of(leaf)
            result[f"grad{j}"] = np.zeros_like(arrays[j]) if g is None else g
    return result


def tolerance(case: Case, dtype: np.dtype) -> tuple[float, float]:
    rtol, atol = TOLERANCES.get(str(dtype), (0.0, 0.0))
    return (
        case.rtol if case.rtol is not None else rtol,
        case.atol if case.atol is not None else atol,
    )


def load_cases(directory: Any) -> dict[str, list[Case]]:
    """Every ``cases_<area>.py`` beside this file: ``{area: CASES}``."""
    import importlib.util
    from pathlib import Path

    areas = {}
    for path in sorted(Path(directory).glob("cases_*.py")):
        spec = importlib.util.spec_from_file_location(f"parity_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names = [c.name for c in module.CASES]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"{path.name}: duplicate case names {sorted(duplicates)}")
        areas[path.stem.removeprefix("cases_")] = module.CASES
    return areas
