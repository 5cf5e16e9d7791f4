"""Adadelta: unit-correct steps from running averages of squared gradients and updates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._flat import Chunk
from .optimizer import Optimizer, Params, check_number
from .transforms import Transform, WeightDecay


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), exactly as ``torch.optim.Adadelta``:

    .. math::
        d_t &= g_t + \lambda p_{t-1} \\
        v_t &= \rho v_{t-1} + (1 - \rho) d_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, d_t \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta_t^2 \\
        p_t &= p_{t-1} - \eta\, \Delta_t

    with :math:`v_0 = u_0 = 0` (``square_avg`` and ``acc_delta``); ``lr`` defaults to 1.

    >>> opt = st.optim.Adadelta(params)
    >>> opt.zero_grad(); loss_fn(params).backward(); opt.step()
    """

    all_slots = ("square_avg", "acc_delta")

    def __init__(
        self,
        params: Params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        transforms: Sequence[Transform] = (),
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults, [*transforms, WeightDecay()])

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        check_number("Adadelta", "rho", group["rho"], 0.0, 1.0)
        check_number("Adadelta", "eps", group["eps"], 0.0, low_open=True)

    def slots(self, group: dict[str, Any]) -> dict[str, float]:
        return {"square_avg": 0.0, "acc_delta": 0.0}

    def update(self, c: Chunk, group: dict[str, Any], k: None) -> None:
        xp, d, rho, eps = c.xp, c.d, group["rho"], group["eps"]
        v, u = c.state["square_avg"], c.state["acc_delta"]
        std, delta = c.tmp(0), c.tmp(1)
        v *= rho
        std = xp.multiply(d, d, out=std)
        std *= 1.0 - rho
        v += std
        std = xp.add(v, eps, out=std)
        std = xp.sqrt(std, out=std)
        delta = xp.add(u, eps, out=delta)
        delta = xp.sqrt(delta, out=delta)
        delta /= std
        delta *= d
        u *= rho
        std = xp.multiply(delta, delta, out=std)
        std *= 1.0 - rho
        u += std
        delta *= group["lr"]
        c.p -= delta
