"""NAdam: Adam with Nesterov momentum and Dozat's momentum schedule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._flat import Chunk
from .optimizer import Optimizer, Params, check_betas, check_number
from .transforms import DecoupledWeightDecay, Transform, WeightDecay


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), exactly as ``torch.optim.NAdam``, with momentum decay
    :math:`\psi` (``momentum_decay``):

    .. math::
        d_t &= g_t + \lambda p_{t-1} \qquad (\text{decoupled: } p_{t-1} \leftarrow
               (1 - \eta\lambda)\, p_{t-1} \text{ instead}) \\
        \mu_t &= \beta_1 \bigl(1 - \tfrac12\, 0.96^{t \psi}\bigr), \qquad
        \mu_{t+1} = \beta_1 \bigl(1 - \tfrac12\, 0.96^{(t+1) \psi}\bigr) \\
        m_t &= m_{t-1} + (1 - \beta_1)(d_t - m_{t-1}), \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) d_t^2 \\
        a_t &= \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        p_t &= p_{t-1} - \eta \frac{1 - \mu_t}{1 - \prod_{i \le t} \mu_i} \frac{d_t}{a_t}
               - \eta \frac{\mu_{t+1}}{1 - \prod_{i \le t+1} \mu_i} \frac{m_t}{a_t}

    The running product :math:`\prod \mu_i` is ``mu_product`` in the state (a float64).

    >>> opt = st.optim.NAdam(params, lr=2e-3)
    >>> opt.zero_grad(); loss_fn(params).backward(); opt.step()
    """

    scalar_state = {"step": 0, "mu_product": 1.0}
    all_slots = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        transforms: Sequence[Transform] = (),
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
            momentum_decay=momentum_decay,
        )  # fmt: skip
        decay = DecoupledWeightDecay() if decoupled_weight_decay else WeightDecay()
        self.decoupled_weight_decay = decoupled_weight_decay
        super().__init__(params, defaults, [*transforms, decay])

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        check_betas("NAdam", group["betas"])
        check_number("NAdam", "eps", group["eps"], 0.0, low_open=True)
        check_number("NAdam", "momentum_decay", group["momentum_decay"], 0.0)

    def slots(self, group: dict[str, Any]) -> dict[str, float]:
        return {"exp_avg": 0.0, "exp_avg_sq": 0.0}

    def coefficients(self, group: dict[str, Any], state: dict[str, Any]) -> tuple[float, ...]:
        beta1, beta2 = group["betas"]
        step, psi, lr = state["step"], group["momentum_decay"], group["lr"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        grad_coef = lr * (1.0 - mu) / (1.0 - mu_product)
        avg_coef = lr * mu_next / (1.0 - mu_product * mu_next)
        return 1 - beta2**step, grad_coef, avg_coef

    def update(self, c: Chunk, group: dict[str, Any], k: tuple[float, ...]) -> None:
        bias_correction2, grad_coef, avg_coef = k
        beta1, beta2 = group["betas"]
        xp, d, m, v = c.xp, c.d, c.state["exp_avg"], c.state["exp_avg_sq"]
        t, denom = c.tmp(0), c.tmp(1)
        t = xp.subtract(d, m, out=t)
        t *= 1.0 - beta1
        m += t
        v *= beta2
        t = xp.multiply(d, d, out=t)
        t *= 1.0 - beta2
        v += t
        denom = xp.divide(v, bias_correction2, out=denom)
        denom = xp.sqrt(denom, out=denom)
        denom += group["eps"]
        t = xp.divide(d, denom, out=t)
        t *= grad_coef
        c.p -= t
        t = xp.divide(m, denom, out=t)
        t *= avg_coef
        c.p -= t
