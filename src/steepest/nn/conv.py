"""Conv2d: 2-D convolution over NCHW images (cross-correlation, as in every framework)."""

from __future__ import annotations

import math
from typing import Any

from .. import ops
from ..random import Generator
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import empty_parameter

# Conv2d's padding_mode -> the F.pad mode that makes it
_PADDING_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
                  "circular": "circular"}  # fmt: skip


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"Conv2d: {name} must be an int or a pair of ints, got {value!r}")
    return pair  # type: ignore[return-value]


class Conv2d(Module):
    """2-D convolution (cross-correlation), for stride s, padding p, dilation d, one group:

        y[n, o, h, w] = b[o] + sum_{c, i, j} W[o, c, i, j] x_pad[n, c, s h + d i, s w + d j]

    With ``groups`` g, input and output channels split into g independent convolutions.
    Input (N, C_in, H, W) or unbatched (C_in, H, W); weight (C_out, C_in / g, kh, kw); output
    (N, C_out, H', W') with ``H' = floor((H + 2 p - d (kh - 1) - 1) / s) + 1``. ``padding`` may
    also be ``"same"`` (stride 1) or ``"valid"``. ``padding_mode`` ('zeros', 'reflect',
    'replicate', 'circular') pads through ``F.pad`` first. Calls ``steepest.ops.conv2d``.

    Defaults (PyTorch's): ``W ~ kaiming_uniform(a=sqrt(5))`` = U(+-1/sqrt(fan_in)) and
    ``b ~ U(+-1/sqrt(fan_in))``, ``fan_in = C_in / groups * kh * kw``; ``dtype`` defaults to
    ``st.default_dtype()``.

    >>> conv = st.nn.Conv2d(3, 8, kernel_size=3, padding=1)
    >>> conv(st.randn(2, 3, 16, 16)).shape
    (2, 8, 16, 16)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        dtype: Any = None,
        generator: Generator | None = None,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"Conv2d: padding_mode must be one of {tuple(_PADDING_MODES)}, got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        if in_channels <= 0 or out_channels <= 0 or groups <= 0:
            raise ValueError(
                f"Conv2d: channels and groups must be positive, got in_channels={in_channels}, "
                f"out_channels={out_channels}, groups={groups}"
            )
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels={in_channels} and out_channels={out_channels} must both be "
                f"divisible by groups={groups}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"Conv2d: padding must be 'same', 'valid' or ints, got {padding!r}")
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = empty_parameter(shape, dtype)
        self.bias = empty_parameter((out_channels,), dtype) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        init.kaiming_uniform(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in, _ = init.calculate_fans(self.weight)
            bound = 1.0 / math.sqrt(fan_in)
            init.uniform(self.bias, -bound, bound, generator)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise ValueError(
                f"Conv2d: expected input (N, {self.in_channels}, H, W) or "
                f"({self.in_channels}, H, W), got shape {x.shape}"
            )
        padding = self.padding
        if self.padding_mode != "zeros" and padding != "valid":
            x = F.pad(x, self._pad_amounts(), mode=_PADDING_MODES[self.padding_mode])
            padding = 0
        return ops.conv2d(
            x,
            self.weight,
            self.bias,
            stride=self.stride,
            padding=padding,
            dilation=self.dilation,
            groups=self.groups,
        )

    def _pad_amounts(self) -> tuple[int, int, int, int]:
        """F.pad's (left, right, top, bottom) for this conv's padding ('same': odd totals put
        the extra element on the right/bottom, as PyTorch)."""
        if self.padding == "same":
            pairs = []
            for k, d in zip(self.kernel_size, self.dilation, strict=True):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            (top, bottom), (left, right) = pairs
            return left, right, top, bottom
        ph, pw = self.padding
        return pw, pw, ph, ph

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in ((0, 0), "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode!r}"
        return text + ("" if self.bias is not None else ", bias=False")
