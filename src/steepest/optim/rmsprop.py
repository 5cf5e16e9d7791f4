"""RMSprop: divide by a running root mean square of the gradient."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._flat import Chunk
from .optimizer import Optimizer, Params, check_number
from .transforms import Transform, WeightDecay


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012; centered form from Graves, 2013), as ``torch.optim.RMSprop``:

    .. math::
        d_t &= g_t + \lambda p_{t-1} \\
        v_t &= \alpha v_{t-1} + (1 - \alpha) d_t^2 \\
        \bar g_t &= \bar g_{t-1} + (1 - \alpha)(d_t - \bar g_{t-1}) \qquad (\text{centered}) \\
        a_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \ \ (\text{centered}), \qquad
               \sqrt{v_t} + \epsilon \ \ (\text{otherwise}) \\
        b_t &= \mu b_{t-1} + d_t / a_t, \qquad p_t = p_{t-1} - \eta\, b_t \qquad (\mu > 0) \\
        p_t &= p_{t-1} - \eta\, d_t / a_t \qquad (\mu = 0)

    with :math:`v_0 = \bar g_0 = b_0 = 0`.

    >>> opt = st.optim.RMSprop(params, lr=0.01, centered=True, momentum=0.9)
    >>> opt.zero_grad(); loss_fn(params).backward(); opt.step()
    """

    all_slots = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        transforms: Sequence[Transform] = (),
    ) -> None:
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
            centered=centered,
        )  # fmt: skip
        super().__init__(params, defaults, [*transforms, WeightDecay()])

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        check_number("RMSprop", "alpha", group["alpha"], 0.0, 1.0)
        check_number("RMSprop", "eps", group["eps"], 0.0, low_open=True)
        check_number("RMSprop", "momentum", group["momentum"], 0.0)

    def slots(self, group: dict[str, Any]) -> dict[str, float]:
        out = {"square_avg": 0.0}
        if group["centered"]:
            out["grad_avg"] = 0.0
        if group["momentum"] > 0:
            out["momentum_buffer"] = 0.0
        return out

    def update(self, c: Chunk, group: dict[str, Any], k: None) -> None:
        xp, d, alpha = c.xp, c.d, group["alpha"]
        v, t = c.state["square_avg"], c.tmp(0)
        v *= alpha
        t = xp.multiply(d, d, out=t)
        t *= 1.0 - alpha
        v += t
        if group["centered"]:
            ga = c.slot("grad_avg")
            t = xp.subtract(d, ga, out=t)
            t *= 1.0 - alpha
            ga += t
            t = xp.multiply(ga, ga, out=t)
            t = xp.subtract(v, t, out=t)
            t = xp.sqrt(t, out=t)
        else:
            t = xp.sqrt(v, out=t)
        t += group["eps"]
        t = xp.divide(d, t, out=t)
        if group["momentum"] > 0:
            b = c.slot("momentum_buffer")
            b *= group["momentum"]
            b += t
            t = xp.multiply(b, group["lr"], out=t)
        else:
            t *= group["lr"]
        c.p -= t
