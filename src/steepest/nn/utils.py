r"""Gradient clipping and flattening parameters into one vector.

>>> loss.backward()
>>> norm = st.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # norm before clipping
>>> opt.step()
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..backend import array_module
from ..optim.transforms import global_norm
from ..tensor import Tensor

Parameters = Tensor | Iterable[Tensor]


def _tensors(parameters: Parameters) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _grads(parameters: Parameters) -> list[Tensor]:
    return [p.grad for p in _tensors(parameters) if p.grad is not None]


def clip_grad_norm_(
    parameters: Parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    r"""Scale all gradients in place by :math:`\min(1, c / (\|g\|_p + 10^{-6}))`, where
    :math:`\|g\|_p` is the norm of all gradients taken together; returns that norm (before
    clipping) as a 0-d tensor, as ``torch.nn.utils.clip_grad_norm_``. Parameters without a
    gradient are ignored; ``norm_type`` may be ``float('inf')`` (largest absolute value).

    With ``error_if_nonfinite=True`` a NaN or infinite norm raises RuntimeError instead of
    filling the gradients with NaN.

    >>> total = st.nn.utils.clip_grad_norm_(params, max_norm=1.0)
    >>> float(total)  # the norm the gradients had
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type!r}")
    if not grads:
        return Tensor(np.asarray(0.0))
    total = global_norm((g.data for g in grads), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total {norm_type}-norm of the gradients is {total}, so they "
            "cannot be clipped; pass error_if_nonfinite=False to scale them anyway (they "
            "become NaN), or find the op that produced it with st.autograd.detect_anomaly()"
        )
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:  # also when the norm is NaN: the gradients become NaN, as in PyTorch
        for g in grads:
            g.data *= coef
    dtype = grads[0].dtype
    return Tensor(array_module(grads[0].data).asarray(total, dtype=dtype))


def clip_grad_value_(parameters: Parameters, clip_value: float) -> None:
    """Clip every gradient element to ``[-clip_value, clip_value]`` in place.

    >>> st.nn.utils.clip_grad_value_(params, 0.5)
    """
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    for g in _grads(parameters):
        array_module(g.data).clip(g.data, -clip_value, clip_value, out=g.data)


def parameters_to_vector(parameters: Parameters) -> Tensor:
    """All parameters flattened and concatenated into one new 1-D tensor (a copy).

    >>> vec = st.nn.utils.parameters_to_vector(model.parameters())
    """
    params = _tensors(parameters)
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    xp = array_module(params[0].data)
    return Tensor(xp.concatenate([p.data.reshape(-1) for p in params]))


def vector_to_parameters(vec: Tensor, parameters: Parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place (so an
    optimizer holding them keeps working).

    >>> st.nn.utils.vector_to_parameters(vec, model.parameters())
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, got {type(vec).__name__}")
    params = _tensors(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(
            f"vector_to_parameters: vec has shape {vec.shape}, the parameters need ({total},)"
        )
    start = 0
    for p in params:
        p.data[...] = vec.data[start : start + p.numel()].reshape(p.shape)
        start += p.numel()


__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]
