"""The Optimizer base class: param groups, flat state, transforms, one update rule.

A new optimizer writes four small methods and nothing else:

* ``check(group)``: validate its hyperparameters (ValueError naming the value);
* ``slots(group)``: the per-element state it keeps, ``{name: initial value}``;
* ``coefficients(group, state)``: the scalars of this step (bias corrections, decayed lr),
  from the group and the per-parameter scalar state (``state["step"]`` already counts it);
* ``update(c, group, k)``: the elementwise update rule, in place, on a ``Chunk`` ``c`` whose
  ``c.p``, ``c.d`` (effective gradient) and ``c.state[name]`` are flat arrays.

Everything else (param groups, gathering parameters into flat buffers, skipping parameters
without a gradient, weight decay and clipping as transforms, threads, state_dict) is here.

>>> opt = st.optim.Adam([w, b], lr=1e-3)
>>> loss = ((x @ w + b - y) ** 2).mean(); opt.zero_grad(); loss.backward(); opt.step()
>>> opt.param_groups[0]["lr"] = 1e-4   # hyperparameters are read at every step
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from .. import backend
from ..autograd import enable_grad
from ..backend import array_module
from ..tensor import Tensor
from . import parallel
from ._flat import Chunk, FlatBucket, LayoutChanged
from .transforms import Transform

Params = Iterable[Tensor] | Iterable[dict[str, Any]]


# ----- hyperparameter validation ----------------------------------------------------------
def check_number(
    owner: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ValueError unless ``value`` is a real number in the given interval."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{owner}: {name} must be a real number, got {value!r}")
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high or value != value:  # value != value: NaN
        lo = "(-inf" if low is None else f"{'(' if low_open else '['}{low}"
        hi = "inf)" if high is None else f"{high}{')' if high_open else ']'}"
        raise ValueError(f"{owner}: {name} must be in {lo}, {hi}, got {value!r}")


def check_betas(owner: str, betas: Any) -> None:
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        check_number(owner, f"betas[{i}]", b, 0.0, 1.0, high_open=True)


def _plain(value: Any) -> Any:
    """A JSON-able copy of a hyperparameter (tuples become lists, NumPy scalars Python ones)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _restore(value: Any, like: Any) -> Any:
    """Undo ``_plain``: a list comes back as a tuple where the optimizer holds a tuple."""
    if isinstance(like, tuple) and isinstance(value, list):
        return tuple(value)
    return value


