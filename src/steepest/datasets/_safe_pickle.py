"""Read the pickled CIFAR batches without ever running code from the file.

A pickle can name any importable callable and call it (``os.system`` included). This
unpickler resolves only the handful of globals a NumPy array needs, each replaced by a
guarded wrapper, and refuses everything else with ``UnsafePickleError`` *before* any
call happens. Plain dicts, lists, strings, bytes and numbers need no globals at all.
"""

from __future__ import annotations

import io
import os
import pickle
import re
from typing import Any

import numpy as np
from numpy._core.multiarray import _reconstruct as _np_reconstruct

from ._errors import FormatError, UnsafePickleError

_SIMPLE_DTYPE = re.compile(r"^[<>|=]?(b1|[uif][1248]|f2)$")


class _NdarrayToken:
    """Stands in for the ``numpy.ndarray`` class: usable only as ``_reconstruct``'s argument."""

    def __repr__(self) -> str:
        return "<ndarray token>"


_NDARRAY = _NdarrayToken()


def _reconstruct(cls: Any, shape: Any, dtype_code: Any) -> np.ndarray:
    """NumPy's array reconstructor, limited to the empty placeholder it always receives."""
    if cls is not _NDARRAY or tuple(shape) != (0,):
        raise pickle.UnpicklingError(f"unexpected _reconstruct arguments {shape!r}")
    return _np_reconstruct(np.ndarray, (0,), dtype_code)


def _dtype(spec: Any, align: Any = False, copy: Any = False) -> np.dtype:
    """``numpy.dtype`` for plain numeric types only (no object or structured dtypes)."""
    text = spec.decode("ascii") if isinstance(spec, bytes) else spec
    if not isinstance(text, str) or not _SIMPLE_DTYPE.match(text):
        raise pickle.UnpicklingError(f"dtype {spec!r} is not a plain numeric type")
    return np.dtype(text, align=bool(align), copy=bool(copy))


def _frombuffer(buffer: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    """NumPy's protocol-5 array constructor: raw bytes, a plain dtype, a shape."""
    if not isinstance(buffer, bytes | bytearray | pickle.PickleBuffer):
        raise pickle.UnpicklingError("_frombuffer without a bytes buffer")
    if not isinstance(dtype, np.dtype) or order not in ("C", "F"):
        raise pickle.UnpicklingError("_frombuffer with an unexpected dtype or order")
    return np.frombuffer(buffer, dtype=dtype).reshape(tuple(shape), order=order).copy()


def _encode(text: Any, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as Python 3 uses it to pickle ``bytes`` at protocol 2."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode used for something other than bytes")
    return text.encode("latin1")


_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,  # pickles from NumPy < 2
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,  # protocol 5
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An ``Unpickler`` whose ``find_class`` only knows the globals listed above."""

    def __init__(self, file: io.BufferedIOBase, path: str) -> None:
        super().__init__(file, encoding="bytes")  # CIFAR was pickled by Python 2: keep bytes
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                self.path, f"pickle refers to {module}.{name}; only NumPy array data is allowed"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(self.path, "pickle uses persistent ids; not allowed")


def safe_loads(data: bytes, path: str | os.PathLike[str]) -> Any:
    """Unpickle ``data`` allowing only plain containers, numbers, strings and NumPy arrays.

    Raises ``UnsafePickleError`` for any other global (nothing is called) and
    ``FormatError`` for a corrupt pickle.

    >>> safe_loads(pickle.dumps({b"labels": [1, 2]}, protocol=2), "batch")
    {b'labels': [1, 2]}
    """
    path = os.fspath(path)
    try:
        return RestrictedUnpickler(io.BytesIO(data), path).load()
    except UnsafePickleError:
        raise
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        OverflowError,
        MemoryError,
        RecursionError,
    ) as exc:
        raise FormatError(path, f"corrupt pickle ({type(exc).__name__}: {exc})") from exc
