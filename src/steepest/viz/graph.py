"""Draw a computation graph: one node per op and per leaf, as Graphviz DOT.

``graph(loss, params=model)`` walks the graph that ``loss`` was computed by (the same walk
backward makes) and returns a ``graphviz.Digraph``. Edges run forward, input to output.
Leaves are named from ``params`` (a Module or a ``{name: tensor}`` dict). The labels are
computed each time the source is read, so a graph drawn before ``backward()`` shows each
leaf's gradient norm once backward has run.

Large graphs collapse by module: an op belongs to the module whose parameter it consumes
(conv2d to ``layer1.0.conv1``), else to the module of its latest parent op (the ReLU after
a batch norm), and the ops of one module prefix (``layer1.0``) become one box.
"""

from __future__ import annotations

import contextlib
import html
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..tensor import Tensor

MAX_NODES = 60  # above this many op nodes a graph collapses by module unless expand=True


@dataclass
class Node:
    key: int
    kind: str  # "op" (the tensor an op made), "leaf" (requires grad), "input" (does not)
    op: str  # the op's class name, or "" for leaves
    tensor: Any  # a leaf's Tensor (for its gradient), None for ops
    shape: tuple[int, ...]
    dtype: str
    name: str = ""
    seq: int = -1
    parents: list[int] = field(default_factory=list)
    owner: str | None = None  # the module this op belongs to (dotted name)


def _walk(root: Tensor, names: Mapping[int, str]) -> dict[int, Node]:
    """Every tensor ``root`` depends on, with an explicit stack (deep graphs do not recurse)."""
    nodes: dict[int, Node] = {}
    stack = [root]
    while stack:
        t = stack.pop()
        if id(t) in nodes:
            continue
        ctx = t._ctx
        if ctx is None:
            kind = "leaf" if t.requires_grad else "input"
            node = Node(
                id(t), kind, "", t, tuple(t.shape), str(t.dtype), names.get(id(t), t.name or "")
            )
        else:
            if ctx.parents is None:
                raise RuntimeError(
                    f"st.viz.graph: op {type(ctx).__name__} (output {tuple(t.shape)}) was freed by "
                    "backward(); draw the graph before backward, or call "
                    "backward(retain_graph=True)"
                )
            node = Node(id(t), "op", type(ctx).__name__, None, tuple(t.shape), str(t.dtype),
                        t.name or "", ctx.seq, [id(p) for p in ctx.parents])  # fmt: skip
            stack.extend(ctx.parents)
        nodes[id(t)] = node
    return nodes


def _assign_owners(nodes: dict[int, Node], names: Mapping[int, str]) -> None:
    """An op's module: the one whose parameter it reads, else its latest parent op's."""
    for node in sorted((n for n in nodes.values() if n.kind == "op"), key=lambda n: n.seq):
        direct = [names[p] for p in node.parents if p in names and nodes[p].kind == "leaf"]
        if direct:
            node.owner = direct[0].rpartition(".")[0] or None
            continue
        ops = [nodes[p] for p in node.parents if nodes[p].kind == "op"]
        if ops:
            node.owner = max(ops, key=lambda n: n.seq).owner


def _group(owner: str | None, depth: int) -> str | None:
    return None if owner is None else ".".join(owner.split(".")[:depth])


def _choose_depth(nodes: dict[int, Node], max_nodes: int) -> int | None:
    """The deepest module level that fits in ``max_nodes`` boxes of 3+ ops each on average
    (ResNet-20: its residual blocks), or None when the graph is small enough to draw whole."""
    ops = [n for n in nodes.values() if n.kind == "op"]
    if len(ops) <= max_nodes:
        return None
    deepest = max((n.owner.count(".") + 1 for n in ops if n.owner), default=0)
    best = 1 if deepest else None
    for depth in range(1, deepest + 1):
        boxes = len({_group(n.owner, depth) or n.key for n in ops})
        if boxes <= max_nodes and 3 * boxes <= len(ops):
            best = depth
    return best