class Optimizer:
    """Base class: holds ``param_groups`` and runs transforms plus the update rule.

    ``params`` is an iterable of Tensors, or of dicts ``{"params": [...], **hyperparameters}``
    (param groups; missing hyperparameters take the constructor's values). The defaults come
    as a dict (PyTorch's form) or as keywords. ``transforms`` are gradient transforms (see
    ``steepest.optim.transforms``) run before the update rule.

    >>> class SignSGD(Optimizer):  # a complete optimizer: p <- p - lr * sign(d)
    ...     def update(self, c, group, k): c.p -= group["lr"] * c.xp.sign(c.d)
    >>> opt = SignSGD([w], lr=0.01)
    """

    #: per-parameter scalar state and its initial value; every optimizer counts steps
    scalar_state: ClassVar[dict[str, Any]] = {"step": 0}
    #: every state slot name the optimizer may create (checked by load_state_dict)
    all_slots: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        params: Params,
        defaults: dict[str, Any] | None = None,
        transforms: Sequence[Transform] = (),
        **hyperparameters: Any,
    ) -> None:
        if isinstance(params, (Tensor, dict)):
            raise TypeError(
                f"{self._name}: params must be an iterable of Tensors or of param-group dicts, "
                f"got a {type(params).__name__}; wrap a single tensor in a list"
            )
        for t in transforms:
            if not isinstance(t, Transform):
                raise TypeError(f"{self._name}: transforms must be Transform objects, got {t!r}")
        self.transforms: list[Transform] = list(transforms)
        self.defaults = {**(defaults or {}), **hyperparameters}
        for t in self.transforms:
            for key, value in t.hyperparameters.items():
                self.defaults.setdefault(key, value)
        self.param_groups: list[dict[str, Any]] = []
        self._buckets: list[list[FlatBucket]] = []
        self._layout: list[tuple[Any, int]] = []  # each group's params list object and length
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ----- what a subclass defines ------------------------------------------------------
    def check(self, group: dict[str, Any]) -> None:
        """Validate the optimizer's own hyperparameters in ``group``."""
        check_number(self._name, "lr", group["lr"], 0.0)

    def slots(self, group: dict[str, Any]) -> dict[str, float]:
        """State kept per element: ``{slot name: initial value}``."""
        return {}

    def coefficients(self, group: dict[str, Any], state: dict[str, Any]) -> Any:
        """Scalars of this step for ``update``; may advance scalar state (``state["step"]``
        has already been incremented)."""
        return None

    def update(self, c: Chunk, group: dict[str, Any], k: Any) -> None:
        raise NotImplementedError

    # ----- param groups -----------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (e.g. when unfreezing)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}: a param group must be a dict, got {param_group!r}")
        if "params" not in param_group:
            raise ValueError(f"{self._name}: a param group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise TypeError(f"{self._name}: params must be an ordered sequence, not a set")
        else:
            params = list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}: params[{i}] is a {type(p).__name__}, not a Tensor")
            if not p.is_leaf:
                raise ValueError(
                    f"{self._name}: params[{i}] (shape {p.shape}) is not a leaf tensor: it was "
                    "computed by an op; optimize the tensors it was computed from"
                )
            if p.dtype.kind != "f":
                raise TypeError(f"{self._name}: params[{i}] has dtype {p.dtype}, not a float")
            if id(p) in seen:
                raise ValueError(
                    f"{self._name}: params[{i}] (shape {p.shape}) appears more than once in "
                    "the parameters; pass each tensor once (shared weights included)"
                )
            seen.add(id(p))
        group = {"params": params}
        group.update((k, v) for k, v in param_group.items() if k != "params")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate(group)
        self.param_groups.append(group)
        self._buckets.append(self._build(group))
        self._layout.append((params, len(params)))

    def _validate(self, group: dict[str, Any]) -> None:
        self.check(group)
        for t in self.transforms:
            t.check(group, self._name)

    def _build(self, group: dict[str, Any]) -> list[FlatBucket]:
        by_kind: dict[tuple[Any, Any], list[Tensor]] = {}
        for p in group["params"]:
            by_kind.setdefault((array_module(p.data), p.dtype), []).append(p)
        slots = self.slots(group)
        return [FlatBucket(ps, slots, self.scalar_state) for ps in by_kind.values()]

    def _group_buckets(self, gi: int) -> list[FlatBucket]:
        params, n = self._layout[gi]
        group_params = self.param_groups[gi]["params"]
        if group_params is not params or len(group_params) != n:  # the user edited the list
            self._rebuild(gi)
        return self._buckets[gi]

    def _rebuild(self, gi: int) -> None:
        """New buckets for group ``gi`` (new dtype, device or parameters), keeping state."""
        old: dict[int, tuple[tuple[int, ...], dict[str, Any]]] = {}
        for b in self._buckets[gi]:
            for i, p in enumerate(b.params):
                old[id(p)] = (b.shapes[i], b.export(i))
        group = self.param_groups[gi]
        group["params"] = list(group["params"])
        for p in group["params"]:
            if id(p) in old and tuple(p.shape) != old[id(p)][0]:
                raise ValueError(
                    f"{self._name}: parameter of shape {old[id(p)][0]} was given .data of "
                    f"shape {p.shape}; its state no longer fits: build a new optimizer"
                )
        self._buckets[gi] = self._build(group)
        self._layout[gi] = (group["params"], len(group["params"]))
        for b in self._buckets[gi]:
            for i, p in enumerate(b.params):
                if id(p) in old:
                    b.load(i, old[id(p)][1])
            b.reshare()

    def _locate(self, gi: int) -> dict[int, tuple[FlatBucket, int]]:
        return {id(p): (b, i) for b in self._group_buckets(gi) for i, p in enumerate(b.params)}

    def grad_buffers(self) -> list[Any]:
        """The flat gradient buffers, one per (group, dtype, device), after taking in any
        ``.grad`` a user replaced: what a data-parallel wrapper allreduces in one call each
        (``steepest.distributed``). Parameters keep their gradients as views of them."""
        return [b.grad for b in self._synced_buckets()]

    def param_buffers(self) -> list[Any]:
        """The flat parameter buffers (each parameter's ``.data`` is a view of one)."""
        return [b.data for b in self._synced_buckets()]

    def _synced_buckets(self) -> list[FlatBucket]:
        out = []
        for gi in range(len(self.param_groups)):
            try:
                buckets = self._group_buckets(gi)
                for b in buckets:
                    b.sync()
            except LayoutChanged:  # a parameter got a new dtype or device
                self._rebuild(gi)
                buckets = self._buckets[gi]
                for b in buckets:
                    b.sync()
            out.extend(buckets)
        return out

    # ----- the step -----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every gradient (``p.grad = None``), PyTorch 2's default; or with
        ``set_to_none=False`` zero them in place (one ``fill`` per flat buffer).

        None is the default, as in PyTorch, because it changes results: a parameter that gets
        no gradient in a step is then skipped by ``step()`` (no momentum, no weight decay),
        where a zero gradient would still move it. The flat buffers keep working either way:
        ``step()`` copies a fresh ``.grad`` into its buffer and re-points it (``sync``); the
        next backward then accumulates in place. That costs an allocation and a copy per
        parameter per step: ``bench/bench_zero_grad.py`` (2026-12-04, a loaded 2-core machine)
        found in place faster in 8 of 14 paired runs, the least disturbed 0.92 against 1.25
        ms/step at batch 32, the rest within noise; pass ``set_to_none=False`` where it counts."""
        for gi in range(len(self.param_groups)):
            for b in self._group_buckets(gi):
                b.zero_grad(set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()`` if given
        (a function that zeroes gradients, recomputes the loss, calls backward, returns it)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        work: list[tuple[Chunk, dict[str, Any], Any]] = []
        runs: list[tuple[FlatBucket, int, int, int]] = []  # bucket, lo, hi, first work item
        for gi, group in enumerate(self.param_groups):
            try:
                synced = [(b, b.sync()) for b in self._group_buckets(gi)]
            except LayoutChanged:  # a parameter got a new dtype or device
                self._rebuild(gi)
                synced = [(b, b.sync()) for b in self._buckets[gi]]
            for b, has_grad in synced:
                for lo, hi, state in b.runs(has_grad):
                    state["step"] += 1
                    k = self.coefficients(group, state)
                    runs.append((b, lo, hi, len(work)))
                    # threads only for NumPy: CuPy kernels run asynchronously on the GPU anyway
                    pieces = parallel.split(lo, hi) if b.xp is np else [(lo, hi)]
                    work.extend((b.chunk(a, z), group, k) for a, z in pieces)
        self._execute(work, runs)
        return loss

    def _execute(
        self, work: list[tuple[Chunk, dict[str, Any], Any]], runs: list[tuple[Any, ...]]
    ) -> None:
        """Transforms then the rule on every chunk; a global transform (a norm over all
        gradients) splits the work into stages so it sees the gradients as they stand."""
        if not work:
            return
        start = 0
        for j, t in enumerate(self.transforms):
            if t.is_global:
                self._stage(work, self.transforms[start:j], rule=False)
                # whole runs, not thread chunks: the result must not depend on the thread count
                grads = []
                for b, lo, hi, first in runs:
                    c = work[first][0]
                    raw = c.d is c.g
                    grads.append(c.d if c.hi == hi else (b.grad if raw else b.scratch(0))[lo:hi])
                t.prepare(grads)
                start = j
        self._stage(work, self.transforms[start:], rule=True)

    def _stage(self, work: list[tuple[Chunk, Any, Any]], ts: list[Transform], rule: bool) -> None:
        if not ts and not rule:
            return

        def task(c: Chunk, group: dict[str, Any], k: Any) -> None:
            for t in ts:
                t.apply(c, group)
            if rule:
                self.update(c, group, k)

        parallel.run([functools.partial(task, *w) for w in work], [w[0].hi - w[0].lo for w in work])

    # ----- state --------------------------------------------------------------------------
    @property
    def state(self) -> dict[Tensor, dict[str, Any]]:
        """Per-parameter state: scalars and views of the flat slots, ``opt.state[w]["exp_avg"]``."""
        return {
            p: b.export(i, copy=False)
            for gi in range(len(self.param_groups))
            for b in self._group_buckets(gi)
            for i, p in enumerate(b.params)
        }

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {"0": {"step": 3, "exp_avg": array, ...}, ...}, "param_groups": [...]}``:
        parameters numbered in group order, arrays copied to NumPy, the rest JSON-able."""
        state: dict[str, Any] = {}
        groups = []
        index = 0
        for gi, group in enumerate(self.param_groups):
            where = self._locate(gi)
            ids = []
            for p in group["params"]:
                b, i = where[id(p)]
                entry = b.export(i)
                state[str(index)] = {
                    k: backend.to_device(v, "cpu") if hasattr(v, "shape") else v
                    for k, v in entry.items()
                }
                ids.append(index)
                index += 1
            saved = {k: _plain(v) for k, v in group.items() if k != "params"}
            saved["params"] = ids
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict``; checks everything first
        (group and parameter counts, slot names, shapes) and changes nothing on an error."""
        name = self._name
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict)
            raise ValueError(
                f"{name}.load_state_dict: expected keys 'state' and 'param_groups', got {keys}"
            )
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} param groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        new_groups = []
        owner: dict[str, tuple[int, Tensor]] = {}
        for gi, (mine, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"{name}.load_state_dict: param group {gi} has no 'params' list")
            if len(saved["params"]) != len(mine["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: param group {gi} has {len(saved['params'])} "
                    f"parameters in the state dict, {len(mine['params'])} in this optimizer"
                )
            missing = sorted(k for k in mine if k not in saved)
            if missing:
                raise ValueError(f"{name}.load_state_dict: param group {gi} lacks {missing}")
            group = {k: _restore(v, mine.get(k)) for k, v in saved.items() if k != "params"}
            group = {"params": mine["params"], **group}
            self._validate(group)
            new_groups.append(group)
            for key, p in zip(saved["params"], mine["params"], strict=True):
                owner[str(key)] = (gi, p)
        unexpected = sorted(set(map(str, saved_state)) - set(owner), key=str)
        if unexpected:
            raise ValueError(f"{name}.load_state_dict: state for unknown parameters {unexpected}")
        entries = {str(k): v for k, v in saved_state.items()}
        for key, entry in entries.items():
            gi, p = owner[key]
            self._check_entry(key, entry, new_groups[gi], p)
        # all checked: apply
        for gi, (mine, group) in enumerate(zip(self.param_groups, new_groups, strict=True)):
            mine.clear()
            mine.update(group)
            where = self._locate(gi)
            for key, (gj, p) in owner.items():
                if gj != gi:
                    continue
                b, i = where[id(p)]
                if key in entries:
                    b.load(i, entries[key])
                else:
                    b.reset(i)  # never stepped when saved
            for b in self._buckets[gi]:
                b.reshare()

    def _check_entry(self, key: str, entry: Any, group: dict[str, Any], p: Tensor) -> None:
        where = f"{self._name}.load_state_dict: state of parameter {key}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} is a {type(entry).__name__}, not a dict")
        for s, init in self.scalar_state.items():
            if s not in entry:
                raise ValueError(f"{where} lacks {s!r}")
            value = entry[s]
            kind = bool if isinstance(init, bool) else int if isinstance(init, int) else float
            ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
            if kind is float:
                ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if not ok or (kind is int and value < 0):
                raise ValueError(f"{where}: {s!r} should be like {init!r}, got {value!r}")
        needed = set(self.slots(group))
        arrays = {k: v for k, v in entry.items() if k not in self.scalar_state}
        unknown = sorted(set(arrays) - set(self.all_slots))
        if unknown:
            raise ValueError(
                f"{where}: unknown state {unknown}; {self._name} keeps {list(self.all_slots)}"
            )
        absent = sorted(needed - set(arrays))
        if absent:
            raise ValueError(f"{where} lacks {absent}")
        for k, v in arrays.items():
            shape = tuple(np.shape(v))
            if shape != tuple(p.shape):
                raise ValueError(f"{where}: {k!r} has shape {shape}, the parameter has {p.shape}")

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        if self.transforms:
            lines.append(f"Transforms: {self.transforms}")
        return "\n".join([*lines, ")"])
