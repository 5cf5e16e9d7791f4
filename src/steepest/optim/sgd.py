"""Stochastic gradient descent with momentum (heavy ball), dampening and Nesterov momentum."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import kernels
from ._flat import Chunk
from .optimizer import Optimizer, Params, check_number
from .transforms import Transform, WeightDecay


class SGD(Optimizer):
    r"""Gradient descent, with momentum :math:`\mu`, dampening :math:`\tau` and Nesterov's
    variant, exactly as ``torch.optim.SGD``:

    .. math::
        d_t &= g_t + \lambda p_{t-1} \qquad (\text{weight\_decay } \lambda) \\
        b_t &= \begin{cases} d_t & t = 1 \\ \mu b_{t-1} + (1 - \tau) d_t & t > 1 \end{cases} \\
        u_t &= \begin{cases} d_t + \mu b_t & \text{nesterov} \\ b_t & \text{otherwise}
               \end{cases} \quad (u_t = d_t \text{ when } \mu = 0) \\
        p_t &= p_{t-1} - \eta\, u_t

    Full-batch gradient descent, stochastic gradient descent and mini-batch gradient descent
    are all this rule; only the batch fed to the loss differs (see ``steepest.optim``).

    >>> opt = st.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True)
    >>> opt.zero_grad(); loss_fn(params).backward(); opt.step()
    """

    scalar_state = {"step": 0, "has_momentum_buffer": False}
    all_slots = ("momentum_buffer",)

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        transforms: Sequence[Transform] = (),
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov,
        )  # fmt: skip
        super().__init__(params, defaults, [*transforms, WeightDecay()])

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        check_number("SGD", "momentum", group["momentum"], 0.0)
        check_number("SGD", "dampening", group["dampening"], 0.0, 1.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def slots(self, group: dict[str, Any]) -> dict[str, float]:
        return {"momentum_buffer": 0.0} if group["momentum"] != 0 else {}

    def coefficients(self, group: dict[str, Any], state: dict[str, Any]) -> bool:
        first = not state["has_momentum_buffer"]  # PyTorch starts the buffer at the gradient
        if group["momentum"] != 0:
            state["has_momentum_buffer"] = True
        return first

    def update(self, c: Chunk, group: dict[str, Any], first: bool) -> None:
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        xp, d = c.xp, c.d
        fused = kernels.get("sgd_momentum", c.p) if mu != 0 and tau == 0 and not first else None
        if fused is not None:  # the lines below in one compiled pass (kernels.c)
            s = c.p.dtype.type  # scalars rounded to the dtype first, as NumPy does
            fused(c.p, d, c.slot("momentum_buffer"), s(mu), s(lr), group["nesterov"])
            return
        u = d
        if mu != 0:
            b = c.slot("momentum_buffer")
            if first:
                b[...] = d
            else:
                b *= mu
                b += d if tau == 0 else xp.multiply(d, 1.0 - tau, out=c.tmp(0))
            u = b
            if group["nesterov"]:
                u = xp.multiply(b, mu, out=c.tmp(0))
                u += d
        c.p -= xp.multiply(u, lr, out=c.tmp(0))
