"""``st.onnx.export``: run the model once on an example, write what it computed as ONNX.

The forward pass runs under a tracer with two hooks. A layer that ONNX has an operator for
(``modules.MODULES``: Linear, Conv2d, BatchNorm, LSTM, GELU, ...) is called as usual, its
inner ops unrecorded, and becomes that operator. Everything between layers (a residual add, a
reshape, ``F.relu`` in a custom forward) is recorded op by op from ``Function.apply`` and
becomes the matching ONNX node (``ops.CONVERTERS``). Export runs in evaluation mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd import Function, no_grad
from ..tensor import Tensor
from .graph import ExportError, Graph
from .modules import MODULES
from .ops import CONVERTERS


def _flat(out: Any) -> list[Any]:
    if isinstance(out, tuple | list):
        return [leaf for item in out for leaf in _flat(item)]
    return [out]


class _Tracer:
    def __init__(self, g: Graph, model: Any) -> None:
        self.g = g
        self.where = {id(m): (name or type(m).__name__) for name, m in model.named_modules()}
        self.suspended = 0
        self.stack: list[str] = [type(model).__name__]

    def _name(self, module: Any) -> str:
        return f"{self.where.get(id(module), '?')} ({type(module).__name__})"

    def on_op(self, cls: type, inputs: Sequence[Any], options: dict[str, Any], out: Tensor) -> None:
        if self.suspended:
            return
        where = f"{self.stack[-1]}: op {cls.__name__}"
        convert = CONVERTERS.get(cls.__name__)
        if convert is None:
            raise ExportError(f"{where} has no ONNX form in steepest's exporter")
        names = []
        for x in inputs:
            if isinstance(x, Tensor):
                names.append(self.g.name_of(x, where))
            else:  # a Python scalar: a constant of the dtype the op computed in
                names.append(self.g.constant(np.asarray(x, dtype=out.numpy().dtype)))
        try:
            self.g.bind(out, convert(self.g, names, options, out))
        except ExportError as e:
            raise ExportError(f"{where}: {e}") from None

    def on_module(self, module: Any, args: tuple[Any, ...], out: Any) -> None:
        where = self._name(module)
        if len(args) != 1 and any(a is not None for a in args[1:]):
            raise ExportError(f"{where}: exported layers take one input (no initial state)")
        x = args[0]
        self.g.where = self.where.get(id(module), type(module).__name__)
        try:
            name = self.g.name_of(x, where) if isinstance(x, Tensor) else self.g.constant(
                np.asarray(x), "const")  # fmt: skip
            result = MODULES[type(module).__name__](self.g, module, name, out)
        except ExportError as e:
            raise ExportError(f"{where} cannot be exported: {e}") from None
        for tensor, name in zip(_flat(out), _flat(result), strict=True):
            self.g.bind(tensor, name)


@contextlib.contextmanager
def _tracing(tracer: _Tracer) -> Iterator[None]:
    from ..nn.module import Module

    apply, call = Function.__dict__["apply"], Module.__call__

    def traced_apply(cls: type, *inputs: Any, **options: Any) -> Tensor:
        out = apply.__func__(cls, *inputs, **options)
        tracer.on_op(cls, inputs, options, out)
        return out

    def traced_call(module: Any, *args: Any, **kwargs: Any) -> Any:
        if tracer.suspended or type(module).__name__ not in MODULES or kwargs:
            tracer.stack.append(tracer._name(module))
            try:
                return call(module, *args, **kwargs)
            finally:
                tracer.stack.pop()
        tracer.suspended += 1
        try:
            out = call(module, *args, **kwargs)
        finally:
            tracer.suspended -= 1
        tracer.on_module(module, args, out)
        return out

    Function.apply = classmethod(traced_apply)
    Module.__call__ = traced_call
    try:
        yield
    finally:
        Function.apply, Module.__call__ = apply, call


def export(model: Any, example_input: Any, path: str | Path, opset: int = 17,
           dynamic_batch: bool = True, input_names: Sequence[str] | None = None,
           output_names: Sequence[str] | None = None) -> Path:  # fmt: skip
    """Write ``model``'s evaluation-mode forward pass on ``example_input`` as an ONNX file.

    ``dynamic_batch``: the first dimension of every input (and output) is symbolic
    ("batch"), so the file runs at any batch size. The graph is checked with
    ``onnx.checker.check_model(full_check=True)`` before it is written (atomically).

    >>> st.onnx.export(model, st.randn(1, 1, 28, 28), "mnist.onnx")
    """
    try:
        import onnx
        from onnx import helper
    except ImportError as e:
        raise ImportError("st.onnx.export needs onnx: pip install 'steepest[onnx]'") from e
    from ..atomic import atomic_write_bytes

    examples = list(example_input) if isinstance(example_input, tuple | list) else [example_input]
    examples = [x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in examples]
    batch = examples[0].shape[0] if dynamic_batch and examples[0].ndim else None
    g = Graph(batch)
    g.params = {id(t): n for n, t in (*model.named_parameters(), *model.named_buffers())}
    in_names = list(input_names or (["input"] if len(examples) == 1 else
                                    [f"input_{i}" for i in range(len(examples))]))  # fmt: skip
    for x, name in zip(examples, in_names, strict=True):
        g.bind(x, name)
    was_training = model.training
    model.eval()
    try:
        with no_grad(), _tracing(_Tracer(g, model)):
            out = model(*examples)
    finally:
        model.train(was_training)
    read = {name for node in g.nodes for name in node.input}
    for name in in_names:
        if name not in read:
            raise ExportError(
                f"st.onnx.export: {type(model).__name__}'s output does not depend on {name!r} "
                "through steepest ops: its forward computes from the input outside the graph "
                "(in NumPy, say), so the file would hold a constant"
            )
    outputs = _flat(out)
    out_names = list(output_names or (["output"] if len(outputs) == 1 else
                                      [f"output_{i}" for i in range(len(outputs))]))  # fmt: skip
    for t, name in zip(outputs, out_names, strict=True):
        g.nodes.append(helper.make_node("Identity", [g.name_of(t, "output")], [name]))

    def info(name: str, t: Tensor) -> Any:
        dims = ["batch" if batch is not None and i == 0 else n for i, n in enumerate(t.shape)]
        return helper.make_tensor_value_info(
            name, helper.np_dtype_to_tensor_dtype(t.numpy().dtype), dims)  # fmt: skip

    graph = helper.make_graph(
        g.nodes, type(model).__name__,
        [info(n, x) for n, x in zip(in_names, examples, strict=True)],
        [info(n, t) for n, t in zip(out_names, outputs, strict=True)],
        initializer=g.initializers,
    )  # fmt: skip
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="steepest")  # fmt: skip
    proto.ir_version = min(proto.ir_version, 9)  # readable by onnxruntime releases of 2024 on
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as e:
        raise ExportError(f"st.onnx.export: the graph built for {type(model).__name__} is not "
                          f"valid ONNX: {e}") from e  # fmt: skip
    path = Path(path)
    atomic_write_bytes(path, proto.SerializeToString())
    return path
