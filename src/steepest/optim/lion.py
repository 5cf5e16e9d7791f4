"""Lion: the sign of an interpolated momentum (EvoLved Sign Momentum)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._flat import Chunk
from .optimizer import Optimizer, Params, check_betas
from .transforms import DecoupledWeightDecay, Transform


class Lion(Optimizer):
    r"""Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms", Alg. 2):

    .. math::
        p_{t-1} &\leftarrow (1 - \eta\lambda)\, p_{t-1} \qquad (\text{decoupled weight decay}) \\
        c_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        p_t &= p_{t-1} - \eta\, \mathrm{sign}(c_t) \\
        m_t &= \beta_2 m_{t-1} + (1 - \beta_2) g_t

    with :math:`m_0 = 0` (``exp_avg``). Every coordinate moves by exactly :math:`\eta`, so
    use an lr 3-10x smaller than AdamW's and a weight decay 3-10x larger.

    >>> opt = st.optim.Lion(params, lr=1e-4, betas=(0.9, 0.99), weight_decay=1.0)
    >>> opt.zero_grad(); loss_fn(params).backward(); opt.step()
    """

    all_slots = ("exp_avg",)

    def __init__(
        self,
        params: Params,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        *,
        transforms: Sequence[Transform] = (),
    ) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay)
        super().__init__(params, defaults, [*transforms, DecoupledWeightDecay()])

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        check_betas("Lion", group["betas"])

    def slots(self, group: dict[str, Any]) -> dict[str, float]:
        return {"exp_avg": 0.0}

    def update(self, c: Chunk, group: dict[str, Any], k: None) -> None:
        beta1, beta2 = group["betas"]
        xp, d, m = c.xp, c.d, c.state["exp_avg"]
        t, u = c.tmp(0), c.tmp(1)
        t = xp.multiply(m, beta1, out=t)
        u = xp.multiply(d, 1.0 - beta1, out=u)
        t += u
        t = xp.sign(t, out=t)
        t *= group["lr"]
        c.p -= t
        m *= beta2
        u = xp.multiply(d, 1.0 - beta2, out=u)
        m += u
