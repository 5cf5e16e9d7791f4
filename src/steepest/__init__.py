"""steepest: backpropagation and gradient descent you can read.

>>> import steepest as st
>>> x = st.tensor([1.0, 2.0], requires_grad=True)
>>> (x ** 2).sum().backward(); x.grad
tensor([2., 4.])
"""

from __future__ import annotations

import importlib
from typing import Any

from . import allocator, autograd  # allocator first: it tunes malloc before arrays exist
from .autograd import OpError, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import default_dtype, is_gpu_available, set_default_dtype
from .creation import arange, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import *  # noqa: F403 - the op library is the package's main namespace
from .ops import __all__ as _ops_all
from .random import Generator, manual_seed
from .tensor import Tensor

__version__ = "0.1.0"

# Subpackages load on first use, keeping `import steepest` fast.
_LAZY = {"nn", "optim", "data", "datasets", "train", "models", "studies", "cli"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'steepest' has no attribute {name!r}")


__all__ = [
    "Generator", "GradcheckError", "OpError", "Tensor", "allocator", "arange", "autograd",
    "default_dtype", "enable_grad", "full", "grad", "gradcheck", "gradgradcheck",
    "is_gpu_available", "manual_seed", "no_grad", "ones", "ones_like", "rand", "randn",
    "set_default_dtype", "set_grad_enabled", "tensor", "zeros", "zeros_like", *_ops_all,
    "is_grad_enabled",
]  # fmt: skip