def _norm(t: Tensor) -> float:
    return float(np.linalg.norm(np.asarray(t.numpy(), dtype=np.float64).ravel()))


def _shape(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def _node_label(node: Node, show_grads: bool) -> str:
    title = node.op if node.kind == "op" else (node.name or node.kind)
    if node.kind == "input" and not node.name and node.shape == ():
        title = f"const {node.tensor.item():.4g}"  # a scalar the op was given: show its value
    rows = [f"<b>{html.escape(title)}</b>", f"{_shape(node.shape)} {node.dtype}"]
    if node.kind == "op" and node.name:
        rows.insert(1, html.escape(node.name))
    if show_grads and node.kind == "leaf" and node.tensor.grad is not None:
        rows.append(f"grad norm {_norm(node.tensor.grad):.3g}")
    return "<" + "<br/>".join(rows) + ">"


def _group_label(group: str, members: list[Node], classes: Mapping[str, str], params: int) -> str:
    counts = Counter(n.op for n in members)
    ops = ", ".join(f"{op}×{k}" if k > 1 else op for op, k in counts.items())
    last = max(members, key=lambda n: n.seq)
    title = f"{group} ({classes[group]})" if group in classes else group
    weights = f"<br/>{params:,} parameters" if params else ""
    plural = "s" if len(members) > 1 else ""
    return (f"<<b>{html.escape(title)}</b><br/>{len(members)} op{plural}: {html.escape(ops)}"
            f"{weights}<br/>out {_shape(last.shape)} {last.dtype}>")  # fmt: skip


_STYLE = {
    "op": 'shape=box style="rounded,filled" fillcolor="#dbe8f6"',
    "leaf": 'shape=box style=filled fillcolor="#fde9c9"',
    "input": 'shape=box style=filled fillcolor="#eeeeee"',
    "group": 'shape=box3d style=filled fillcolor="#d8efd8"',
}


def _names(params: Any) -> tuple[dict[int, str], dict[str, str]]:
    """``{id(tensor): name}`` and ``{module name: class name}`` from a Module or a dict."""
    if params is None:
        return {}, {}
    if hasattr(params, "named_parameters"):
        classes = {name: type(m).__name__ for name, m in params.named_modules() if name}
        return {id(p): n for n, p in params.named_parameters()}, classes
    return {id(t): n for n, t in dict(params).items()}, {}


@dataclass
class Structure:
    """A graph as drawn: taken once, so it outlives the graph that backward frees."""

    nodes: dict[int, Node]
    root: int
    classes: dict[str, str]
    depth: int | None  # module level the ops collapse to (or are boxed by), None if small


def structure(root: Tensor, params: Any = None, expand: bool = False,
              max_nodes: int = MAX_NODES) -> Structure:  # fmt: skip
    names, classes = _names(params)
    nodes = _walk(root, names)
    _assign_owners(nodes, names)
    return Structure(nodes, id(root), classes, _choose_depth(nodes, max_nodes))


def dot_lines(s: Structure, show_grads: bool = True, expand: bool = False) -> list[str]:
    """The body of the DOT graph: one statement a line."""
    nodes, classes = s.nodes, s.classes
    depth = None if expand else s.depth
    box: dict[int, str] = {}  # node key -> DOT id of the box it is drawn in
    groups: dict[str, list[Node]] = {}
    order = sorted(nodes.values(), key=lambda n: (n.seq, n.kind, n.name, n.shape))
    group_of = {
        n.key: _group(n.owner, depth) for n in order if depth is not None and n.kind == "op"
    }
    users: dict[int, set[str | None]] = {}
    for n in order:
        for p in n.parents:
            users.setdefault(p, set()).add(group_of.get(n.key))
    absorbed: dict[str, int] = {}  # group -> parameters folded into its box
    for i, node in enumerate(order):  # ids by position: the same graph gives the same text
        g = group_of.get(node.key)
        if node.kind == "leaf" and len(users.get(node.key, ())) == 1:
            g = next(iter(users[node.key]))  # a parameter used only inside one box: fold it in
            if g is not None:
                absorbed[g] = absorbed.get(g, 0) + int(np.prod(node.shape))
                box[node.key] = "g_" + g.replace(".", "_")
                continue
        if g is None:
            box[node.key] = f"n{i}"
        else:
            box[node.key] = "g_" + g.replace(".", "_")
            groups.setdefault(g, []).append(node)
    lines = []
    clusters: dict[str | None, list[str]] = {}
    for node in order:
        if box[node.key].startswith("n"):
            bold = " penwidth=2" if node.key == s.root else ""
            label = _node_label(node, show_grads)
            stmt = f"\t{box[node.key]} [label={label} {_STYLE[node.kind]}{bold}]"
            cluster = _group(node.owner, s.depth or 99) if expand and node.kind == "op" else None
            clusters.setdefault(cluster, []).append(stmt)
    for group, members in groups.items():
        label = _group_label(group, members, classes, absorbed.get(group, 0))
        lines.append(f"\t{box[members[0].key]} [label={label} "
                     f"{_STYLE['group']}]")  # fmt: skip
    lines += clusters.pop(None, [])
    for i, (cluster, stmts) in enumerate(sorted(clusters.items())):
        title = f"{cluster} ({classes[cluster]})" if cluster in classes else cluster
        lines += (
            [f"\tsubgraph cluster_{i} {{", f'\t\tlabel="{title}" style=dashed'] + stmts + ["\t}"]
        )
    edges = []
    for node in order:
        for p in node.parents:
            edge = (box[p], box[node.key])
            if edge[0] != edge[1] and edge not in edges:
                edges.append(edge)
    lines += [f"\t{a} -> {b}" for a, b in edges]
    return [line + "\n" for line in lines]


@contextlib.contextmanager
def _needs_dot(graphviz: Any) -> Iterator[None]:
    """Graphviz's missing-program error as one line that names the package to install."""
    try:
        yield
    except graphviz.ExecutableNotFound as e:
        raise RuntimeError(
            "rendering needs the Graphviz program 'dot', which is not installed: "
            "apt-get install graphviz (Debian/Ubuntu) or brew install graphviz (macOS); "
            "the DOT text is in .source meanwhile"
        ) from e


def _digraph_class() -> type:
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(
            "st.viz.graph needs the graphviz package: pip install 'steepest[viz]' "
            "(rendering to SVG/PNG also needs the Graphviz program 'dot': apt-get install graphviz)"
        ) from e

    class GradGraph(graphviz.Digraph):
        """A Digraph whose labels are read on every render: gradients appear after backward."""

        def __init__(self, build: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._build = build

        def __iter__(self, subgraph: bool = False) -> Any:
            self.body = self._build()
            yield from super().__iter__(subgraph=subgraph)

        def render(self, *args: Any, **kwargs: Any) -> Any:
            with _needs_dot(graphviz):
                return super().render(*args, **kwargs)

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            with _needs_dot(graphviz):
                return super().pipe(*args, **kwargs)

    return GradGraph


def graph(tensor: Tensor, params: Any = None, show_grads: bool = True, expand: bool = False,
          max_nodes: int = MAX_NODES, rankdir: str = "TB") -> Any:  # fmt: skip
    """The graph that computed ``tensor``, as a ``graphviz.Digraph`` (renders inline in Jupyter).

    ``params``: a Module or ``{name: tensor}`` naming the leaves. ``show_grads``: label each
    leaf with its gradient's norm once backward has run. Graphs of more than ``max_nodes`` ops
    collapse by module; ``expand=True`` draws every op, boxed by module instead.

    >>> g = st.viz.graph(loss, params=model)
    >>> loss.backward(); g.render("graph", format="svg")  # the leaves now show grad norms
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"st.viz.graph: expected a Tensor, got {type(tensor).__name__}")
    s = structure(tensor, params, expand, max_nodes)
    build = lambda: dot_lines(s, show_grads, expand)  # noqa: E731 - re-read: grads appear later
    return _digraph_class()(build, graph_attr={"rankdir": rankdir},
                            node_attr={"fontname": "Helvetica", "fontsize": "10"})  # fmt: skip
