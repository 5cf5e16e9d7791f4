"""``st.nn.summary``: a model's layers, output shapes, parameter counts and FLOPs.

The model runs once on a random input (in evaluation mode, without recording a
graph, with its own random generator: nothing about the model or the global
random stream changes), and a forward hook on every submodule records what it
returned.

FLOPs count a multiply and an add as two, for one forward pass over the whole
input batch. Counted: Linear and Conv2d (2 per multiply-add, plus the bias), the
matrix products of RNN/GRU/LSTM, pooling (one per window element), normalization
(about 5 per element) and elementwise activations (1 per element). Ops written
directly in a container's ``forward`` (e.g. a residual addition) are not counted.

>>> info = st.nn.summary(model, (1, 3, 32, 32))
>>> print(info)              # the table
>>> info.total_params, info.layers[0].output_shape
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..autograd import no_grad
from ..backend import default_dtype, to_device
from ..random import Generator
from ..tensor import Tensor
from .activation import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .conv import Conv2d
from .embedding import Embedding
from .linear import Linear
from .module import Module
from .normalization import LayerNorm, _BatchNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .recurrent import _RecurrentBase

_ELEMENTWISE = (ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax,
                SiLU, Mish, Hardswish, Hardsigmoid, Hardtanh, ReLU6, SELU, CELU)  # fmt: skip


@dataclass
class LayerInfo:
    """One row of the summary: a submodule and what its forward produced."""

    name: str
    type: str
    depth: int
    output_shape: Any  # a tuple, a list of them for several outputs, None if never called
    params: int  # the module's own parameters (not its children's)
    trainable_params: int
    flops: int | None  # None: no rule for this layer type


@dataclass
class Summary:
    """The structured result; ``str(summary)`` (or ``summary.text``) is the table."""

    layers: list[LayerInfo]
    input_shape: tuple[int, ...]
    output_shape: Any
    total_params: int
    trainable_params: int
    total_flops: int
    text: str = field(repr=False, default="")

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def _shape_of(out: Any) -> Any:
    if isinstance(out, Tensor):
        return tuple(out.shape)
    if isinstance(out, tuple | list):
        return [_shape_of(o) for o in out]
    return None


def _numel(shape: Any) -> int:
    return math.prod(shape) if isinstance(shape, tuple) else 0


def _first_shape(shape: Any) -> tuple[int, ...]:
    while isinstance(shape, list) and shape:
        shape = shape[0]
    return shape if isinstance(shape, tuple) else ()


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _flops(module: Module, in_shape: tuple[int, ...], out_shape: Any) -> int | None:
    """FLOPs of one call of a leaf module, from its input and output shapes."""
    out = _first_shape(out_shape)
    n_out = _numel(out)
    if isinstance(module, Linear):
        return 2 * module.in_features * n_out + (n_out if module.bias is not None else 0)
    if isinstance(module, Conv2d):
        kh, kw = module.kernel_size
        per_output = module.in_channels // module.groups * kh * kw
        return 2 * per_output * n_out + (n_out if module.bias is not None else 0)
    if isinstance(module, _RecurrentBase):
        steps_batch = _numel(in_shape) // module.input_size
        total = 0
        for layer in range(module.num_layers):
            fan = (module.input_size if layer == 0 else module.hidden_size) + module.hidden_size
            total += 2 * module._gates * module.hidden_size * fan * steps_batch
        return total
    if isinstance(module, MaxPool2d | AvgPool2d):
        kh, kw = _pair(module.kernel_size)
        return kh * kw * n_out
    if isinstance(module, AdaptiveAvgPool2d):
        return _numel(in_shape)
    if isinstance(module, _BatchNorm | LayerNorm):
        return 5 * n_out
    if isinstance(module, _ELEMENTWISE):
        return n_out
    if isinstance(module, Embedding) or not any(True for _ in module.parameters()):
        return 0  # lookups, reshapes, dropout in eval, identity: no arithmetic
    return None


def _walk(module: Module, prefix: str, depth: int, seen: set[int]) -> list[tuple[str, int, Module]]:
    rows = []
    for name, child in module.named_children():
        if id(child) in seen:
            continue
        seen.add(id(child))
        full = f"{prefix}.{name}" if prefix else name
        rows.append((full, depth, child))
        rows.extend(_walk(child, full, depth + 1, seen))
    return rows


def _fmt_count(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def _fmt_shape(shape: Any) -> str:
    if shape is None:
        return "--"
    if isinstance(shape, tuple):
        return str(list(shape))
    return ", ".join(_fmt_shape(s) for s in shape)


def summary(model: Module, input_shape: tuple[int, ...] | Tensor, dtype: Any = None) -> Summary:
    """Run ``model`` once on an input of ``input_shape`` (batch axis included) and tabulate
    every submodule: output shape, own parameter count, FLOPs.

    ``input_shape`` may also be a Tensor, used as the input as it is (e.g. integer ids for an
    Embedding). ``dtype`` of the random input defaults to the model's parameter dtype.
    Returns a ``Summary``: ``str()`` of it is the table; ``.layers`` the rows.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected a Module, got {type(model).__name__}")
    if isinstance(input_shape, Tensor):
        x = input_shape
    else:
        shape = tuple(int(n) for n in input_shape)
        first = next(model.parameters(), None)
        if dtype is None:
            dtype = default_dtype() if first is None else first.dtype
        draws = Generator(0).np.standard_normal(shape)  # its own generator: global stream untouched
        x = Tensor(to_device(draws.astype(dtype), "cpu" if first is None else first.device))
    rows = _walk(model, "", 0, {id(model)})
    calls: dict[int, tuple[tuple[int, ...], Any]] = {}

    def record(module: Module, inputs: tuple, output: Any) -> None:
        in_shape = tuple(inputs[0].shape) if inputs and isinstance(inputs[0], Tensor) else ()
        calls[id(module)] = (in_shape, _shape_of(output))

    handles = [m.register_forward_hook(record) for _, _, m in rows]
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with no_grad():
            out = model(x)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode

    layers = []
    for name, depth, m in rows:
        own = list(m.parameters(recurse=False))
        in_shape, out_shape = calls.get(id(m), ((), None))
        is_leaf = not any(True for _ in m.children())
        flops = _flops(m, in_shape, out_shape) if is_leaf and out_shape is not None else 0
        layers.append(
            LayerInfo(
                name=name,
                type=type(m).__name__,
                depth=depth,
                output_shape=out_shape,
                params=sum(p.numel() for p in own),
                trainable_params=sum(p.numel() for p in own if p.requires_grad),
                flops=flops,
            )
        )
    total_params = model.num_parameters()
    trainable = model.num_parameters(trainable_only=True)
    total_flops = sum(r.flops or 0 for r in layers)
    result = Summary(layers, tuple(x.shape), _shape_of(out), total_params, trainable, total_flops)
    result.text = _table(type(model).__name__, result)
    return result


