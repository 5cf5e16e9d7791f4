"""PyTorch's dtype promotion, in one place: which dtype an elementwise op returns.

NumPy and PyTorch disagree: NumPy gives ``int64 * float32 -> float64`` and
``float32 * float64 (0-d) -> float64``; PyTorch gives float32 for both. PyTorch's rule ranks
*categories* (bool < integer < float), not sizes:

1. the highest category among all operands decides;
2. within it, tensors with dims decide over 0-d tensors (a 0-d float64 does not widen a
   float32 batch), which decide over Python numbers;
3. a Python number of a higher category than every tensor gives that category's default
   (``int tensor * 2.5`` is ``st.default_dtype()``, float32);
4. functions that only make sense on floats (``/``, exp, log, sqrt, sigmoid, tanh) turn
   integer and bool inputs into the default float dtype.

Python numbers meet tensors in autograd's ``_as_tensors`` (rule 3); rules 1, 2 and 4 are
applied by the elementwise forwards, only when the dtypes of their inputs differ (the common
case of equal dtypes costs one identity check).

>>> (st.tensor([1, 2]) * st.tensor([0.5], dtype="float32")).dtype
dtype('float32')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def category(dtype: Any) -> int:
    return _CATEGORY[np.dtype(dtype).kind]


def result_type(*arrays: Any) -> np.dtype:
    """The dtype PyTorch gives an elementwise op on ``arrays`` (rules 1 and 2)."""
    top = max(category(a.dtype) for a in arrays)
    same = [a for a in arrays if category(a.dtype) == top]
    with_dims = [a.dtype for a in same if a.ndim > 0]
    return np.result_type(*(with_dims or [a.dtype for a in same]))


def promoted(result: Any, *arrays: Any) -> Any:
    """``result`` of an elementwise op on ``arrays``, cast to PyTorch's dtype if NumPy's differs."""
    dtype = result.dtype
    if all(a.dtype == dtype for a in arrays):  # equal dtypes: nothing to promote
        return result
    want = result_type(*arrays)
    return result if dtype == want else result.astype(want)


def floating(array: Any) -> Any:
    """``array`` itself if it is floating point, else cast to the default float dtype (rule 4)."""
    if array.dtype.kind in "fc":
        return array
    return backend.array_module(array).asarray(array).astype(backend.default_dtype())
