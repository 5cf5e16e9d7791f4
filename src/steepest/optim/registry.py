"""The optimizer registry: build any optimizer by name, with the defaults the CLI uses.

Each entry names a class, the preset arguments that make it that optimizer (``momentum`` is
SGD with ``momentum=0.9``), the learning rate that works out of the box, and whether it takes
``betas``. The CLI's choices and defaults and the studies derive from this table, so a new
optimizer is its own file plus one ``register`` line here.

>>> opt = st.optim.create("nesterov", model.parameters())          # lr 0.01, momentum 0.9
>>> opt = st.optim.create("adam", model.parameters(), lr=3e-4, weight_decay=1e-4)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lion import Lion
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD


@dataclass(frozen=True)
class OptimizerSpec:
    """One registry entry; ``preset`` holds the arguments that distinguish it from its class."""

    name: str
    cls: type[Optimizer]
    default_lr: float
    preset: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def takes_betas(self) -> bool:
        return "betas" in inspect.signature(self.cls).parameters


_REGISTRY: dict[str, OptimizerSpec] = {}


def register(name: str, cls: type[Optimizer], default_lr: float,
             preset: dict[str, Any] | None = None, description: str = "") -> OptimizerSpec:
    """Add an optimizer under ``name`` (``preset``: fixed keyword arguments of ``cls``).

    >>> st.optim.register("heavyball", st.optim.SGD, 0.01, {"momentum": 0.99})
    """
    if not isinstance(name, str) or not name or name in _REGISTRY:
        raise ValueError(f"optim.register: name must be a new non-empty string, got {name!r}")
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise TypeError(f"optim.register: {name!r} needs an Optimizer subclass, got {cls!r}")
    if not (isinstance(default_lr, int | float) and default_lr > 0):
        raise ValueError(f"optim.register: {name!r} needs a default_lr > 0, got {default_lr!r}")
    accepted = inspect.signature(cls).parameters
    unknown = [k for k in preset or {} if k not in accepted]
    if unknown:
        raise TypeError(f"optim.register: {cls.__name__} takes no argument(s) "
                        f"{', '.join(unknown)} (preset of {name!r})")
    spec = OptimizerSpec(name, cls, float(default_lr), dict(preset or {}), description)
    _REGISTRY[name] = spec
    return spec


def names() -> list[str]:
    """Every registered optimizer name, in registration order.

    >>> st.optim.names()[:3]
    ['sgd', 'momentum', 'nesterov']
    """
    return list(_REGISTRY)


def spec(name: str) -> OptimizerSpec:
    """The registry entry of ``name``; ValueError listing the known names if there is none."""
    entry = _REGISTRY.get(name)
    if entry is None:
        raise ValueError(f"unknown optimizer {name!r}; choose from: {', '.join(_REGISTRY)}")
    return entry


def create(name: str, params: Any, lr: float | None = None, **overrides: Any) -> Optimizer:
    """The optimizer ``name`` over ``params``: its preset, then ``overrides`` on top.

    ``lr=None`` takes the entry's default learning rate. Unknown names raise ValueError,
    arguments the class does not take raise TypeError; both list the choices.

    >>> opt = st.optim.create("momentum", model.parameters(), weight_decay=5e-4)
    >>> opt.param_groups[0]["momentum"]
    0.9
    """
    entry = spec(name)
    accepted = inspect.signature(entry.cls).parameters
    unknown = [k for k in overrides if k not in accepted]
    if unknown:
        raise TypeError(f"optimizer {name!r} ({entry.cls.__name__}) got unknown argument(s) "
                        f"{', '.join(unknown)}; it accepts: "
                        f"{', '.join(k for k in accepted if k != 'params')}")
    kwargs = {**entry.preset, **overrides, "lr": entry.default_lr if lr is None else lr}
    return entry.cls(params, **kwargs)


register("sgd", SGD, 0.1, description="plain (mini-batch) gradient descent")
register("momentum", SGD, 0.01, {"momentum": 0.9}, "SGD with heavy-ball momentum 0.9")
register("nesterov", SGD, 0.01, {"momentum": 0.9, "nesterov": True},
         "SGD with Nesterov momentum 0.9")
register("adagrad", Adagrad, 0.01, description="per-coordinate steps shrink with summed g^2")
register("rmsprop", RMSprop, 1e-3, description="steps scaled by a running mean of g^2")
register("adadelta", Adadelta, 1.0, description="RMSprop with units fixed by a second average")
register("adam", Adam, 1e-3, description="momentum + RMSprop, bias-corrected")
register("adamw", AdamW, 1e-3, description="Adam with decoupled weight decay")
register("nadam", NAdam, 2e-3, description="Adam with Nesterov momentum")
register("lion", Lion, 1e-4, description="sign of an interpolated momentum")
