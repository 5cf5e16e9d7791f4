"""ONNX nodes for whole layers: a layer whose forward is composed of several ops (LSTM, GELU,
BatchNorm in evaluation) becomes the one ONNX operator that means the same thing.

``convert(g, module, x, out)`` gets the layer, its input's value name and its output, and
returns the output's value name (a tuple of them for a recurrent layer's ``(out, state)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .graph import ExportError, Graph


def _pair(v: Any) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(a) for a in v]


def _linear(g: Graph, m: Any, x: str, out: Any) -> str:
    w, b = g.name_of(m.weight, "Linear"), m.bias
    if g.ndim[x] == 2:
        bias = [g.name_of(b, "Linear")] if b is not None else []
        return g.node("Gemm", [x, w, *bias], transB=1)
    y = g.node("MatMul", [x, g.node("Transpose", [w], perm=[1, 0])])
    return g.node("Add", [y, g.name_of(b, "Linear")]) if b is not None else y


def _conv(g: Graph, m: Any, x: str, out: Any) -> str:
    if getattr(m, "padding_mode", "zeros") != "zeros":
        raise ExportError(f"padding_mode={m.padding_mode!r}: only 'zeros' is exported")
    if g.ndim[x] != 4:
        raise ExportError("unbatched (C, H, W) input: export with a batch dimension")
    kh, kw = m.kernel_size
    dh, dw = m.dilation
    if m.padding == "same":  # PyTorch's rule: the extra pixel of an even kernel goes right/bottom
        ph, pw = dh * (kh - 1), dw * (kw - 1)
        pads = [ph // 2, pw // 2, ph - ph // 2, pw - pw // 2]
    else:
        p = (0, 0) if m.padding == "valid" else m.padding
        pads = [p[0], p[1], p[0], p[1]]
    ins = [x, g.name_of(m.weight, "Conv2d")]
    if m.bias is not None:
        ins.append(g.name_of(m.bias, "Conv2d"))
    return g.node("Conv", ins, kernel_shape=[kh, kw], strides=list(m.stride),
                  dilations=[dh, dw], pads=pads, group=int(m.groups))  # fmt: skip


def _batch_norm(g: Graph, m: Any, x: str, out: Any) -> str:
    if not m.track_running_stats or m.running_mean is None:
        raise ExportError("track_running_stats=False normalizes with batch statistics in eval too")
    dtype = m.running_mean.numpy().dtype
    c = m.num_features
    affine = m.weight is not None
    scale = g.name_of(m.weight, "BatchNorm") if affine else g.constant(np.ones(c, dtype))
    shift = g.name_of(m.bias, "BatchNorm") if affine else g.constant(np.zeros(c, dtype))
    mean, var = g.name_of(m.running_mean, "BatchNorm"), g.name_of(m.running_var, "BatchNorm")
    return g.node("BatchNormalization", [x, scale, shift, mean, var], epsilon=float(m.eps))


def _layer_norm(g: Graph, m: Any, x: str, out: Any) -> str:
    k = len(m.normalized_shape)
    dtype = out.numpy().dtype
    scale = g.name_of(m.weight, "LayerNorm") if m.weight is not None else g.constant(
        np.ones(m.normalized_shape, dtype))  # fmt: skip
    shift = g.name_of(m.bias, "LayerNorm") if m.bias is not None else g.constant(
        np.zeros(m.normalized_shape, dtype))  # fmt: skip
    return g.node("LayerNormalization", [x, scale, shift], axis=-k, epsilon=float(m.eps))


def _const(g: Graph, value: float, out: Any) -> str:
    return g.constant(np.asarray(value, dtype=out.numpy().dtype), "c")


def _gelu(g: Graph, m: Any, x: str, out: Any) -> str:
    if getattr(m, "approximate", "none") == "tanh":  # 0.5x (1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [cube, _const(g, 0.044715, out)])])
        t = g.node("Tanh", [g.node("Mul", [inner, _const(g, math.sqrt(2 / math.pi), out)])])
    else:  # 0.5 x (1 + erf(x / sqrt 2)), the exact form
        t = g.node("Erf", [g.node("Div", [x, _const(g, math.sqrt(2.0), out)])])
    half_x = g.node("Mul", [x, _const(g, 0.5, out)])
    return g.node("Mul", [half_x, g.node("Add", [t, _const(g, 1.0, out)])])


def _softplus(g: Graph, m: Any, x: str, out: Any) -> str:
    beta, threshold = getattr(m, "beta", 1.0), getattr(m, "threshold", 20.0)
    bx = g.node("Mul", [x, _const(g, beta, out)])
    soft = g.node("Div", [g.node("Softplus", [bx]), _const(g, beta, out)])
    above = g.node("Greater", [bx, _const(g, threshold, out)])  # PyTorch: linear past threshold
    return g.node("Where", [above, x, soft])


def _dim(m: Any, out: Any) -> int:
    return int(m.dim if m.dim is not None else (0 if out.ndim in (0, 1, 3) else 1))


def _flatten(g: Graph, m: Any, x: str, out: Any) -> str:
    start, end = m.start_dim % g.ndim[x], m.end_dim % g.ndim[x]
    if start == 1 and end == g.ndim[x] - 1:
        return g.node("Flatten", [x], axis=1)
    shape = list(out.shape)
    if g.batch is not None and start > 0:
        shape[0] = 0  # keep the batch dimension as the input has it
    return g.node("Reshape", [x, g.ints(shape)])


def _max_pool(g: Graph, m: Any, x: str, out: Any) -> str:
    k = _pair(m.kernel_size)
    s = k if m.stride is None else _pair(m.stride)
    p, d = _pair(m.padding), _pair(getattr(m, "dilation", 1))
    return g.node("MaxPool", [x], kernel_shape=k, strides=s, pads=[p[0], p[1], p[0], p[1]],
                  dilations=d, ceil_mode=int(bool(getattr(m, "ceil_mode", False))))  # fmt: skip


def _avg_pool(g: Graph, m: Any, x: str, out: Any) -> str:
    k = _pair(m.kernel_size)
    s = k if m.stride is None else _pair(m.stride)
    p = _pair(m.padding)
    return g.node("AveragePool", [x], kernel_shape=k, strides=s, pads=[p[0], p[1], p[0], p[1]],
                  ceil_mode=int(bool(getattr(m, "ceil_mode", False))),
                  count_include_pad=int(bool(getattr(m, "count_include_pad", True))))  # fmt: skip


def _adaptive_avg_pool(g: Graph, m: Any, x: str, out: Any) -> str:
    ho, wo = out.shape[-2:]
    if (ho, wo) == (1, 1):
        return g.node("GlobalAveragePool", [x])
    h, w = g.shapes[x][-2:]
    if h % ho or w % wo:
        raise ExportError(f"output {ho}x{wo} does not divide the input {h}x{w}: its windows "
                          "differ in size, which ONNX's AveragePool cannot express")  # fmt: skip
    return g.node("AveragePool", [x], kernel_shape=[h // ho, w // wo], strides=[h // ho, w // wo])


def _embedding(g: Graph, m: Any, x: str, out: Any) -> str:
    ids = x if g.is_float.get(x) is False else g.node("Cast", [x], to=7)  # int64
    return g.node("Gather", [g.name_of(m.weight, "Embedding"), ids], axis=0)


def _identity(g: Graph, m: Any, x: str, out: Any) -> str:
    return g.node("Identity", [x])


def _unary(op: str, **attrs: Callable[[Any], Any]) -> Callable[..., str]:
    def convert(g: Graph, m: Any, x: str, out: Any) -> str:
        return g.node(op, [x], **{k: f(m) if callable(f) else f for k, f in attrs.items()})

    return convert


def _product(op: str) -> Callable[..., str]:
    """x * op(x): SiLU is x sigmoid(x), Mish is x tanh(softplus(x))."""

    def convert(g: Graph, m: Any, x: str, out: Any) -> str:
        if op == "silu":
            inner = g.node("Sigmoid", [x])
        else:
            inner = g.node("Tanh", [g.node("Softplus", [x])])
        return g.node("Mul", [x, inner])

    return convert


def _clamp(low: Callable[[Any], float], high: Callable[[Any], float]) -> Callable[..., str]:
    def convert(g: Graph, m: Any, x: str, out: Any) -> str:
        return g.node("Clip", [x, _const(g, low(m), out), _const(g, high(m), out)])

    return convert


def _softmax(op: str) -> Callable[..., str]:
    return lambda g, m, x, out: g.node(op, [x], axis=_dim(m, out))


MODULES: dict[str, Callable[..., Any]] = {
    "Linear": _linear, "Conv2d": _conv, "BatchNorm1d": _batch_norm, "BatchNorm2d": _batch_norm,
    "LayerNorm": _layer_norm, "Flatten": _flatten, "Dropout": _identity, "Dropout2d": _identity,
    "Identity": _identity, "MaxPool2d": _max_pool, "AvgPool2d": _avg_pool,
    "AdaptiveAvgPool2d": _adaptive_avg_pool, "Embedding": _embedding,
    "ReLU": _unary("Relu"), "Sigmoid": _unary("Sigmoid"), "Tanh": _unary("Tanh"),
    "LeakyReLU": _unary("LeakyRelu", alpha=lambda m: float(m.negative_slope)),
    "ELU": _unary("Elu", alpha=lambda m: float(m.alpha)),
    "SELU": _unary("Selu"), "CELU": _unary("Celu", alpha=lambda m: float(m.alpha)),
    "GELU": _gelu, "SiLU": _product("silu"), "Mish": _product("mish"),
    "Hardswish": _unary("HardSwish"), "Hardsigmoid": _unary("HardSigmoid", alpha=1 / 6, beta=0.5),
    "ReLU6": _clamp(lambda m: 0.0, lambda m: 6.0),
    "Hardtanh": _clamp(lambda m: float(m.min_val), lambda m: float(m.max_val)),
    "Softplus": _softplus, "Softmax": _softmax("Softmax"), "LogSoftmax": _softmax("LogSoftmax"),
}  # fmt: skip


# ----- recurrent layers ------------------------------------------------------------------------
# ONNX orders the gates differently from PyTorch (and steepest): the rows of each weight are
# re-stacked. LSTM: PyTorch i, f, g, o -> ONNX i, o, f, c. GRU: r, z, n -> z, r, h.
_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN": (0,)}


def _stacked(m: Any, kind: str, layer: int, order: tuple[int, ...]) -> np.ndarray:
    """One layer's ``kind`` (weight_ih, weight_hh, bias_ih, bias_hh) for every direction,
    gates in ONNX's order: (directions, gates * H, ...)."""
    out = []
    for sfx in m._suffixes():
        w = getattr(m, f"{kind}_l{layer}{sfx}").numpy()
        blocks = np.split(w, len(order), axis=0)
        out.append(np.concatenate([blocks[i] for i in order], axis=0))
    return np.stack(out)


