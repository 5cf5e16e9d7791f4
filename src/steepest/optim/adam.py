"""Adam, AMSGrad and AdamW: adaptive moment estimation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import kernels
from ._flat import Chunk
from .optimizer import Optimizer, Params, check_betas, check_number
from .transforms import DecoupledWeightDecay, Transform, WeightDecay


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) and AMSGrad (Reddi et al., 2018), as ``torch.optim.Adam``:

    .. math::
        d_t &= g_t + \lambda p_{t-1} \qquad (\text{AdamW: } p_{t-1} \leftarrow
               (1 - \eta\lambda)\, p_{t-1} \text{ instead}) \\
        m_t &= m_{t-1} + (1 - \beta_1)(d_t - m_{t-1}) \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) d_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \ (\text{amsgrad}), \quad v_t \ (\text{otherwise}) \\
        p_t &= p_{t-1} - \frac{\eta}{1 - \beta_1^t} \cdot
               \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    with :math:`m_0 = v_0 = \hat v_0 = 0` (``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``).

    >>> opt = st.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), amsgrad=True)
    >>> opt.zero_grad(); loss_fn(params).backward(); opt.step()
    """

    all_slots = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _decay: type[Transform] = WeightDecay

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        transforms: Sequence[Transform] = (),
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )
        super().__init__(params, defaults, [*transforms, self._decay()])

    def check(self, group: dict[str, Any]) -> None:
        super().check(group)
        check_betas(self._name, group["betas"])
        check_number(self._name, "eps", group["eps"], 0.0, low_open=True)

    def slots(self, group: dict[str, Any]) -> dict[str, float]:
        out = {"exp_avg": 0.0, "exp_avg_sq": 0.0}
        if group["amsgrad"]:
            out["max_exp_avg_sq"] = 0.0
        return out

    def coefficients(self, group: dict[str, Any], state: dict[str, Any]) -> tuple[float, float]:
        beta1, beta2 = group["betas"]
        step = state["step"]
        step_size = group["lr"] / (1 - beta1**step)
        return step_size, math.sqrt(1 - beta2**step)

    def update(self, c: Chunk, group: dict[str, Any], k: tuple[float, float]) -> None:
        step_size, bc2_sqrt = k
        beta1, beta2 = group["betas"]
        xp, d, m, v = c.xp, c.d, c.state["exp_avg"], c.state["exp_avg_sq"]
        fused = None if group["amsgrad"] else kernels.get("adam", c.p)
        if fused is not None:  # the lines below in one compiled pass (kernels.c)
            s = c.p.dtype.type  # scalars rounded to the dtype first, as NumPy does
            fused(c.p, d, m, v, s(1.0 - beta1), s(beta2), s(1.0 - beta2), s(bc2_sqrt),
                  s(group["eps"]), s(step_size))  # fmt: skip
            return
        t = xp.subtract(d, m, out=c.tmp(0))
        t *= 1.0 - beta1
        m += t
        v *= beta2
        t = xp.multiply(d, d, out=t)
        t *= 1.0 - beta2
        v += t
        if group["amsgrad"]:
            v = xp.maximum(c.slot("max_exp_avg_sq"), v, out=c.slot("max_exp_avg_sq"))
        t = xp.sqrt(v, out=t)
        t /= bc2_sqrt
        t += group["eps"]
        t = xp.divide(m, t, out=t)
        t *= step_size
        c.p -= t


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``:
    before the Adam update, :math:`p_{t-1} \leftarrow (1 - \eta\lambda)\, p_{t-1}`, and the
    gradient is left alone. ``weight_decay`` defaults to 0.01.

    >>> opt = st.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    >>> opt.zero_grad(); loss_fn(params).backward(); opt.step()
    """

    _decay = DecoupledWeightDecay

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        transforms: Sequence[Transform] = (),
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, transforms=transforms)
