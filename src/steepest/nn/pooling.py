"""Pooling over NCHW images (max, average, adaptive average) and Flatten."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..tensor import Tensor
from .module import Module


class MaxPool2d(Module):
    """Largest value in each ``kernel_size`` window, moved by ``stride`` (default: the kernel
    size); ``padding`` pads with -inf; ``dilation`` spaces the window's elements. Calls
    ``steepest.ops.max_pool2d``.

    >>> st.nn.MaxPool2d(2)(st.randn(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation = dilation

    def forward(self, x: Tensor) -> Tensor:
        return ops.max_pool2d(
            x, self.kernel_size, stride=self.stride, padding=self.padding, dilation=self.dilation
        )

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text + (f", dilation={self.dilation}" if self.dilation != 1 else "")


class AvgPool2d(Module):
    """Mean of each ``kernel_size`` window, moved by ``stride`` (default: the kernel size).
    Calls ``steepest.ops.avg_pool2d``.

    >>> st.nn.AvgPool2d(2)(st.randn(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor) -> Tensor:
        return ops.avg_pool2d(x, self.kernel_size, stride=self.stride, padding=self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


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