def _recurrent(g: Graph, m: Any, x: str, out: Any) -> tuple[Any, ...]:
    kind = type(m).__name__
    if g.ndim[x] != 3:
        raise ExportError("unbatched (T, F) input: export with a batch dimension")
    order, h = _GATE_ORDER[kind], m.hidden_size
    dirs = 2 if m.bidirectional else 1
    direction = "bidirectional" if m.bidirectional else "forward"
    attrs: dict[str, Any] = {"hidden_size": h, "direction": direction}
    if kind == "GRU":
        attrs["linear_before_reset"] = 1  # PyTorch's GRU applies r after the hidden matmul
    if kind == "RNN":
        attrs["activations"] = ["Relu" if m.nonlinearity == "relu" else "Tanh"] * dirs
    seq = g.node("Transpose", [x], perm=[1, 0, 2]) if m.batch_first else x  # ONNX is (T, N, F)
    finals: list[list[str]] = [[], []]
    for layer in range(m.num_layers):
        prefix = f"{g.where}.l{layer}"
        w = g.initializer(_stacked(m, "weight_ih", layer, order), g.fresh(f"{prefix}.W"))
        r = g.initializer(_stacked(m, "weight_hh", layer, order), g.fresh(f"{prefix}.R"))
        ins = [seq, w, r]
        if m.bias:
            b = np.concatenate([_stacked(m, "bias_ih", layer, order),
                                _stacked(m, "bias_hh", layer, order)], axis=1)  # fmt: skip
            ins.append(g.initializer(b, g.fresh(f"{prefix}.B")))
        n_out = 3 if kind == "LSTM" else 2
        y, *states = g.node(kind, ins, n_out, **attrs)
        for k, s in enumerate(states):
            finals[k].append(s)
        # Y is (T, directions, N, H): back to (T, N, directions * H) for the next layer
        y = g.node("Transpose", [y], perm=[0, 2, 1, 3])
        seq = g.node("Reshape", [y, g.ints([0, 0, dirs * h])])
    output = g.node("Transpose", [seq], perm=[1, 0, 2]) if m.batch_first else seq
    stacked = [g.node("Concat", f, axis=0) if len(f) > 1 else f[0] for f in finals if f]
    return (output, stacked[0]) if kind != "LSTM" else (output, stacked[0], stacked[1])


MODULES.update({"LSTM": _recurrent, "GRU": _recurrent, "RNN": _recurrent})
