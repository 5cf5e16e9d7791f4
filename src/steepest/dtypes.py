"""dtype objects under PyTorch's names: ``st.float32``, ``st.int64``, ``st.bool``, ...

Each is a plain NumPy dtype, so it works wherever steepest (or NumPy) takes a dtype, and
``x.dtype == st.float32`` compares as PyTorch users expect.

>>> st.zeros(2, dtype=st.float64).dtype == st.double
True
"""

from __future__ import annotations

import builtins

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)

__all__ = [
    "bool",
    "double",
    "float",
    "float16",
    "float32",
    "float64",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "short",
    "uint8",
]  # fmt: skip


def is_floating_point(dtype: object) -> builtins.bool:
    return np.dtype(dtype).kind == "f"
