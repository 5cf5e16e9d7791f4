"""DLPack: hand arrays to and from other libraries without copying.

``st.from_dlpack(x)`` wraps the memory of any DLPack producer (a NumPy or CuPy array, a
PyTorch or JAX tensor); ``np.from_dlpack(t)`` and ``torch.from_dlpack(t)`` read a steepest
tensor's. One exception: a tensor with a negative stride (``x.flip(0)``) is exported as a
contiguous copy, because some consumers cannot take one (PyTorch 2.13 aborts the process).
"""

from __future__ import annotations

from typing import Any

from . import backend
from .tensor import Tensor

KDL_CPU, KDL_CUDA = 1, 2  # DLPack's device codes


def exportable(data: Any) -> Any:
    """``data`` as DLPack hands it out: itself, or a contiguous copy if a stride is negative."""
    if any(s < 0 for s in data.strides):
        return backend.array_module(data).ascontiguousarray(data)
    return data


def from_dlpack(obj: Any) -> Tensor:
    """A tensor on the memory of ``obj`` (any object with ``__dlpack__``): no copy.

    >>> t = st.from_dlpack(np.arange(3.0))   # shares the array's memory
    """
    if not hasattr(obj, "__dlpack_device__"):
        raise TypeError(f"from_dlpack: {type(obj).__name__} has no __dlpack__ / __dlpack_device__")
    device_type = int(obj.__dlpack_device__()[0])
    if device_type == KDL_CUDA:
        if not backend.is_gpu_available():
            raise RuntimeError("from_dlpack: a CUDA array needs CuPy and a GPU: "
                               "pip install 'steepest[gpu]'")  # fmt: skip
        return Tensor(backend._import_cupy().from_dlpack(obj))
    if device_type != KDL_CPU:
        raise BufferError(f"from_dlpack: device type {device_type} is neither CPU nor CUDA")
    import numpy as np

    return Tensor(np.from_dlpack(obj))
