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
from .creation import (
    arange,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .device import device
from .dlpack import from_dlpack
from .dtypes import *  # noqa: F403 - st.float32, st.int64, st.bool, ...
from .dtypes import __all__ as _dtypes_all
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .inference import inference_mode
from .ops import *  # noqa: F403 - the op library is the package's main namespace
from .ops import __all__ as _ops_all
from .random import Generator, manual_seed
from .serialization import load, save
from .tensor import Size, Tensor

__version__ = "0.1.0"

# Subpackages load on first use, keeping `import steepest` fast.
_LAZY = {
    "nn", "optim", "data", "datasets", "train", "models", "studies", "cli",
    "distributed", "onnx", "utils", "viz",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'steepest' has no attribute {name!r}")


__all__ = [
    "Generator", "GradcheckError", "OpError", "Size", "Tensor", "allocator", "arange", "autograd",
    "default_dtype", "device", "empty", "empty_like", "enable_grad", "eye", "from_dlpack",
    "from_numpy", "full",
    "full_like", "grad", "gradcheck", "gradgradcheck", "inference_mode", "is_gpu_available",
    "is_grad_enabled",
    "linspace", "load", "manual_seed", "no_grad", "ones", "ones_like", "rand", "rand_like",
    "randint", "randn", "randn_like", "randperm", "save", "set_default_dtype",
    "set_grad_enabled", "tensor", "zeros", "zeros_like", *_ops_all, *_dtypes_all,
]  # fmt: skip
