"""Helpers shared by the presets: activations by name, argument checks."""

from __future__ import annotations

from typing import Any

from .. import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU,
    "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softplus": nn.Softplus,
}  # fmt: skip


def make_activation(name: str, where: str) -> nn.Module:
    """A fresh activation module from its name (``"relu"``, ``"tanh"``, ...)."""
    cls = ACTIVATIONS.get(name)
    if cls is None:
        raise ValueError(f"{where}: unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return cls()


def positive_int(value: Any, name: str, where: str) -> int:
    """``value`` as an int >= 1, or a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
    return value


def probability(value: Any, name: str, where: str) -> float:
    """``value`` as a dropout probability in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ValueError(f"{where}: {name} must be a number in [0, 1), got {value!r}")
    return float(value)


def int_tuple(value: Any, name: str, where: str, allow_empty: bool = False) -> tuple[int, ...]:
    """An int or a sequence of ints as a tuple of positive ints (non-empty unless allowed)."""
    items = (value,) if isinstance(value, int) else tuple(value)
    if not items and not allow_empty:
        raise ValueError(f"{where}: {name} must not be empty")
    return tuple(positive_int(v, f"every entry of {name}", where) for v in items)
