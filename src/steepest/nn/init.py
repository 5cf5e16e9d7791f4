"""Weight initializers: each fills a tensor in place, seeded, and returns it.

Every function takes ``generator=None`` (the default generator, ``st.manual_seed``)
or an ``st.Generator``; draws are made in float64 and cast to the tensor's dtype,
so the same seed gives the same values at every precision.

Fans follow PyTorch: for a weight of shape (out, in, *kernel), ``fan_in = in *
prod(kernel)`` and ``fan_out = out * prod(kernel)``.

>>> w = st.nn.Parameter(st.zeros(64, 32))
>>> st.nn.init.kaiming_normal(w, nonlinearity="relu", generator=st.Generator(0))
>>> float(w.std())  # about sqrt(2 / 32) = 0.25
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..random import Generator, generator_or_default
from ..tensor import Tensor

_GAINS_LINEAR = ("linear", "identity", "conv1d", "conv2d", "conv3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity``.

    linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2))
    (slope ``param``, default 0.01), selu 3/4 (as PyTorch).
    """
    if nonlinearity in _GAINS_LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, int | float):
            raise ValueError(f"calculate_gain: negative slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
        f"{(*_GAINS_LINEAR, 'tanh', 'relu', 'leaky_relu', 'selu')}"
    )


def calculate_fans(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight with at least 2 dimensions."""
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with >= 2 dimensions, got shape {tensor.shape}"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    """Write float64 ``values`` into ``tensor`` in place (same array, so views stay valid)."""
    tensor.data[...] = backend.to_device(values.astype(tensor.dtype), tensor.device)
    return tensor


def _rng(generator: Generator | None) -> np.random.Generator:
    return generator_or_default(generator).np


def uniform(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with draws from U(a, b)."""
    if not a <= b:
        raise ValueError(f"uniform: need a <= b, got a={a}, b={b}")
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    if std < 0:
        raise ValueError(f"normal: std must be >= 0, got {std}")
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def trunc_normal(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill with draws from N(mean, std^2) conditioned on [a, b] (absolute bounds, as
    PyTorch's ``trunc_normal_``): out-of-range draws are redrawn until none is left, which
    samples the truncated distribution exactly (PyTorch uses the inverse CDF instead)."""
    if std < 0:
        raise ValueError(f"trunc_normal: std must be >= 0, got {std}")
    if not a < b:
        raise ValueError(f"trunc_normal: need a < b, got a={a}, b={b}")
    if std == 0 and not a <= mean <= b:
        raise ValueError(f"trunc_normal: std = 0 puts all values at {mean}, outside [{a}, {b}]")
    if std > 0 and ((mean - b) / std > 6 or (a - mean) / std > 6):
        raise ValueError(
            f"trunc_normal: [a, b] = [{a}, {b}] lies more than 6 std from mean={mean} (std={std}); "
            "almost every draw would be rejected"
        )
    rng = _rng(generator)
    values = rng.normal(mean, std, tensor.shape)
    bad = (values < a) | (values > b)
    while bad.any():  # each round keeps a fixed share of the rest: a few rounds suffice
        values[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (values < a) | (values > b)
    return _fill(tensor, values)


def constant(tensor: Tensor, value: float) -> Tensor:
    """Fill with ``value``."""
    return _fill(tensor, np.full(tensor.shape, value, dtype=np.float64))


def zeros(tensor: Tensor) -> Tensor:
    return constant(tensor, 0.0)


def ones(tensor: Tensor) -> Tensor:
    return constant(tensor, 1.0)


def xavier_uniform(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot & Bengio (2010): U(-b, b) with b = gain sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(tensor, -bound, bound, generator)


def xavier_normal(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot & Bengio (2010): N(0, s^2) with s = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fans(tensor)
    return normal(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He et al. (2015): U(-b, b), b = gain sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``a`` is the negative slope of a leaky ReLU (0 = ReLU). PyTorch's Linear and Conv2d use
    ``a = sqrt(5)``, which makes b = 1 / sqrt(fan_in).
    """
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform(tensor, -bound, bound, generator)


def kaiming_normal(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He et al. (2015): N(0, s^2), s = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)."""
    gain = calculate_gain(nonlinearity, a)
    return normal(tensor, 0.0, gain / math.sqrt(_fan(tensor, mode)), generator)


def lecun_uniform(tensor: Tensor, generator: Generator | None = None) -> Tensor:
    """LeCun et al. (1998): U(-b, b) with b = sqrt(3 / fan_in), i.e. variance 1 / fan_in."""
    bound = math.sqrt(3.0 / _fan(tensor, "fan_in"))
    return uniform(tensor, -bound, bound, generator)


def lecun_normal(tensor: Tensor, generator: Generator | None = None) -> Tensor:
    """LeCun et al. (1998): N(0, 1 / fan_in) (plain, not truncated, normal)."""
    return normal(tensor, 0.0, 1.0 / math.sqrt(_fan(tensor, "fan_in")), generator)


def orthogonal(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Saxe et al. (2014): a (semi-)orthogonal matrix times ``gain``.

    The weight is viewed as (rows, cols) = (shape[0], prod(shape[1:])); the Q of a QR
    factorization of a Gaussian matrix, with signs fixed by diag(R) so that Q is uniformly
    distributed. Rows are orthonormal when rows <= cols, columns otherwise.
    """
    if tensor.ndim < 2:
        raise ValueError(
            f"orthogonal: need a tensor with >= 2 dimensions, got shape {tensor.shape}"
        )
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # without this, Q is biased by the QR convention
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


# PyTorch spells the in-place initializers with a trailing underscore; accept both spellings.
uniform_ = uniform
normal_ = normal
trunc_normal_ = trunc_normal
constant_ = constant
zeros_ = zeros
ones_ = ones
xavier_uniform_ = xavier_uniform
xavier_normal_ = xavier_normal
kaiming_uniform_ = kaiming_uniform
kaiming_normal_ = kaiming_normal
orthogonal_ = orthogonal
