"""Backpropagation as a table: the chain rule applied op by op, with the user's own numbers.

``trace(loss)`` runs ``loss.backward()`` and records, for every op in the order the engine
visits it, the upstream gradient g = dL/d(output), the op's derivative rule in words, and
the gradient it sends to each input. Nothing is recomputed: each op's own ``backward`` is
wrapped for the duration of this one pass, so the numbers are the engine's.

>>> x = st.tensor(0.5, requires_grad=True); w = st.tensor(-1.5, requires_grad=True)
>>> loss = (w * x).tanh() ** 2
>>> print(st.viz.trace(loss, params={"x": x, "w": w}))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import IndexedGrad, _topological_order, unbroadcast
from ..tensor import Tensor
from .graph import _names
from .rules import rule_of

MAX_OPS = 50  # a table longer than this teaches nothing: draw st.viz.graph instead
SMALL = 6  # tensors with at most this many elements are shown in full


@dataclass
class Row:
    step: int  # 1 = the first op the engine visits (the one that made the loss)
    op: str
    shape: tuple[int, ...]
    upstream: np.ndarray  # g = dL/d(output)
    rule: str
    sent: list[tuple[str, np.ndarray | None]] = field(default_factory=list)  # (input, dL/d input)


def _host(x: Any) -> np.ndarray:
    return np.asarray(Tensor(x).numpy() if not isinstance(x, Tensor) else x.numpy(), np.float64)


def fmt(a: np.ndarray | None) -> str:
    """A gradient as the table shows it: values when small, else its norm and shape."""
    if a is None:
        return "-"
    if a.size <= SMALL:
        values = np.array2string(a, precision=4, separator=", ", suppress_small=False)
        return values.replace("\n", "")
    return f"norm {np.linalg.norm(a.ravel()):.4g}, shape {a.shape}"


@dataclass
class Trace:
    rows: list[Row]
    leaves: dict[str, np.ndarray]  # each named leaf's gradient after the pass

    def to_markdown(self) -> str:
        lines = ["| step | op | upstream g = dL/dy | local rule | sent to each input |",
                 "| --- | --- | --- | --- | --- |"]  # fmt: skip
        for r in self.rows:
            sent = "; ".join(f"{name}: {fmt(g)}" for name, g in r.sent) or "-"
            lines.append(f"| {r.step} | {r.op} {r.shape} | {fmt(r.upstream)} | {r.rule} | {sent} |")
        return "\n".join(lines)

    def __str__(self) -> str:
        out = []
        for r in self.rows:
            out.append(f"[{r.step}] {r.op} -> {r.shape}   g = dL/dy = {fmt(r.upstream)}")
            out.append(f"    rule: {r.rule}")
            for name, g in r.sent:
                chain = ""
                if g is not None and g.size == 1 and r.upstream.size == 1 and r.upstream.item():
                    chain = f"   (= g x {g.item() / r.upstream.item():.4g})"
                out.append(f"    -> {name}: {fmt(g)}{chain}")
        return "\n".join(out)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _input_names(names: dict[int, str], steps: dict[int, int]) -> Any:
    def name(p: Tensor, k: int) -> str:
        if id(p) in names:
            return names[id(p)]
        if p.name:
            return p.name
        if p._ctx is not None and id(p) in steps:
            return f"[{steps[id(p)]}] {type(p._ctx).__name__}"
        return f"input {k}" if p.ndim or not p.requires_grad else f"leaf {k}"

    return name


def trace(loss: Tensor, params: Any = None, retain_graph: bool = False,
          max_ops: int = MAX_OPS) -> Trace:  # fmt: skip
    """Run ``loss.backward()`` and return the chain rule it applied, one row per op.

    ``params``: a Module or ``{name: tensor}`` naming the leaves in the table.
    """
    if not isinstance(loss, Tensor) or int(np.prod(loss.shape)) != 1:
        raise ValueError("st.viz.trace: expected a scalar Tensor (a loss) to backpropagate from")
    order = [t for t in _topological_order([loss]) if t._ctx is not None]
    if len(order) > max_ops:
        raise ValueError(
            f"st.viz.trace: the graph has {len(order)} ops, more than max_ops={max_ops}: a "
            "table that long teaches nothing; draw it with st.viz.graph, or pass max_ops="
        )
    names, _ = _names(params)
    parents = {id(t): t._ctx.parents for t in order}  # backward frees them; the table needs them
    visited: list[tuple[Tensor, Any, Tensor, Any]] = []
    for t in order:
        fn = t._ctx
        rule = type(fn).backward

        def recording(out: Tensor, grad: Tensor, fn: Any = fn, rule: Any = rule) -> Any:
            grads = rule(fn, out, grad)
            visited.append((out, fn, grad, grads))
            return grads

        fn.backward = recording  # an instance attribute: this pass only (release clears it)
    try:
        loss.backward(retain_graph=retain_graph)
    finally:
        for t in order:
            if t._ctx is not None and t._ctx.parents is not None:
                t._ctx.__dict__.pop("backward", None)
    steps = {id(out): k for k, (out, *_) in enumerate(visited, start=1)}
    name = _input_names(names, steps)
    rows = []
    for k, (out, fn, grad, grads) in enumerate(visited, start=1):
        grads = grads if isinstance(grads, tuple) else (grads,)
        row = Row(k, type(fn).__name__, tuple(out.shape), _host(grad), rule_of(fn))
        for j, (p, g) in enumerate(zip(parents[id(out)], grads, strict=False)):
            if p.requires_grad:
                row.sent.append((name(p, j), _sent(g, p)))
        rows.append(row)
    leaves = {}
    for ps in parents.values():
        for j, p in enumerate(ps):
            if p._ctx is None and p.requires_grad and p.grad is not None:
                leaves[name(p, j)] = _host(p.grad)
    return Trace(rows, leaves)


def _sent(g: Any, p: Tensor) -> np.ndarray | None:
    """What input ``p`` receives from a rule's result: summed over broadcast axes, made dense."""
    if g is None:
        return None
    if isinstance(g, IndexedGrad):
        buffer = p.data * 0  # zeros of p's shape, dtype and device
        g.add_into(buffer)
        return _host(buffer)
    if tuple(g.shape) != tuple(p.shape):
        g = unbroadcast(g, tuple(p.shape))
    return _host(g)
