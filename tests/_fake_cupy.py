"""A NumPy-backed stand-in for CuPy, strict where CuPy is strict: the tests' "fake_cuda" device.

Its arrays keep a host ``ndarray`` inside but behave like CuPy's at the boundary:

* they expose ``__cuda_array_interface__`` (how ``backend.array_module`` spots a device array);
* ``np.asarray(a)``, NumPy ufuncs and NumPy functions on them raise ``TypeError``, as CuPy's
  "Implicit conversion to a NumPy array is not allowed" does; ``.get()`` copies to the host;
* a host ``ndarray`` mixed into an operator, a namespace function or an assignment raises
  (CuPy: "Unsupported type <class 'numpy.ndarray'>"); ``asarray``/``array`` are the explicit
  host-to-device copies and accept one;
* reductions give 0-d arrays and scalar indexing a 0-d view, not NumPy scalars, as CuPy's do.

The namespace offers only names CuPy has (``NAMES``); a call steepest makes that CuPy lacks
fails here too. Switched in through the backend's own seam: ``backend._cupy = fake_cupy``.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)


def _host_error(where: str) -> TypeError:
    return TypeError(f"fake cupy: {where}: Unsupported type <class 'numpy.ndarray'> (a host array)")


def _unwrap(value: Any, where: str) -> Any:
    """The host arrays inside ``value``; a host ndarray mixed in raises as CuPy does."""
    if isinstance(value, ndarray):
        return value._h
    if isinstance(value, np.ndarray):
        raise _host_error(where)
    if isinstance(value, list | tuple):
        return type(value)(_unwrap(v, where) for v in value)
    return value


def _wrap(result: Any, out: Any = None) -> Any:
    """Device arrays for host results; NumPy scalars become 0-d arrays, as CuPy returns."""
    if out is not None and isinstance(result, np.ndarray) and result is out._h:
        return out
    if isinstance(result, np.ndarray):
        return ndarray(result)
    if isinstance(result, np.generic):
        return ndarray(np.asarray(result))
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    return result


def _call(fn: Any, where: str, args: tuple, kwargs: dict) -> Any:
    out = kwargs.get("out")
    if out is not None and not isinstance(out, ndarray):
        raise _host_error(f"{where}(out=)")
    kwargs = {k: _unwrap(v, where) for k, v in kwargs.items()}
    return _wrap(fn(*_unwrap(args, where), **kwargs), out)


def _index(key: Any) -> Any:
    """CuPy accepts host integer/boolean arrays as indices (it copies them over)."""
    if isinstance(key, ndarray):
        return key._h
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    return key


class ndarray:
    """A device array: a host ndarray behind CuPy's boundary rules."""

    __array_ufunc__ = None  # np.exp(a) raises; ndarray + a defers to our reflected operators
    __slots__ = ("_h",)

    def __init__(self, host: np.ndarray) -> None:
        self._h = host

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        h = self._h
        ptr = h.__array_interface__["data"][0]
        return {"shape": h.shape, "typestr": h.dtype.str, "data": (ptr, False), "version": 3,
                "strides": None if h.flags.c_contiguous else h.strides}

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(IMPLICIT)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(f"fake cupy: numpy.{func.__name__} on a device array. {IMPLICIT}")

    def get(self) -> np.ndarray:
        return self._h.copy()

    # ----- attributes CuPy arrays have ------------------------------------------------
    shape = property(lambda self: self._h.shape)
    dtype = property(lambda self: self._h.dtype)
    ndim = property(lambda self: self._h.ndim)
    size = property(lambda self: self._h.size)
    strides = property(lambda self: self._h.strides)
    itemsize = property(lambda self: self._h.itemsize)
    nbytes = property(lambda self: self._h.nbytes)
    flags = property(lambda self: self._h.flags)
    T = property(lambda self: ndarray(self._h.T))

    def __getattr__(self, name: str) -> Any:
        if name not in METHODS:
            raise AttributeError(f"fake cupy: ndarray has no method {name!r} (CuPy's has not)")
        method = getattr(self._h, name)
        return lambda *a, **k: _call(method, f"ndarray.{name}", a, k)

    def __getitem__(self, key: Any) -> ndarray:
        key = _index(key)
        got = self._h[key]
        if isinstance(got, np.generic):  # CuPy: a 0-d *view*, not a copied scalar
            got = self._h[(*key, ...) if isinstance(key, tuple) else (key, ...)]
        return ndarray(got)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._h[_index(key)] = _unwrap(value, "ndarray.__setitem__")

    def __len__(self) -> int:
        return len(self._h)

    def __iter__(self) -> Any:
        return (_wrap(v) for v in self._h)

    def __bool__(self) -> bool:
        return bool(self._h)

    def __float__(self) -> float:
        return float(self._h)

    def __int__(self) -> int:
        return int(self._h)

    def __complex__(self) -> complex:
        return complex(self._h)

    def __repr__(self) -> str:
        return repr(self._h).replace("array(", "fake_cuda_array(", 1)

    def __deepcopy__(self, memo: Any) -> ndarray:
        return ndarray(self._h.copy())

    def __reduce__(self) -> Any:  # CuPy arrays pickle (through the host)
        return (ndarray, (self._h,))


