"""Explicit penalties to add to a loss (L2 is usually weight decay, in the optimizer)."""

from __future__ import annotations

from collections.abc import Iterable

from ..tensor import Tensor
from .module import Module


def _params(source: Module | Iterable[Tensor]) -> list[Tensor]:
    params = list(source.parameters() if isinstance(source, Module) else source)
    if not params:
        raise ValueError("penalty: no parameters given")
    return params


def l1_penalty(source: Module | Iterable[Tensor]) -> Tensor:
    """``sum_p sum_i |p_i|`` over every parameter (biases included); differentiable, with
    subgradient ``sign(p)`` (0 at 0). Add ``lam * l1_penalty(model)`` to the loss to favour
    sparse weights.

    >>> loss = F.mse_loss(model(x), y) + 1e-4 * st.nn.l1_penalty(model)
    >>> loss.backward()
    """
    total = None
    for p in _params(source):
        term = p.abs().sum()
        total = term if total is None else total + term
    return total


def l2_penalty(source: Module | Iterable[Tensor]) -> Tensor:
    """``sum_p sum_i p_i^2`` over every parameter; ``lam / 2 * l2_penalty`` in the loss equals
    weight decay ``lam`` in plain SGD (not in Adam: that difference is what AdamW fixes)."""
    total = None
    for p in _params(source):
        term = (p * p).sum()
        total = term if total is None else total + term
    return total
