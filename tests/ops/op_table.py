"""One entry per public differentiable op: the steepest function, sample inputs, a NumPy reference.

The generic tests in test_op_table.py run every entry through forward-vs-NumPy, gradcheck on
every sample, and (for smooth ops) a second-derivative check. Adding an op = its definition in
src/steepest/ops plus one entry here; test_every_public_op_has_an_entry enforces the second half.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import steepest as st

RNG = np.random.default_rng(0)


@dataclass
class Sample:
    args: tuple[np.ndarray, ...]  # float arrays become tensors with requires_grad=True
    kwargs: dict[str, Any] = field(default_factory=dict)
    label: str = ""


@dataclass
class Case:
    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    samples: list[Sample]
    second_order: bool = True  # run gradgradcheck on the first samples
    tolerances: dict[str, float] = field(default_factory=dict)  # gradcheck eps/atol/rtol


# ----- sample makers: scalar, 1-D, broadcasting pairs, a non-contiguous view, empty ------
def _draw(shape: tuple[int, ...], low: float, high: float, away: float = 0.0) -> np.ndarray:
    x = np.asarray(RNG.uniform(low, high, size=shape))
    if away:  # keep |x| >= away: off the kink of abs, relu, ...
        x = np.asarray(np.sign(x + (x == 0)) * np.maximum(np.abs(x), away))
    return x


def _noncontiguous(low: float, high: float, away: float = 0.0) -> np.ndarray:
    view = _draw((4, 3), low, high, away).T
    assert not view.flags.c_contiguous  # a check of the test fixture itself
    return view


UNARY_SHAPES = [(), (5,), (3, 4), (2, 3, 4), "view", (0, 3)]


def unary(low: float = -2.0, high: float = 2.0, away: float = 0.0, **kwargs: Any) -> list[Sample]:
    out = []
    for shape in UNARY_SHAPES:
        x = _noncontiguous(low, high, away) if shape == "view" else _draw(shape, low, high, away)
        out.append(Sample((x,), dict(kwargs), label=str(shape)))
    return out


BINARY_SHAPES = [
    ((), ()), ((5,), (5,)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 4), (3, 1)),
    ((), (3, 2)), ("view", (4,)), ((0, 3), (3,)),
]  # fmt: skip


def binary(
    low: float = -2.0,
    high: float = 2.0,
    low_b: float | None = None,
    high_b: float | None = None,
    away: float = 0.0,
) -> list[Sample]:
    low_b = low if low_b is None else low_b
    high_b = high if high_b is None else high_b
    out = []
    for sa, sb in BINARY_SHAPES:
        a = _noncontiguous(low, high, away) if sa == "view" else _draw(sa, low, high, away)
        b = _draw(sb, low_b, high_b, away)
        out.append(Sample((a, b), label=f"{sa}x{sb}"))
    return out


def reductions(**extra: Any) -> list[Sample]:
    shapes_axes = [
        ((), None, False), ((5,), None, False), ((3, 4), 0, False), ((3, 4), 1, True),
        ((2, 3, 4), (0, 2), True), ((2, 3, 4), -1, False), ("view", 0, False), ((0, 3), 1, False),
    ]  # fmt: skip
    out = []
    for shape, axis, keep in shapes_axes:
        x = _noncontiguous(-2, 2) if shape == "view" else _draw(shape, -2, 2)
        out.append(Sample((x,), dict(axis=axis, keepdims=keep, **extra), label=f"{shape}/{axis}"))
    return out


def _nonempty(samples: list[Sample]) -> list[Sample]:
    return [s for s in samples if all(a.size for a in s.args)]


# ----- NumPy references -------------------------------------------------------------------------
def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _cross_entropy(
    z: np.ndarray,
    target: np.ndarray,
    label_smoothing: float = 0.0,
    weight: np.ndarray | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    logp = np.log(_softmax(z, 1))
    c = z.shape[1]
    w = np.ones(c) if weight is None else weight
    per = (1 - label_smoothing) * w[target] * -logp[np.arange(len(target)), target]
    per = per + label_smoothing / c * -(logp * w).sum(1)
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.sum() / w[target].sum()


def _bce(x: np.ndarray, y: np.ndarray, pos_weight: float | None = None, reduction: str = "mean"):
    s = 1 / (1 + np.exp(-x))
    pw = 1.0 if pos_weight is None else pos_weight
    per = -(pw * y * np.log(s) + (1 - y) * np.log(1 - s))
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](per)


def _dropout_ref(x: np.ndarray, p: float, seed: int) -> np.ndarray:
    draws = np.random.Generator(np.random.PCG64(seed)).random(x.shape, dtype=np.float32)
    return x * (draws >= p) / (1 - p)


def _var(
    x: np.ndarray, axis: Any = None, correction: int = 1, keepdims: bool = False
) -> np.ndarray:
    return np.var(x, axis=axis, ddof=correction, keepdims=keepdims)


def _max_ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    return np.max(x, axis=dim, keepdims=keepdim) if x.ndim else x


def _min_ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    return np.min(x, axis=dim, keepdims=keepdim) if x.ndim else x


def _distinct_values(shape: tuple[int, ...]) -> np.ndarray:
    """No ties: max, sort and topk pick one element, off their kinks."""
    n = int(np.prod(shape))
    return np.asarray(RNG.permutation(n).reshape(shape) / 4.0 - n / 8.0)


# (x, dim[, keepdim]) for ops that take one dim: max/min with indices, sort, cumsum, prod, ...
DIM_SAMPLES = [
    Sample((_distinct_values((5,)), 0), label="1-D"),
    Sample((_distinct_values((3, 4)), 1), label="rows"),
    Sample((_distinct_values((3, 4)), 0, True), label="keepdim"),
    Sample((_distinct_values((2, 3, 4)), -2), label="negative dim"),
    Sample((_distinct_values((4, 3)).T, 0), label="view"),
    Sample((_distinct_values(()), 0), label="0-d"),
]


def _split_ref(x: np.ndarray, size: Any, dim: int = 0) -> list[np.ndarray]:
    n = x.shape[dim]
    sizes = (
        [size] * (n // size) + ([n % size] if n % size else []) if isinstance(size, int) else size
    )
    return np.split(x, np.cumsum(sizes)[:-1], axis=dim)


def _gather_ref(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim % x.ndim] = index
    return x[tuple(grids)]


def _scatter_add_ref(x: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim % x.ndim] = index
    out = x.copy()
    np.add.at(out, tuple(grids), src[tuple(slice(0, m) for m in index.shape)])
    return out


def _prod_ref(x: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
    if dim is None:
        out = np.prod(x)
        return out.reshape((1,) * x.ndim) if keepdim else out
    return np.prod(x, axis=dim % max(x.ndim, 1), keepdims=keepdim) if x.ndim else x


def _norm_ref(x: np.ndarray, p: Any = "fro", dim: Any = None, keepdim: bool = False):
    a = np.abs(x)
    if p in ("fro", 2):
        return np.sqrt((a * a).sum(axis=dim, keepdims=keepdim))
    if p == math.inf:
        return a.max(axis=dim, keepdims=keepdim)
    return (a**p).sum(axis=dim, keepdims=keepdim) ** (1 / p)


def _topk_ref(x: np.ndarray, k: int, dim: int = -1, largest: bool = True) -> np.ndarray:
    order = np.argsort(-x if largest else x, axis=dim)
    idx = np.take(order, np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, axis=dim)


LABELS = np.array([0, 2, 1, 2, 0])
WEIGHTS = np.array([0.5, 2.0, 1.5])
INDEX_CASES = [
    ((4, 5), (slice(1, 3),)), ((4, 5), (slice(None), 2)), ((4, 5), (np.array([0, 0, 3]),)),
    ((4, 5), (np.array([[1, 2], [2, 2]]), slice(None, None, 2))), ((3, 4, 2), (Ellipsis, 1)),
    ((5,), (np.array([4, 4, 4, 0]),)), ((4, 5), (np.array([True, False, True, True]),)),
]  # fmt: skip

CASES: list[Case] = [
    # elementwise
    Case("add", st.add, np.add, binary()),
    Case("sub", st.sub, np.subtract, binary()),
    Case("mul", st.mul, np.multiply, binary()),
    Case("div", st.div, np.divide, binary(away=0.3)),
    Case("neg", st.neg, np.negative, unary()),
    Case("pow", st.pow, np.power, binary(0.5, 2.0, -1.5, 1.5)),
    Case("exp", st.exp, np.exp, unary()),
    Case("log", st.log, np.log, unary(0.2, 3.0)),
    Case("sqrt", st.sqrt, np.sqrt, unary(0.2, 3.0)),
    Case("abs", st.abs, np.abs, unary(away=0.1)),
    Case("sign", st.sign, np.sign, unary(away=0.1)),
    Case("maximum", st.maximum, np.maximum, binary()),
    Case("minimum", st.minimum, np.minimum, binary()),
    Case(
        "clip",
        lambda x, **k: st.clip(x, **k),
        lambda x, min, max: np.clip(x, min, max),
        [Sample(s.args, dict(min=-0.95, max=1.05), s.label) for s in unary(away=0.05)]
        + [Sample((_draw((3, 3), -2, 2, 0.05),), dict(min=None, max=0.55), "max only")],
    ),
    Case(
        "where",
        lambda a, b, cond: st.where(cond, a, b),
        lambda a, b, cond: np.where(cond, a, b),
        [
            Sample(
                s.args,
                dict(cond=_draw(np.broadcast_shapes(*(a.shape for a in s.args)), -1, 1) > 0),
                s.label,
            )
            for s in binary()
        ],
    ),
    # activations
    Case("relu", st.relu, lambda x: np.maximum(x, 0), unary(away=0.1)),
    Case(
        "leaky_relu",
        lambda x: st.leaky_relu(x, 0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        unary(away=0.1),
    ),
    Case("elu", st.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), unary(away=0.1)),
    Case(
        "gelu",
        st.gelu,
        _gelu,
        unary(-3, 3) + [Sample((np.linspace(-4, 4, 9),), dict(approximate="tanh"), "tanh form")],
    ),
    Case("sigmoid", st.sigmoid, lambda x: 1 / (1 + np.exp(-x)), unary(-4, 4)),
    Case("tanh", st.tanh, np.tanh, unary()),
    Case("softplus", st.softplus, lambda x: np.log1p(np.exp(x)), unary(-4, 4)),
    Case(
        "softmax",
        st.softmax,
        _softmax,
        _nonempty(unary())[1:]
        + [
            Sample((_draw((3, 4), -2, 2),), dict(axis=0), "axis 0"),
            Sample((_draw((2, 3, 4), -30, 30),), dict(axis=1), "large, middle axis"),
        ],
    ),
    Case(
        "log_softmax",
        st.log_softmax,
        lambda x, axis=-1: np.log(_softmax(x, axis)),
        _nonempty(unary())[1:]
        + [
            Sample((_draw((3, 4), -2, 2),), dict(axis=0), "axis 0"),
            Sample((_draw((2, 3, 4), -30, 30),), dict(axis=1), "large, middle axis"),
        ],
    ),
    # reductions
    Case("sum", st.sum, np.sum, reductions()),
    Case("mean", st.mean, np.mean, reductions()),
    Case(
        "amax",
        st.amax,
        np.max,
        _nonempty(reductions()) + [Sample((np.zeros((0, 3)),), dict(axis=1))],
    ),
    Case(
        "amin",
        st.amin,
        np.min,
        _nonempty(reductions()) + [Sample((np.zeros((0, 3)),), dict(axis=1))],
    ),
    Case("max", lambda x, *d, **k: st.max(x, *d, **k).values, _max_ref, DIM_SAMPLES),
    Case("min", lambda x, *d, **k: st.min(x, *d, **k).values, _min_ref, DIM_SAMPLES),
    # not at one element per result: with correction=1 the variance is NaN there
    Case(
        "var",
        st.var,
        _var,
        _nonempty(reductions())[1:]
        + [Sample((_draw((4, 3), -2, 2),), dict(axis=0, correction=0), "correction 0")],
    ),
    Case("std", st.std, lambda x, **k: np.sqrt(_var(x, **k)), _nonempty(reductions())[1:]),
    Case(
        "logsumexp",
        st.logsumexp,
        lambda x, axis=None, keepdims=False: np.log(
            np.sum(np.exp(x), axis=axis, keepdims=keepdims)
        ),
        _nonempty(reductions()),
    ),
    # linear algebra
    Case(
        "matmul",
        st.matmul,
        np.matmul,
        [
            Sample((_draw((3, 4), -1, 1), _draw((4, 2), -1, 1)), label="2-D"),
            Sample((_draw((4,), -1, 1), _draw((4,), -1, 1)), label="1-D dot"),
            Sample((_draw((4,), -1, 1), _draw((2, 4, 3), -1, 1)), label="1-D @ batch"),
            Sample((_draw((2, 3, 4), -1, 1), _draw((4,), -1, 1)), label="batch @ 1-D"),
            Sample((_draw((2, 1, 3, 4), -1, 1), _draw((5, 4, 2), -1, 1)), label="broadcast batch"),
            Sample((_draw((4, 3), -1, 1).T, _draw((4, 2), -1, 1)), label="view"),
            Sample((_draw((0, 4), -1, 1), _draw((4, 2), -1, 1)), label="empty"),
        ],
    ),
    # shape
    Case(
        "reshape",
        lambda x, shape: st.reshape(x, shape),
        lambda x, shape: np.reshape(x, shape),
        [
            Sample((_draw((), -1, 1),), dict(shape=(1, 1))),
            Sample((_draw((6,), -1, 1),), dict(shape=(2, 3))),
            Sample((_draw((2, 3, 4), -1, 1),), dict(shape=(4, -1))),
            Sample((_noncontiguous(-1, 1),), dict(shape=(12,))),
            Sample((_draw((0, 3), -1, 1),), dict(shape=(3, 0))),
            Sample((_draw((3, 4), -1, 1),), dict(shape=(2, 2, 3))),
        ],
    ),
    Case(
        "permute",
        lambda x, axes: st.permute(x, *axes),
        lambda x, axes: np.transpose(x, axes),
        [
            Sample((_draw((), -1, 1),), dict(axes=())),
            Sample((_draw((5,), -1, 1),), dict(axes=(0,))),
            Sample((_draw((3, 4), -1, 1),), dict(axes=(1, 0))),
            Sample((_draw((2, 3, 4), -1, 1),), dict(axes=(1, 2, 0))),
            Sample((_draw((2, 3, 4), -1, 1),), dict(axes=(-1, 0, 1)), "negative dims"),
            Sample((_noncontiguous(-1, 1),), dict(axes=(1, 0))),
            Sample((_draw((0, 3), -1, 1),), dict(axes=(1, 0))),
        ],
    ),
    Case(
        "transpose",
        st.transpose,
        np.swapaxes,
        [
            Sample((_draw((3, 4), -1, 1), 0, 1)),
            Sample((_draw((2, 3, 4), -1, 1), 0, 2)),
            Sample((_noncontiguous(-1, 1), 1, 0)),
            Sample((_draw((0, 3, 2), -1, 1), -1, -2)),
            Sample((_draw((2, 1, 3), -1, 1), 1, 1)),
            Sample((_draw((2, 3, 4, 5), -1, 1), 3, 1)),
        ],
    ),
    Case(
        "broadcast_to",
        lambda x, shape: st.broadcast_to(x, shape),
        lambda x, shape: np.broadcast_to(x, shape),
        [
            Sample((_draw((), -1, 1),), dict(shape=(3,))),
            Sample((_draw((4,), -1, 1),), dict(shape=(3, 4))),
            Sample((_draw((3, 1), -1, 1),), dict(shape=(2, 3, 5))),
            Sample((_noncontiguous(-1, 1),), dict(shape=(2, 3, 4))),
            Sample((_draw((1, 3), -1, 1),), dict(shape=(0, 3))),
            Sample((_draw((1,), -1, 1),), dict(shape=(2, 2))),
        ],
    ),
    Case(
        "squeeze",
        lambda x, axis=None: st.squeeze(x, axis),
        lambda x, axis=None: np.squeeze(x, axis),
        [
            Sample((_draw((1,), -1, 1),)),
            Sample((_draw((3, 1, 4), -1, 1),)),
            Sample((_draw((1, 3, 1), -1, 1),), dict(axis=0)),
            Sample((_draw((1, 0, 1), -1, 1),)),
            Sample((_draw((1, 1), -1, 1),), dict(axis=(0, 1))),
            Sample((np.transpose(_draw((4, 1, 3), -1, 1)),), dict(axis=1), "view"),
        ],
    ),
    Case(
        "unsqueeze",
        st.unsqueeze,
        np.expand_dims,
        [
            Sample((_draw((), -1, 1), 0)),
            Sample((_draw((5,), -1, 1), 1)),
            Sample((_draw((3, 4), -1, 1), -1)),
            Sample((_noncontiguous(-1, 1), 0)),
            Sample((_draw((0, 3), -1, 1), 1)),
            Sample((_draw((2, 3), -1, 1), -3)),
        ],
    ),
    Case(
        "flatten",
        st.flatten,
        lambda x, start_axis=0, end_axis=-1: (
            x.reshape(
                x.shape[: start_axis % max(x.ndim, 1)]
                + (-1,)
                + x.shape[end_axis % max(x.ndim, 1) + 1 :]
            )
            if x.ndim
            else x.reshape(1)
        ),
        [
            Sample((_draw((), -1, 1),)),
            Sample((_draw((2, 3, 4), -1, 1),)),
            Sample((_draw((2, 3, 4), -1, 1), 1)),
            Sample((_draw((2, 3, 4, 5), -1, 1), 1, 2)),
            Sample((_noncontiguous(-1, 1),)),
            Sample((_draw((0, 3), -1, 1), 0)),
        ],
    ),
    Case(
        "getitem",
        lambda x, index: x[index],
        lambda x, index: x[index],
        [
            Sample((_draw(shape, -1, 1),), dict(index=index), str(index))
            for shape, index in INDEX_CASES
        ]
        + [Sample((_noncontiguous(-1, 1),), dict(index=(slice(None), np.array([1, 1]))), "view")],
    ),
    Case(
        "index_add",
        lambda g, index, shape: st.index_add(g, index, shape),
        lambda g, index, shape: _index_add_ref(g, index, shape),
        [
            Sample(
                (_draw(np.zeros(shape)[index].shape, -1, 1),),
                dict(index=index, shape=shape),
                str(index),
            )
            for shape, index in INDEX_CASES
        ],
    ),
    Case(
        "concatenate",
        lambda *xs, axis=0: st.concatenate(xs, axis),
        lambda *xs, axis=0: np.concatenate(xs, axis),
        [
            Sample((_draw((2,), -1, 1), _draw((3,), -1, 1))),
            Sample((_draw((2, 3), -1, 1), _draw((1, 3), -1, 1), _draw((4, 3), -1, 1))),
            Sample((_draw((2, 3), -1, 1), _draw((2, 1), -1, 1)), dict(axis=1)),
            Sample((_noncontiguous(-1, 1), _draw((3, 2), -1, 1)), dict(axis=-1)),
            Sample((_draw((0, 3), -1, 1), _draw((2, 3), -1, 1))),
            Sample((_draw((), -1, 1).reshape(1), _draw((2,), -1, 1))),
        ],
    ),
    Case(
        "stack",
        lambda *xs, axis=0: st.stack(xs, axis),
        lambda *xs, axis=0: np.stack(xs, axis),
        [
            Sample((_draw((), -1, 1), _draw((), -1, 1))),
            Sample((_draw((3,), -1, 1), _draw((3,), -1, 1)), dict(axis=1)),
            Sample((_noncontiguous(-1, 1), _draw((3, 4), -1, 1)), dict(axis=2)),
            Sample((_draw((0, 2), -1, 1), _draw((0, 2), -1, 1))),
            Sample(
                (_draw((2, 3), -1, 1), _draw((2, 3), -1, 1), _draw((2, 3), -1, 1)), dict(axis=-1)
            ),
            Sample((_draw((4,), -1, 1),), label="one tensor"),
        ],
    ),
    Case(
        "split",
        st.split,
        _split_ref,
        [
            Sample((_draw((6,), -1, 1), 3)),
            Sample((_draw((4, 6), -1, 1), [1, 3, 2], 1)),
            Sample((_noncontiguous(-1, 1), 2, 1), label="view, uneven"),
            Sample((_draw((2, 0), -1, 1), 2)),
            Sample((_draw((2, 3, 4), -1, 1), [1, 0, 3], -1)),
            Sample((_draw((5,), -1, 1), 2), label="last piece smaller"),
        ],
    ),
    Case(
        "chunk",
        st.chunk,
        lambda x, n, dim=0: _split_ref(x, -(-x.shape[dim] // n), dim),
        [
            Sample((_draw((6,), -1, 1), 3)),
            Sample((_draw((4, 5), -1, 1), 2, 1), label="uneven"),
            Sample((_noncontiguous(-1, 1), 2, 1), label="view"),
            Sample((_draw((5,), -1, 1), 4), label="fewer pieces than asked"),
            Sample((_draw((2, 3, 4), -1, 1), 1, -1)),
            Sample((_draw((7, 2), -1, 1), 3)),
        ],
    ),
    Case(
        "pad",
        lambda x, pad_width, value=0.0: st.pad(x, pad_width, value),
        lambda x, pad_width, value=0.0: np.pad(x, pad_width, constant_values=value),
        [
            Sample((_draw((3,), -1, 1),), dict(pad_width=[(1, 2)])),
            Sample((_draw((2, 3), -1, 1),), dict(pad_width=[(0, 1), (2, 0)], value=-1.0)),
            Sample((_draw((1, 2, 3, 3), -1, 1),), dict(pad_width=1)),
            Sample((_noncontiguous(-1, 1),), dict(pad_width=[(1, 1), (1, 1)])),
            Sample((_draw((0, 2), -1, 1),), dict(pad_width=[(1, 0), (0, 0)])),
            Sample((_draw((2, 1, 2), -1, 1),), dict(pad_width=[(0, 0), (3, 0), (0, 1)])),
        ],
    ),
    Case(
        "cast",
        lambda x, dtype: st.cast(x, dtype).double(),
        lambda x, dtype: x.astype(dtype).astype(np.float64),
        [
            Sample((_draw((3,), -1, 1),), dict(dtype=np.float32)),
            Sample((_draw((2, 3), -1, 1),), dict(dtype=np.float64)),
            Sample((_noncontiguous(-1, 1),), dict(dtype=np.float32)),
            Sample((_draw((0,), -1, 1),), dict(dtype=np.float32)),
            Sample((_draw((), -1, 1),), dict(dtype=np.float32)),
            Sample((_draw((2, 1, 3), -1, 1),), dict(dtype=np.float64), "no-op cast"),
        ],
        second_order=False,
        tolerances=dict(eps=1e-3, atol=1e-4, rtol=1e-3),
    ),  # float32 round trip
    # network primitives
    Case(
        "cross_entropy",
        lambda z, **k: st.cross_entropy(z, LABELS, **k),
        lambda z, **k: _cross_entropy(z, LABELS, **k),
        [
            Sample((_draw((5, 3), -3, 3),)),
            Sample((_draw((5, 3), -3, 3),), dict(label_smoothing=0.2)),
            Sample((_draw((5, 3), -3, 3),), dict(weight=WEIGHTS)),
            Sample(
                (_draw((5, 3), -3, 3),), dict(weight=WEIGHTS, label_smoothing=0.1, reduction="sum")
            ),
            Sample((_draw((3, 5), -3, 3).T,), dict(reduction="none"), "view"),
            Sample((_draw((5, 3), -50, 50),), label="large logits"),
        ],
    ),
    Case(
        "binary_cross_entropy_with_logits",
        st.binary_cross_entropy_with_logits,
        lambda x, y, **k: _bce(x, y, **k),
        [
            Sample((_draw((4,), -3, 3), _draw((4,), 0, 1))),
            Sample((_draw((3, 2), -3, 3), _draw((3, 2), 0, 1)), dict(pos_weight=2.5)),
            Sample((_draw((), -3, 3), _draw((), 0, 1))),
            Sample((_noncontiguous(-3, 3), _draw((3, 4), 0, 1))),
            Sample((_draw((3, 1), -3, 3), _draw((3, 1), 0, 1)), dict(reduction="sum")),
            Sample((_draw((0, 2), -3, 3), _draw((0, 2), 0, 1)), dict(reduction="none")),
        ],
    ),
    Case(
        "dropout",
        lambda x, p: st.dropout(x, p, generator=st.Generator(7)),
        lambda x, p: _dropout_ref(x, p, 7),
        [
            Sample((_draw((5,), -1, 1),), dict(p=0.5)),
            Sample((_draw((3, 4), -1, 1),), dict(p=0.2)),
            Sample((_draw((), -1, 1),), dict(p=0.5)),
            Sample((_noncontiguous(-1, 1),), dict(p=0.3)),
            Sample((_draw((0, 3), -1, 1),), dict(p=0.5)),
            Sample((_draw((2, 2), -1, 1),), dict(p=0.0)),
        ],
    ),
    Case(
        "embedding",
        lambda w, indices: st.embedding(w, indices),
        lambda w, indices: w[indices],
        [
            Sample((_draw((5, 3), -1, 1),), dict(indices=np.array([0, 4, 4]))),
            Sample((_draw((5, 3), -1, 1),), dict(indices=np.array([[1, 2], [2, 2]]))),
            Sample((_draw((5, 3), -1, 1),), dict(indices=np.array(3))),
            Sample((_draw((3, 5), -1, 1).T,), dict(indices=np.array([0, 1]))),
            Sample((_draw((5, 3), -1, 1),), dict(indices=np.zeros((0,), dtype=np.int64))),
            Sample((_draw((1, 4), -1, 1),), dict(indices=np.zeros((2, 3), dtype=np.int64))),
        ],
    ),
]


def _index_add_ref(g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


# ----- convolution and pooling (NCHW), references written as plain loops -----------------------
def _conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    n, _, h, wd = x.shape
    co, cg, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (padding, padding), (padding, padding)])
    oh = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, co, oh, ow))
    per_group = co // groups
    for o in range(co):
        g = o // per_group
        for i in range(oh):
            for j in range(ow):
                patch = xp[
                    :,
                    g * cg : (g + 1) * cg,
                    i * stride : i * stride + dilation * (kh - 1) + 1 : dilation,
                    j * stride : j * stride + dilation * (kw - 1) + 1 : dilation,
                ]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3))
    return out if b is None else out + b[None, :, None, None]


def _pool_ref(x, kernel_size, stride=None, padding=0, reduce=np.max):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (kh, kw) if stride is None else (stride, stride)
    fill = -np.inf if reduce is np.max else 0.0
    xp = np.pad(x, [(0, 0), (0, 0), (padding, padding), (padding, padding)], constant_values=fill)
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
            out[:, :, i, j] = reduce(win, axis=(2, 3)) if win.size else 0.0
    return out


def _adaptive_ref(x, output_size):
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    h, w = x.shape[2:]
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            w0, w1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def _distinct(shape):
    """Values with no ties, so max pooling has one winner per window (off its kinks)."""
    return np.asarray(RNG.permutation(int(np.prod(shape))).reshape(shape) / 10.0 - 1.0)


CASES += [
    Case(
        "conv2d",
        st.conv2d,
        _conv_ref,
        [
            Sample(
                (_draw((2, 3, 5, 5), -1, 1), _draw((4, 3, 3, 3), -1, 1), _draw((4,), -1, 1)),
                label="bias",
            ),
            Sample(
                (_draw((1, 2, 6, 5), -1, 1), _draw((3, 2, 2, 3), -1, 1)),
                dict(stride=2, padding=1),
                "stride 2, pad 1, non-square kernel",
            ),
            Sample(
                (_draw((1, 2, 7, 7), -1, 1), _draw((2, 2, 3, 3), -1, 1)),
                dict(dilation=2),
                "dilation",
            ),
            Sample(
                (_draw((2, 4, 4, 4), -1, 1), _draw((6, 2, 3, 3), -1, 1)),
                dict(groups=2, padding=1),
                "groups",
            ),
            Sample(
                (_draw((1, 3, 4, 4), -1, 1), _draw((3, 1, 3, 3), -1, 1)),
                dict(groups=3),
                "depthwise",
            ),
            Sample(
                (
                    np.transpose(_draw((2, 4, 3, 1), -1, 1), (3, 2, 1, 0)),
                    _draw((2, 3, 2, 2), -1, 1),
                ),
                label="view",
            ),
            Sample((_draw((0, 2, 4, 4), -1, 1), _draw((3, 2, 3, 3), -1, 1)), label="empty batch"),
        ],
    ),
    Case(
        "max_pool2d",
        st.max_pool2d,
        _pool_ref,
        [
            Sample((_distinct((2, 3, 4, 4)),), dict(kernel_size=2), "2x2"),
            Sample((_distinct((1, 2, 5, 5)),), dict(kernel_size=3, stride=1), "overlapping"),
            Sample((_distinct((1, 2, 5, 6)),), dict(kernel_size=2, stride=2, padding=1), "padding"),
            Sample(
                (np.transpose(_distinct((4, 4, 2, 1)), (3, 2, 1, 0)),), dict(kernel_size=2), "view"
            ),
            Sample((_distinct((1, 1, 4, 6)),), dict(kernel_size=(2, 3)), "rectangular"),
            Sample((_distinct((0, 2, 4, 4)),), dict(kernel_size=2), "empty batch"),
        ],
    ),
    Case(
        "avg_pool2d",
        st.avg_pool2d,
        lambda x, **k: _pool_ref(x, reduce=np.mean, **k),
        [
            Sample((_draw((2, 3, 4, 4), -1, 1),), dict(kernel_size=2), "2x2"),
            Sample((_draw((1, 2, 5, 5), -1, 1),), dict(kernel_size=3, stride=1), "overlapping"),
            Sample(
                (_draw((1, 2, 5, 6), -1, 1),), dict(kernel_size=2, stride=2, padding=1), "padding"
            ),
            Sample(
                (np.transpose(_draw((4, 4, 2, 1), -1, 1), (3, 2, 1, 0)),),
                dict(kernel_size=2),
                "view",
            ),
            Sample((_draw((1, 1, 4, 6), -1, 1),), dict(kernel_size=(2, 3)), "rectangular"),
            Sample((_draw((0, 2, 4, 4), -1, 1),), dict(kernel_size=2), "empty batch"),
        ],
    ),
    Case(
        "adaptive_avg_pool2d",
        st.adaptive_avg_pool2d,
        _adaptive_ref,
        [
            Sample((_draw((2, 3, 4, 4), -1, 1),), dict(output_size=1), "global"),
            Sample((_draw((1, 2, 5, 7), -1, 1),), dict(output_size=(2, 3)), "uneven"),
            Sample((_draw((1, 2, 6, 6), -1, 1),), dict(output_size=3), "even"),
            Sample(
                (np.transpose(_draw((4, 4, 2, 1), -1, 1), (3, 2, 1, 0)),),
                dict(output_size=2),
                "view",
            ),
            Sample((_draw((1, 2, 3, 3), -1, 1),), dict(output_size=(3, 3)), "identity size"),
            Sample((_draw((1, 1, 7, 5), -1, 1),), dict(output_size=(3, 2)), "overlapping bins"),
        ],
    ),
]


def _batch_norm_ref(x, w, b, training=True, running_mean=None, running_var=None, eps=1e-5):
    axes = (0, *range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


def _batch_norm(x, w, b, training=True, **k):
    return st.batch_norm(x, weight=w, bias=b, training=training, **k)


CASES += [
    Case(
        "batch_norm",
        _batch_norm,
        _batch_norm_ref,
        [
            Sample(
                (_draw((4, 3), -1, 1), _draw((3,), 0.5, 1.5), _draw((3,), -1, 1)), label="(N, C)"
            ),
            Sample(
                (_draw((2, 3, 2, 2), -1, 1), _draw((3,), 0.5, 1.5), _draw((3,), -1, 1)),
                label="(N, C, H, W)",
            ),
            Sample(
                (_draw((3, 2, 4), -2, 2), _draw((2,), -1.5, -0.5), _draw((2,), -1, 1)),
                dict(eps=0.1),
                "(N, C, L), eps",
            ),
            Sample(
                (
                    np.transpose(_draw((2, 2, 3, 3), -1, 1), (3, 0, 1, 2)),
                    _draw((2,), 0.5, 1.5),
                    _draw((2,), -1, 1),
                ),
                label="batch-innermost view",
            ),
            Sample(
                (_noncontiguous(-1, 1), _draw((4,), 0.5, 1.5), _draw((4,), -1, 1)), label="view"
            ),
            Sample(
                (_draw((2, 3, 2, 2), -1, 1), _draw((3,), 0.5, 1.5), _draw((3,), -1, 1)),
                dict(
                    training=False,
                    running_mean=_draw((3,), -0.5, 0.5),
                    running_var=_draw((3,), 0.5, 1.5),
                ),
                "evaluation: running statistics",
            ),
        ],
    ),
]


def _linear_ref(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


CASES += [
    Case(
        "linear",
        st.linear,
        _linear_ref,
        [
            Sample((_draw((4, 3), -1, 1), _draw((2, 3), -1, 1), _draw((2,), -1, 1)), label="bias"),
            Sample((_draw((4, 3), -1, 1), _draw((5, 3), -1, 1)), label="no bias"),
            Sample((_draw((3,), -1, 1), _draw((2, 3), -1, 1), _draw((2,), -1, 1)), label="1-D x"),
            Sample(
                (_draw((2, 3, 4), -1, 1), _draw((2, 4), -1, 1), _draw((2,), -1, 1)),
                label="leading dims",
            ),
            Sample((_noncontiguous(-1, 1), _draw((2, 4), -1, 1), _draw((2,), -1, 1)), label="view"),
            Sample((_draw((0, 3), -1, 1), _draw((2, 3), -1, 1), _draw((2,), -1, 1)), label="empty"),
        ],
    ),
]


# ----- PyTorch's tensor methods: scans, reorderings, gathers -----------------------------------
GATHER_INDEX = np.array([[0, 2, 2, 1], [1, 1, 0, 0], [2, 0, 1, 2]])
CASES += [
    Case(
        "prod",
        st.prod,
        _prod_ref,
        [
            Sample((_draw((5,), 0.5, 1.5),)),
            Sample((_draw((3, 4), -1.5, 1.5, 0.3), 1)),
            Sample((_draw((3, 4), -1.5, 1.5, 0.3), 0, True), label="keepdim"),
            Sample((np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]]), 1), label="zeros"),
            Sample((_noncontiguous(0.5, 1.5), -1), label="view"),
            Sample((_draw((), -1, 1),), label="0-d"),
        ],
        second_order=False,  # the rule's zero case is first-order only (checked in test_tensor_api)
    ),
    Case(
        "cumsum",
        st.cumsum,
        lambda x, dim: np.cumsum(x, axis=dim) if x.ndim else x,
        [
            Sample((_draw((5,), -1, 1), 0)),
            Sample((_draw((3, 4), -1, 1), 1)),
            Sample((_draw((2, 3, 4), -1, 1), -2)),
            Sample((_noncontiguous(-1, 1), 0), label="view"),
            Sample((_draw((0, 3), -1, 1), 1), label="empty"),
            Sample((_draw((), -1, 1), 0), label="0-d"),
        ],
    ),
    Case(
        "norm",
        st.norm,
        _norm_ref,
        [
            Sample((_draw((5,), -1, 1),)),
            Sample((_draw((3, 4), -1, 1), 2, 1)),
            Sample((_draw((3, 4), -1, 1, 0.1), 1, 0, True), label="p=1, keepdim"),
            Sample((_distinct_values((3, 4)), math.inf, -1), label="p=inf"),
            Sample((_noncontiguous(-1, 1, 0.1), 3, (0, 1)), label="p=3, view"),
            Sample((_draw((2, 3), -1, 1), "fro", (0, 1))),
        ],
    ),
    Case(
        "flip",
        st.flip,
        lambda x, *dims: np.flip(x, dims),
        [
            Sample((_draw((5,), -1, 1), 0)),
            Sample((_draw((3, 4), -1, 1), 0, 1)),
            Sample((_draw((2, 3, 4), -1, 1), -1)),
            Sample((_noncontiguous(-1, 1), 1), label="view"),
            Sample((_draw((0, 3), -1, 1), 0), label="empty"),
            Sample((_draw((3, 4), -1, 1),), label="no dims"),
        ],
    ),
    Case(
        "roll",
        st.roll,
        lambda x, shifts, dims=None: np.roll(x, shifts, dims),
        [
            Sample((_draw((5,), -1, 1), 2)),
            Sample((_draw((3, 4), -1, 1), 1, 1)),
            Sample((_draw((3, 4), -1, 1), (1, -2), (0, 1))),
            Sample((_draw((3, 4), -1, 1), 5), label="flattened"),
            Sample((_noncontiguous(-1, 1), -1, 0), label="view"),
            Sample((_draw((0, 3), -1, 1), 1, 1), label="empty"),
        ],
    ),
    Case(
        "repeat",
        st.repeat,
        lambda x, *reps: np.tile(x, reps),
        [
            Sample((_draw((3,), -1, 1), 2)),
            Sample((_draw((2, 3), -1, 1), 2, 1)),
            Sample((_draw((2, 3), -1, 1), 2, 1, 3), label="new leading dim"),
            Sample((_noncontiguous(-1, 1), 1, 2), label="view"),
            Sample((_draw((), -1, 1), 3), label="0-d"),
            Sample((_draw((2, 3), -1, 1), 0, 1), label="zero repeats"),
        ],
    ),
    Case(
        "expand",
        st.expand,
        lambda x, *sizes: np.broadcast_to(
            x,
            tuple(x.shape[i - len(sizes) + x.ndim] if n == -1 else n for i, n in enumerate(sizes)),
        ),
        [
            Sample((_draw((3, 1), -1, 1), 3, 4)),
            Sample((_draw((3, 1), -1, 1), -1, 4), label="-1 keeps a dim"),
            Sample((_draw((3,), -1, 1), 2, -1), label="new leading dim"),
            Sample((_draw((), -1, 1), 2), label="0-d"),
            Sample((np.transpose(_draw((1, 3), -1, 1)), 3, 2), label="view"),
            Sample((_draw((1, 2), -1, 1), 0, 2), label="empty"),
        ],
    ),
    Case("clone", st.clone, np.copy, unary()),
    Case(
        "t",
        st.t,
        lambda x: x.T,
        [s for s in unary() if len(s.args[0].shape) < 3]
        + [Sample((_draw((2, 0), -1, 1),), label="2-D empty")],
    ),
    Case(
        "gather",
        st.gather,
        _gather_ref,
        [
            Sample((_draw((3, 3), -1, 1), 1, GATHER_INDEX[:, :3])),
            Sample((_draw((3, 5), -1, 1), 0, GATHER_INDEX), label="repeated picks"),
            Sample((_draw((4, 4), -1, 1), -1, GATHER_INDEX[:2, :2]), label="smaller index"),
            Sample((_noncontiguous(-1, 1), 1, GATHER_INDEX[:3, :2]), label="view"),
            Sample((_draw((2, 3, 2), -1, 1), 1, np.zeros((2, 4, 1), dtype=np.int64)), label="3-D"),
            Sample((_draw((3,), -1, 1), 0, np.zeros((0,), dtype=np.int64)), label="empty index"),
        ],
    ),
    Case(
        "scatter_add",
        lambda x, src, dim, index: st.scatter_add(x, dim, index, src),
        _scatter_add_ref,
        [
            Sample(
                (_draw((3, 3), -1, 1), _draw((3, 3), -1, 1)), dict(dim=1, index=GATHER_INDEX[:, :3])
            ),
            Sample(
                (_draw((3, 4), -1, 1), _draw((3, 4), -1, 1)),
                dict(dim=0, index=GATHER_INDEX),
                label="repeats add up",
            ),
            Sample(
                (_draw((4, 4), -1, 1), _draw((3, 3), -1, 1)),
                dict(dim=-1, index=GATHER_INDEX[:2, :2]),
                label="bigger src",
            ),
            Sample(
                (_noncontiguous(-1, 1), _draw((3, 2), -1, 1)),
                dict(dim=1, index=GATHER_INDEX[:3, :2]),
                label="view",
            ),
            Sample(
                (_draw((2, 3), -1, 1), _draw((1, 3), -1, 1)),
                dict(dim=0, index=GATHER_INDEX[:1, :3] % 2),
            ),
            Sample(
                (_draw((3,), -1, 1), _draw((0,), -1, 1)),
                dict(dim=0, index=np.zeros((0,), dtype=np.int64)),
                label="empty index",
            ),
        ],
    ),
    Case(
        "masked_fill",
        lambda x, mask, value: st.masked_fill(x, mask, value),
        lambda x, mask, value: np.where(mask, value, x),
        [
            Sample((_draw((5,), -1, 1),), dict(mask=np.array([1, 0, 1, 0, 0], bool), value=0.5)),
            Sample((_draw((3, 4), -1, 1),), dict(mask=_draw((3, 4), -1, 1) > 0, value=-2.0)),
            Sample(
                (_draw((3, 4), -1, 1),),
                dict(mask=np.array([True, False, True, False]), value=0.0),
                label="broadcast mask",
            ),
            Sample(
                (_noncontiguous(-1, 1),),
                dict(mask=np.eye(3, 4, dtype=bool), value=1.0),
                label="view",
            ),
            Sample((_draw((), -1, 1),), dict(mask=np.array(True), value=3.0), label="0-d"),
            Sample(
                (_draw((0, 3), -1, 1),), dict(mask=np.zeros((0, 3), bool), value=1.0), label="empty"
            ),
        ],
    ),
    Case(
        "sort",
        lambda x, *a, **k: st.sort(x, *a, **k).values,
        lambda x, dim=-1, descending=False: (
            np.sort(x, axis=dim)[(slice(None),) * (dim % x.ndim) + (slice(None, None, -1),)]
            if descending
            else np.sort(x, axis=dim)
        ),
        [
            Sample((_distinct_values((5,)),)),
            Sample((_distinct_values((3, 4)), 0)),
            Sample((_distinct_values((3, 4)), 1, True), label="descending"),
            Sample((_distinct_values((2, 3, 4)), -2)),
            Sample((_distinct_values((4, 3)).T, 0), label="view"),
            Sample((_draw((0, 3), -1, 1), 1), label="empty"),
        ],
    ),
    Case(
        "topk",
        lambda x, *a, **k: st.topk(x, *a, **k).values,
        _topk_ref,
        [
            Sample((_distinct_values((5,)), 2)),
            Sample((_distinct_values((3, 4)), 3, 1)),
            Sample((_distinct_values((3, 4)), 2, 0, False), label="smallest"),
            Sample((_distinct_values((2, 3, 4)), 1, -2)),
            Sample((_distinct_values((4, 3)).T, 3, 0), label="view"),
            Sample((_distinct_values((3, 4)), 0, 1), label="k=0"),
        ],
    ),
]


# ----- activations with corners: samples kept 0.05 away from every corner (gradcheck's kinks) ---
def _off(samples: list[Sample], corners: tuple[float, ...]) -> list[Sample]:
    out = []
    for s in samples:
        x = s.args[0].copy() if s.args[0].flags.c_contiguous else s.args[0]
        for c in corners:
            x = np.where(np.abs(x - c) < 0.05, x + 0.1, x)
        out.append(Sample((x, *s.args[1:]), s.kwargs, s.label))
    return out


def _hardtanh_ref(x, min_val=-1.0, max_val=1.0):
    return np.clip(x, min_val, max_val)


def _elu_ref(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _softplus_ref(x):
    return np.logaddexp(0, x)


CASES += [
    Case("erf", st.erf, _erf, unary(-4, 4) + [Sample((np.linspace(-7, 7, 57),), label="wide")]),
    Case("silu", st.silu, lambda x: x / (1 + np.exp(-x)), unary(-6, 6)),
    Case("mish", st.mish, lambda x: x * np.tanh(_softplus_ref(x)), unary(-6, 6)),
    Case(
        "hardswish",
        st.hardswish,
        lambda x: x * np.clip(x + 3, 0, 6) / 6,
        _off(unary(-5, 5), (-3.0, 3.0)),
    ),
    Case(
        "hardsigmoid",
        st.hardsigmoid,
        lambda x: np.clip(x / 6 + 0.5, 0, 1),
        _off(unary(-5, 5), (-3.0, 3.0)),
    ),
    Case(
        "hardtanh",
        st.hardtanh,
        _hardtanh_ref,
        _off(unary(-2, 2), (-1.0, 1.0))
        + [Sample((np.linspace(-1.45, 2.55, 9),), dict(min_val=-0.5, max_val=2.0), "range")],
    ),
    Case("relu6", st.relu6, lambda x: np.clip(x, 0, 6), _off(unary(-2, 8), (0.0, 6.0))),
    Case(
        "selu",
        st.selu,
        lambda x: 1.0507009873554805 * _elu_ref(x, 1.6732632423543772),
        unary(-3, 3, away=0.05),
    ),
    Case(
        "celu",
        lambda x, alpha=1.0: st.celu(x, alpha),
        lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha)),
        unary(-3, 3, away=0.05, alpha=2.0),
    ),
]


def _bce_probs(x, y, weight=None, reduction="mean"):
    per = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    per = per if weight is None else per * weight
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](per)


CASES += [
    Case(
        "binary_cross_entropy",
        st.binary_cross_entropy,
        _bce_probs,
        [
            Sample((_draw((4,), 0.05, 0.95), _draw((4,), 0, 1))),
            Sample((_draw((3, 2), 0.05, 0.95), _draw((3, 2), 0, 1)), dict(reduction="sum")),
            Sample((_draw((), 0.05, 0.95), _draw((), 0, 1))),
            Sample((_draw((4, 3), 0.05, 0.95).T, _draw((3, 4), 0, 1)), label="view"),
            Sample(
                (_draw((3, 2), 0.05, 0.95), _draw((3, 2), 0, 1)),
                dict(weight=np.array([0.5, 2.0]), reduction="none"),
            ),
            Sample((_draw((0, 2), 0.05, 0.95), _draw((0, 2), 0, 1)), dict(reduction="none")),
        ],
    ),
]