def _binary(name: str) -> Any:
    def op(self: ndarray, other: Any) -> Any:
        return _wrap(getattr(self._h, name)(_unwrap(other, f"ndarray.{name}")))

    return op


def _inplace(name: str) -> Any:
    def op(self: ndarray, other: Any) -> ndarray:
        getattr(self._h, name)(_unwrap(other, f"ndarray.{name}"))
        return self

    return op


def _unary(name: str) -> Any:
    return lambda self: _wrap(getattr(self._h, name)())


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
           "and", "or", "xor", "lshift", "rshift"):
    setattr(ndarray, f"__{_n}__", _binary(f"__{_n}__"))
    setattr(ndarray, f"__r{_n}__", _binary(f"__r{_n}__"))
    setattr(ndarray, f"__i{_n}__", _inplace(f"__i{_n}__"))
for _n in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(ndarray, f"__{_n}__", _binary(f"__{_n}__"))
for _n in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_n}__", _unary(f"__{_n}__"))
ndarray.__hash__ = None  # type: ignore[assignment]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ndarray methods CuPy's ndarray also has
METHODS = _words("""
    all any argmax argmin argsort astype clip copy cumsum dot fill flatten item max mean min
    nonzero prod ravel repeat reshape round sort squeeze std sum swapaxes take tolist transpose
    var view diagonal conj partition
""")

# namespace functions and ufuncs CuPy has (cupy.<name>), among those NumPy also has
NAMES = _words("""
    zeros ones empty full zeros_like ones_like empty_like full_like arange linspace eye identity
    ascontiguousarray asfortranarray concatenate stack vstack hstack split array_split where pad
    broadcast_to broadcast_arrays matmul dot einsum tensordot outer inner sum mean max min amax
    amin argmax argmin var std prod cumsum cumprod diff clip isfinite isnan isinf result_type
    may_share_memory shares_memory repeat tile take take_along_axis flip roll moveaxis transpose
    swapaxes expand_dims squeeze reshape ravel unique sort argsort searchsorted tril triu diag
    all any count_nonzero nonzero bincount around round floor ceil trunc copyto atleast_1d
    atleast_2d allclose array_equal isclose partition argpartition cumsum maximum minimum fmax
    fmin add subtract multiply divide true_divide floor_divide negative power square reciprocal
    sqrt exp expm1 exp2 log log1p log2 log10 logaddexp sign abs absolute tanh sinh cosh sin cos
    tan arctan arctan2 arcsin arccos hypot equal not_equal less less_equal greater greater_equal
    logical_and logical_or logical_not logical_xor rint mod remainder fmod heaviside float16
    float32 float64 int8 int16 int32 int64 uint8 uint16 uint32 uint64 intp bool_ dtype newaxis
    inf nan pi e iinfo finfo ndim shape size indices ix_ unravel_index
""")
_UFUNC_AT = frozenset({"add", "subtract", "maximum", "minimum"})  # cupy ufunc.at covers these


