"""Parameter: the marker that makes a tensor a trainable weight of a Module.

A Module finds its parameters by walking its attributes and picking out the
Parameters (no registration calls), so ``self.weight = Parameter(...)`` is all a
layer writes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that a Module owns and an optimizer updates (``requires_grad=True``).

    Wraps the array of ``data`` without copying it.

    >>> w = st.nn.Parameter(st.zeros(3, 2))
    >>> w.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        super().__init__(data.data if isinstance(data, Tensor) else data, dtype=dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"Parameter: expected a float array, got dtype {self.dtype}")
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="Parameter(")
        return f"Parameter({body}, dtype={self.dtype}, requires_grad={self.requires_grad})"


def empty_parameter(shape: tuple[int, ...], dtype: Any = None) -> Parameter:
    """A zero-filled Parameter of ``dtype`` (default ``st.default_dtype()``), for a layer to
    initialize in place."""
    return Parameter(np.zeros(shape, dtype=float_dtype(dtype)))


def float_dtype(dtype: Any = None) -> np.dtype:
    """A layer's dtype: ``dtype``, or ``st.default_dtype()`` when None; must be a float dtype."""
    dt = backend.default_dtype() if dtype is None else np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"layer dtype must be a float dtype, got {dt}")
    return dt
