"""Tensor: an array of the active backend plus what backpropagation needs.

A tensor made by an op remembers that op in ``_ctx`` (its parents and any saved
values); a leaf tensor (made by the user) has ``_ctx = None``. Calling
``loss.backward()`` walks these links backwards (see autograd.py).

Gradients accumulate: ``backward()`` *adds* into each leaf's ``.grad``. Call
``optimizer.zero_grad()`` (or set ``.grad = None``) before the next backward,
or the gradients of both passes are summed, exactly as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import backend
from .inplace import InPlaceMethods

Shape = tuple[int, ...]


def _to_array(data: Any, dtype: Any = None, copy: bool = False) -> Any:
    """An array of the right backend and dtype; Python floats get the default float dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray) or hasattr(data, "__cuda_array_interface__"):
        if dtype is not None:
            return data.astype(dtype, copy=copy)
        return data.copy() if copy else data
    if isinstance(data, np.generic):  # a NumPy scalar keeps its own dtype
        return np.asarray(data, dtype=dtype)
    array = np.asarray(data, dtype=dtype)
    if dtype is None and array.dtype == np.float64:
        array = array.astype(backend.default_dtype())
    return array


class Tensor(InPlaceMethods):
    """An n-dimensional array that records the ops applied to it.

    >>> x = st.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad  # 2x
    tensor([2., 4., 6.])

    ``Tensor(array)`` wraps a NumPy/CuPy array without copying it; ``st.tensor``
    copies. Python floats become ``st.default_dtype()`` (float32).
    """

    __slots__ = ("__weakref__", "_ctx", "_retain_grad", "data", "grad", "name", "requires_grad")
    __array_priority__ = 1000  # ndarray + Tensor calls Tensor.__radd__, keeping the graph

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self._ctx: Any = None  # the Function that made this tensor, None for a leaf
        self._retain_grad = False
        self.name: str | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data: Any, requires_grad: bool) -> Tensor:
        """Fast constructor for op outputs: no conversion, no checks."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t._ctx = None
        t._retain_grad = False
        t.name = None
        t.requires_grad = requires_grad
        return t

    # ----- basic properties -------------------------------------------------------------
    @property
    def shape(self) -> Shape:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None) -> Size | int:
        """The shape as a ``Size`` tuple, or the length of dim ``dim`` (PyTorch's meaning;
        the element count is ``numel()``)."""
        if dim is None:
            return Size(self.data.shape)
        return self.data.shape[_dims.normalize_dim(dim, self.data.ndim, "size")]

    def dim(self) -> int:
        return self.data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self.data.size)

    nelement = numel

    @property
    def device(self) -> device:
        return device(backend.device_of(self.data))

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def T(self) -> Tensor:
        """All dims reversed (a matrix's transpose)."""
        return _ops.permute(self, *range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped: a batch of matrices transposed."""
        return _ops.transpose(self, -2, -1)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extras = []
        if self.dtype != backend.default_dtype() and self.dtype.kind == "f":
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={type(self._ctx).__name__}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __index__(self) -> int:
        return int(self.data)

    __hash__ = object.__hash__  # tensors are dict keys by identity; == is elementwise

    # ----- conversion -------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied from the GPU if needed)."""
        return np.asarray(backend.to_device(self.data, "cpu"))

    def __dlpack__(self, **kwargs: Any) -> Any:
        """DLPack export (``np.from_dlpack(t)``, ``torch.from_dlpack(t)``): no copy, except a
        contiguous one for negative strides (see steepest/dlpack.py)."""
        if self.requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        from .dlpack import exportable

        return exportable(self.data).__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.data.__dlpack_device__()

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(f"item(): tensor of shape {self.shape} has {self.data.size} elements")
        return self.data.item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no copy)."""
        return Tensor._from_op(self.data, False)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Move and/or convert: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
        ``to(other)`` (other's device and dtype), or ``device=``/``dtype=`` keywords."""
        dev, dtype = _to_arguments(args, kwargs)
        out = self
        if dtype is not None:
            out = _ops.cast(out, dtype)
        if dev is not None and backend.device_of(out.data) != dev:  # no trial copy to compare
            out = _ops.shape.ToDevice.apply(out, device=str(dev))
        if kwargs.get("copy") and out is self:
            out = _ops.clone(self)
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def astype(self, dtype: Any) -> Tensor:
        return _ops.cast(self, dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return _ops.cast(self, other.dtype)

    def float(self) -> Tensor:
        return _ops.cast(self, np.float32)

    def double(self) -> Tensor:
        return _ops.cast(self, np.float64)

    def half(self) -> Tensor:
        return _ops.cast(self, np.float16)

    def long(self) -> Tensor:
        return _ops.cast(self, np.int64)

    def int(self) -> Tensor:
        return _ops.cast(self, np.int32)

    def bool(self) -> Tensor:
        return _ops.cast(self, np.bool_)

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def contiguous(self) -> Tensor:
        """Itself: steepest's ops accept any memory layout, so there is nothing to copy."""
        return self

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    def clone(self) -> Tensor:
        return _ops.clone(self)

    def view_as(self, other: Tensor) -> Tensor:
        return _ops.reshape(self, other.shape)

    reshape_as = view_as

    def expand_as(self, other: Tensor) -> Tensor:
        return _ops.expand(self, other.shape)

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's ``x.where(c, y)``)."""
        return _ops.where(condition, self, other)

    def _new(self, shape: tuple[Any, ...], fill: Any, dtype: Any, requires_grad: bool) -> Tensor:
        xp = backend.array_module(self.data)
        size = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        data = xp.full(tuple(size), fill, dtype=self.dtype if dtype is None else np.dtype(dtype))
        return Tensor(data, requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False, **_: Any):
        """Zeros with this tensor's dtype and device unless ``dtype`` says otherwise."""
        return self._new(size, 0, dtype, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False, **_: Any):
        return self._new(size, 1, dtype, requires_grad)

    def new_full(
        self, size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, **_: Any
    ) -> Tensor:
        return self._new((size,), fill_value, dtype, requires_grad)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        xp = backend.array_module(self.data)
        array = xp.array(
            data.data if isinstance(data, Tensor) else data,
            dtype=self.dtype if dtype is None else np.dtype(dtype),
        )
        return Tensor(array, requires_grad=requires_grad)

    # ----- autograd ---------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(f"requires_grad: only float tensors can require grad, got {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward."""
        self._retain_grad = True

    def backward(
        self,
        gradient: Tensor | Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Backpropagate from this tensor, accumulating into the leaves' ``.grad``."""
        _autograd.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    # ----- operators --------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.ge(self, other)

    def __invert__(self) -> Tensor:
        """Logical not of a bool tensor, bitwise not of an integer one (no gradient)."""
        if self.dtype.kind not in "biu":
            raise TypeError(f"~ needs a bool or integer tensor, got {self.dtype}")
        return Tensor._from_op(~self.data, False)

    def __and__(self, other: Any) -> Tensor:
        return _bitwise("bitwise_and", self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> Tensor:
        return _bitwise("bitwise_or", self, other)

    __ror__ = __or__

    def __xor__(self, other: Any) -> Tensor:
        return _bitwise("bitwise_xor", self, other)

    __rxor__ = __xor__


class Size(tuple):
    """A shape, as returned by ``x.size()``: a tuple that also counts its elements."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def __repr__(self) -> str:
        return f"Size({list(self)})"


def _bitwise(name: str, a: Tensor, b: Any) -> Tensor:
    y = b.data if isinstance(b, Tensor) else b
    if a.dtype.kind not in "biu" or getattr(y, "dtype", np.dtype(bool)).kind not in "biu":
        raise TypeError(f"{name}: needs bool or integer tensors, got {a.dtype}")
    return Tensor._from_op(getattr(backend.array_module(a.data), name)(a.data, y), False)


def _to_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """(device, dtype) from the forms of ``Tensor.to``; either may be None (unchanged)."""
    dev, dtype = kwargs.get("device"), kwargs.get("dtype")
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to(): unexpected keyword arguments {sorted(unknown)}")
    for a in args:
        if isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, str) and a.partition(":")[0] in ("cpu", "cuda"):
            dev = a
        elif isinstance(a, bool):  # non_blocking / copy given positionally
            continue
        else:
            try:
                dtype = np.dtype(a)
            except TypeError:
                raise TypeError(
                    f"to(): expected a device, a dtype or a tensor, got {a!r}"
                ) from None
    return (None if dev is None else device(dev)), dtype


# Methods that are the functions of steepest.ops with the tensor as first argument: one
# definition, one signature (dim/keepdim with axis/keepdims aliases), for both spellings.
_METHODS = (
    "sum", "mean", "var", "std", "amax", "amin", "max", "min", "argmax", "argmin", "logsumexp",
    "prod", "cumsum", "norm", "all", "any", "sort", "argsort", "topk",
    "reshape", "view", "permute", "transpose", "swapaxes", "t", "flatten", "squeeze", "unsqueeze",
    "flip", "roll", "expand", "repeat", "broadcast_to", "split", "chunk",
    "gather", "scatter_add", "masked_fill", "clamp", "clip",
    "pow", "exp", "log", "sqrt", "abs", "sign", "relu", "sigmoid", "tanh", "softmax",
    "log_softmax", "matmul", "eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum",
)  # fmt: skip


# Imported last: both modules use Tensor, which is defined by now.
from . import autograd as _autograd  # noqa: E402
from . import ops as _ops  # noqa: E402
from .device import device  # noqa: E402
from .ops import _dims  # noqa: E402

for _name in _METHODS:
    setattr(Tensor, _name, getattr(_ops, _name))