class _Ufunc:
    def __init__(self, u: np.ufunc) -> None:
        self._u, self.__name__ = u, u.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self._u, self.__name__, args, kwargs)

    def at(self, a: ndarray, indices: Any, b: Any = None) -> None:
        if self.__name__ not in _UFUNC_AT:
            raise AttributeError(f"fake cupy: {self.__name__}.at (CuPy has no such method)")
        if not isinstance(a, ndarray):
            raise _host_error(f"{self.__name__}.at")
        args = (_index(indices),) if b is None else (_index(indices), _unwrap(b, "ufunc.at"))
        self._u.at(a._h, *args)

    def reduce(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self._u.reduce, f"{self.__name__}.reduce", args, kwargs)


# keyword arguments CuPy's version accepts, where it accepts fewer than NumPy's (found on a GPU)
_KEYWORDS = {"indices": {"dtype"}}


def _function(name: str) -> Any:
    target = getattr(np, name)
    if isinstance(target, np.ufunc):
        return _Ufunc(target)
    if not callable(target) or isinstance(target, type):
        return target  # dtypes and constants are NumPy's own in CuPy too
    allowed = _KEYWORDS.get(name)

    def call(*a: Any, **k: Any) -> Any:
        if allowed is not None and set(k) - allowed:
            raise TypeError(f"{name}() got an unexpected keyword argument "
                            f"{sorted(set(k) - allowed)[0]!r} (fake cupy, as CuPy)")
        return _call(target, name, a, k)

    return call


def _from_host(a: Any) -> Any:
    """The explicit host-to-device copy: host arrays welcome, device arrays unwrapped."""
    if isinstance(a, ndarray):
        return a._h
    if isinstance(a, list | tuple):
        return type(a)(_from_host(v) for v in a)
    return a


def asarray(a: Any, dtype: Any = None, order: Any = None) -> ndarray:
    """Host to device (a copy), or the device array itself (cast when ``dtype`` differs)."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == np.dtype(dtype) else ndarray(a._h.astype(dtype))
    return ndarray(np.array(_from_host(a), dtype=dtype, order=order or "K"))


def array(a: Any, dtype: Any = None, copy: bool = True, order: Any = "K") -> ndarray:
    if isinstance(a, ndarray):
        return ndarray(np.array(a._h, dtype=dtype, copy=copy, order=order))
    return ndarray(np.array(_from_host(a), dtype=dtype, order=order))


def asnumpy(a: Any) -> np.ndarray:
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


class _Generator:
    """cupy.random.Generator's surface that steepest may use, drawing with NumPy's PCG64."""

    def __init__(self, seed: Any) -> None:
        self._g = np.random.default_rng(seed)

    def random(self, size: Any = None, dtype: Any = np.float64) -> ndarray:
        return _wrap(self._g.random(size, dtype=dtype))

    def standard_normal(self, size: Any = None, dtype: Any = np.float64) -> ndarray:
        return _wrap(self._g.standard_normal(size, dtype=dtype))

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None) -> ndarray:
        return _wrap(self._g.uniform(low, high, size))

    def integers(self, low: int, high: Any = None, size: Any = None, dtype: Any = np.int64) -> Any:
        return _wrap(self._g.integers(low, high, size, dtype=dtype))


class _Runtime:
    @staticmethod
    def getDeviceCount() -> int:
        return 1

    @staticmethod
    def deviceSynchronize() -> None:
        return None


class _Module(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name not in NAMES:
            raise AttributeError(f"fake cupy: no cupy.{name} here (CuPy lacks it, or add it to "
                                 "NAMES in tests/_fake_cupy.py if CuPy has it)")
        value = _function(name)
        setattr(self, name, value)
        return value


cupy = _Module("fake_cupy")
cupy.ndarray = ndarray
cupy.asarray = asarray
cupy.array = array
cupy.asnumpy = asnumpy
cupy.random = types.SimpleNamespace(default_rng=_Generator)
cupy.cuda = types.SimpleNamespace(runtime=_Runtime())
cupy.linalg = types.SimpleNamespace(norm=lambda *a, **k: _call(np.linalg.norm, "linalg.norm", a, k))
cupy.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
    as_strided=lambda x, shape=None, strides=None: ndarray(
        np.lib.stride_tricks.as_strided(_unwrap(x, "as_strided"), shape, strides)),
    sliding_window_view=lambda x, *a, **k: _call(
        np.lib.stride_tricks.sliding_window_view, "sliding_window_view", (x, *a), k),
))
