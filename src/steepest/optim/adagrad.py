"""Adagrad: per-coordinate step sizes that shrink with the accumulated squared gradient."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._flat import Chunk
from .optimizer import Optimizer, Params, check_number
from .transforms import Transform, WeightDecay


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011), exactly as ``torch.optim.Adagrad``:

    .. math::
        d_t &= g_t + \lambda p_{t-1} \\
        \tilde\eta_t &= \eta / (1 + (t - 1)\,\mathrm{lr\_decay}) \\
        s_t &= s_{t-1} + d_t^2, \qquad s_0 = \mathrm{initial\_accumulator\_value} \\
        p_t &= p_{t-1} - \tilde\eta_t\, d_t / (\sqrt{s_t} + \epsilon)

    >>> opt = st.optim.Adagrad(params, lr=0.01)
    >>> opt.zero_grad(); loss_fn(params).backward(); opt.step()
    """

    all_slots = ("sum",)

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        transforms: Sequence[Transform] = (),
    ) -> None:
        defaults = dict(
            lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, eps=eps,
        )  # fmt: skip
        super().__init__(params, defaults, [*transforms, WeightDecay()])

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        check_number("Adagrad", "lr_decay", group["lr_decay"], 0.0)
        initial = group["initial_accumulator_value"]
        check_number("Adagrad", "initial_accumulator_value", initial, 0.0)
        check_number("Adagrad", "eps", group["eps"], 0.0, low_open=True)

    def slots(self, group: dict[str, Any]) -> dict[str, float]:
        return {"sum": group["initial_accumulator_value"]}

    def coefficients(self, group: dict[str, Any], state: dict[str, Any]) -> float:
        return group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])

    def update(self, c: Chunk, group: dict[str, Any], clr: float) -> None:
        xp, d, s = c.xp, c.d, c.state["sum"]
        t = c.tmp(0)
        s += xp.multiply(d, d, out=t)
        t = xp.sqrt(s, out=t)
        t += group["eps"]
        t = xp.divide(d, t, out=t)
        t *= clr
        c.p -= t
