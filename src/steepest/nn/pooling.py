"""Pooling over NCHW images (max, average, adaptive average, unpooling), Upsample, Flatten."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..tensor import Tensor
from . import functional as F
from .module import Module


class MaxPool2d(Module):
    """Largest value in each ``kernel_size`` window, moved by ``stride`` (default: the kernel
    size); ``padding`` pads with -inf; ``dilation`` spaces the window's elements; ``ceil_mode``
    keeps a last partial window; ``return_indices`` also returns each maximum's flat position
    (for ``MaxUnpool2d``). Calls ``F.max_pool2d``.

    >>> st.nn.MaxPool2d(2)(st.randn(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x: Tensor) -> Any:
        if not (self.return_indices or self.ceil_mode):  # the plain kernel, no wrapper
            return ops.max_pool2d(x, self.kernel_size, stride=self.stride, padding=self.padding,
                                  dilation=self.dilation)  # fmt: skip
        return F.max_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.dilation,
            ceil_mode=self.ceil_mode, return_indices=self.return_indices,
        )  # fmt: skip

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        text += f", dilation={self.dilation}" if self.dilation != 1 else ""
        return text + (", ceil_mode=True" if self.ceil_mode else "")


class AvgPool2d(Module):
    """Mean of each ``kernel_size`` window, moved by ``stride`` (default: the kernel size);
    ``ceil_mode``, ``count_include_pad`` and ``divisor_override`` as PyTorch. Calls
    ``F.avg_pool2d``.

    >>> st.nn.AvgPool2d(2)(st.randn(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(
            x, self.kernel_size, self.stride, self.padding, ceil_mode=self.ceil_mode,
            count_include_pad=self.count_include_pad, divisor_override=self.divisor_override,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(Module):
    """Put each value back at the index ``MaxPool2d(return_indices=True)`` gave it, zeros
    elsewhere (see ``F.max_unpool2d``).

    >>> pool, unpool = st.nn.MaxPool2d(2, return_indices=True), st.nn.MaxUnpool2d(2)
    >>> y, idx = pool(x); unpool(y, idx).shape == x.shape
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor, indices: Any, output_size: Any = None) -> Tensor:
        return F.max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Upsample(Module):
    """Resize by ``scale_factor`` or to ``size`` (see ``F.interpolate``).

    >>> st.nn.Upsample(scale_factor=2, mode="bilinear")(st.randn(1, 3, 4, 4)).shape
    (1, 3, 8, 8)
    """

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
    ) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners = align_corners

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` whatever the input size (``1``: global
    average pooling). Calls ``steepest.ops.adaptive_avg_pool2d``.

    >>> st.nn.AdaptiveAvgPool2d(1)(st.randn(2, 8, 5, 7)).shape
    (2, 8, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return ops.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one; the default keeps the batch axis.

    >>> st.nn.Flatten()(st.randn(2, 3, 4, 4)).shape
    (2, 48)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return ops.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
