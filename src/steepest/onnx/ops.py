"""ONNX nodes for the ops a forward pass calls outside the layers (residual adds, reshapes,
functional activations): one converter per op class, ``convert(g, inputs, options, out)``
returning the output's value name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .graph import ExportError, Graph


def _unary(op: str, **attrs: Any) -> Callable[..., str]:
    return lambda g, xs, opts, out: g.node(op, [xs[0]], **attrs)


def _binary(op: str) -> Callable[..., str]:
    return lambda g, xs, opts, out: g.node(op, [xs[0], xs[1]])


def _axes(opts: dict[str, Any], ndim: int) -> list[int]:
    axis = opts.get("axis", opts.get("axes"))
    if axis is None:
        return list(range(ndim))
    axes = [axis] if isinstance(axis, int) else list(axis)
    return [a % ndim if ndim else 0 for a in axes]


def _reduce(op: str) -> Callable[..., str]:
    def convert(g: Graph, xs: list[str], opts: dict[str, Any], out: Any, ndim: int = 0) -> str:
        keep = int(bool(opts.get("keepdims", False)))
        axes = _axes(opts, g.ndim[xs[0]])
        if op == "ReduceSum":  # opset 13+: axes are an input
            return g.node(op, [xs[0], g.ints(axes, "axes")], keepdims=keep)
        return g.node(op, [xs[0]], axes=axes, keepdims=keep)

    return convert


def _reshape(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    """A leading dimension that carries the batch (N, or N times a fixed size) is left to
    ONNX to infer (-1), so the file takes any batch size; the other sizes are fixed."""
    shape = list(out.shape)
    b = g.batch
    if b is not None and shape and shape[0] and (shape[0] % b == 0 or g.dim0[xs[0]] % b == 0):
        shape[0] = -1
    return g.node("Reshape", [xs[0], g.ints(shape)])


def _permute(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    ndim = g.ndim[xs[0]]
    return g.node("Transpose", [xs[0]], perm=[a % ndim for a in opts["axes"]])


def _pow(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    return g.node("Pow", [xs[0], xs[1]])


def _softmax(op: str) -> Callable[..., str]:
    return lambda g, xs, opts, out: g.node(op, [xs[0]], axis=int(opts.get("axis", -1)))


def _concat(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    return g.node("Concat", xs, axis=int(opts.get("axis", 0)))


def _clip(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    dtype = out.numpy().dtype
    low = "" if opts.get("low") is None else g.constant(np.asarray(opts["low"], dtype), "min")
    high = "" if opts.get("high") is None else g.constant(np.asarray(opts["high"], dtype), "max")
    return g.node("Clip", [xs[0], low, high])


def _linear(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    """``x W^T + b``: Gemm for (N, in) inputs, MatMul + Add for more dims."""
    if g.ndim[xs[0]] == 2:
        return g.node("Gemm", xs, transB=1)
    y = g.node("MatMul", [xs[0], g.node("Transpose", [xs[1]], perm=[1, 0])])
    return g.node("Add", [y, xs[2]]) if len(xs) > 2 else y


def _conv(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    p = opts["params"]  # ops/_im2col.ConvParams; padding is (top, bottom, left, right)
    top, bottom, left, right = p.padding
    return g.node("Conv", xs, strides=list(p.stride), dilations=list(p.dilation),
                  pads=[top, left, bottom, right], group=int(p.groups))  # fmt: skip


def _max_pool(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    geo = opts["geometry"]
    top, bottom, left, right = geo.p.padding
    return g.node("MaxPool", [xs[0]], kernel_shape=[geo.kh, geo.kw], strides=list(geo.p.stride),
                  pads=[top, left, bottom, right], dilations=list(geo.p.dilation))  # fmt: skip


def _getitem(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    """Basic indexing (ints, slices, None, ...) as Slice, Squeeze and Unsqueeze nodes."""
    index = opts["index"]
    index = index if isinstance(index, tuple) else (index,)
    ndim = g.ndim[xs[0]]
    if any(not (isinstance(i, int | slice) or i is None or i is Ellipsis) for i in index):
        raise ExportError("advanced indexing (with arrays or tensors) has no ONNX form here")
    if Ellipsis in index:
        at = index.index(Ellipsis)
        fill = ndim - sum(1 for i in index if i is not None and i is not Ellipsis)
        index = index[:at] + (slice(None),) * fill + index[at + 1 :]
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = 0
    for k, i in enumerate(index):
        if i is None:
            unsqueeze.append(k - len(squeeze))
            continue
        if isinstance(i, int):
            starts.append(i), ends.append(i + 1 if i != -1 else np.iinfo(np.int64).max)
            axes.append(axis), steps.append(1), squeeze.append(axis)
        elif i != slice(None):
            step = 1 if i.step is None else i.step
            big = np.iinfo(np.int64).max
            start = i.start if i.start is not None else (0 if step > 0 else -1)
            stop = i.stop if i.stop is not None else (big if step > 0 else -big)
            starts.append(start), ends.append(stop), axes.append(axis), steps.append(step)
        axis += 1
    y = xs[0]
    if axes:
        y = g.node("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.node("Squeeze", [y, g.ints(squeeze, "axes")])
    if unsqueeze:
        y = g.node("Unsqueeze", [y, g.ints(unsqueeze, "axes")])
    return y


def _identity(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    return g.node("Identity", [xs[0]])


def _cast(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    from onnx import helper

    return g.node("Cast", [xs[0]], to=helper.np_dtype_to_tensor_dtype(out.numpy().dtype))


def _broadcast(g: Graph, xs: list[str], opts: dict[str, Any], out: Any) -> str:
    return g.node("Expand", [xs[0], g.ints(list(out.shape))])


CONVERTERS: dict[str, Callable[..., str]] = {
    "Add": _binary("Add"), "Sub": _binary("Sub"), "Mul": _binary("Mul"), "Div": _binary("Div"),
    "MatMul": _binary("MatMul"), "Maximum": _binary("Max"), "Minimum": _binary("Min"),
    "Pow": _pow, "Neg": _unary("Neg"), "Exp": _unary("Exp"), "Log": _unary("Log"),
    "Sqrt": _unary("Sqrt"), "Abs": _unary("Abs"), "Sign": _unary("Sign"), "Erf": _unary("Erf"),
    "ReLU": _unary("Relu"), "Sigmoid": _unary("Sigmoid"), "Tanh": _unary("Tanh"),
    "Softplus": _unary("Softplus"), "Softmax": _softmax("Softmax"),
    "LogSoftmax": _softmax("LogSoftmax"), "Clip": _clip,
    "Sum": _reduce("ReduceSum"), "Max": _reduce("ReduceMax"), "Min": _reduce("ReduceMin"),
    "Reshape": _reshape, "Permute": _permute, "Transpose": _permute, "Concatenate": _concat,
    "GetItem": _getitem, "Linear": _linear, "Conv2d": _conv, "MaxPool2d": _max_pool,
    "Clone": _identity, "BatchInnermost": _identity, "ToDevice": _identity, "Cast": _cast,
    "BroadcastTo": _broadcast,
}  # fmt: skip