def _table(model_name: str, s: Summary) -> str:
    header = ("Layer (type)", "Output shape", "Params", "FLOPs")
    body = [
        (
            "  " * r.depth + f"{r.name} ({r.type})",
            _fmt_shape(r.output_shape),
            f"{r.params:,}" if r.params else "--",
            _fmt_count(r.flops) if r.flops != 0 else "--",
        )
        for r in s.layers
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(4)]
    w0, w1, w2, w3 = widths
    line = lambda row: f"{row[0]:<{w0}}  {row[1]:<{w1}}  {row[2]:>{w2}}  {row[3]:>{w3}}"  # noqa: E731
    rule = "=" * len(line(header))
    unknown = [r.name for r in s.layers if r.flops is None]
    lines = [
        f"{model_name} summary",
        rule,
        line(header),
        rule,
        *map(line, body),
        rule,
        f"Input shape: {list(s.input_shape)}    Output shape: {_fmt_shape(s.output_shape)}",
        f"Total params: {s.total_params:,}    Trainable: {s.trainable_params:,}    "
        f"Non-trainable: {s.total_params - s.trainable_params:,}",
        f"FLOPs (one forward pass over the input batch): {_fmt_count(s.total_flops)}"
        + (f" (not counted: {', '.join(unknown)})" if unknown else ""),
    ]
    return "\n".join(lines)
