"""In-place tensor methods, as PyTorch has them: ``add_``, ``mul_``, ``zero_``, ``+=``, ...

They write into the tensor's existing buffer (views of it, such as an optimizer's flat
buffers, see the change) and bump its version counter (autograd.bump_version), so a graph
that saved the old values raises at backward instead of giving a wrong gradient.

The rules, PyTorch's except the last:

* under ``st.no_grad()`` any tensor may change in place; a leaf that requires grad stays one
  (the textbook loop ``with st.no_grad(): w -= lr * w.grad``);
* with grad mode on, a leaf that requires grad may not (PyTorch's error);
* with grad mode on, a tensor of a recorded graph (a non-leaf, or an operand that requires
  grad) may not either: steepest's engine keys gradients on tensor objects, so rewriting one
  in place would send gradients to the wrong version of it. PyTorch supports this case; here
  it raises and names the out-of-place spelling (``y = y + x``).

>>> w = st.randn(3, requires_grad=True)
>>> with st.no_grad():
...     w -= 0.1 * w.grad  # w is still a leaf that requires grad
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend


def _operand(x: Any) -> tuple[Any, bool]:
    """The raw array or scalar of ``x`` and whether it requires grad."""
    data = getattr(x, "data", None)
    if data is not None and hasattr(x, "requires_grad"):
        return data, bool(x.requires_grad)
    return x, False


def _buffer(t: Any, op: str, other_requires_grad: bool = False) -> Any:
    """The array to write into, after checking the rules above."""
    from .autograd import is_grad_enabled

    if is_grad_enabled():
        if t.requires_grad and t._ctx is None:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place "
                f"operation. (tensor of shape {t.shape}); update parameters inside "
                "`with st.no_grad():`, as in PyTorch"
            )
        if t.requires_grad or other_requires_grad:
            raise RuntimeError(
                f"{op}: in-place change of a tensor that is part of a recorded graph (shape "
                f"{t.shape}); steepest does not support this, unlike PyTorch, because its "
                "engine keys gradients on tensor objects: write `y = y + x` instead of "
                "`y += x`, or do it inside `with st.no_grad():`"
            )
    data = t.data
    if isinstance(data, np.generic):  # a NumPy scalar cannot be written; nothing can view it
        data = t.data = np.array(data)
    return data


def _done(t: Any) -> Any:
    from .autograd import bump_version

    bump_version(t)
    return t


def _ufunc(t: Any, op: str, name: str, other: Any) -> Any:
    """``t = t <name> other`` in place, keeping ``t``'s dtype (an int tensor refuses floats)."""
    value, other_rg = _operand(other)
    data = _buffer(t, op, other_rg)
    xp = backend.array_module(data)
    try:
        getattr(xp, name)(data, value, out=data, casting="same_kind")
    except TypeError as e:  # NumPy's UFuncTypeError: float result into an int tensor
        raise RuntimeError(
            f"{op}: result of {name} on {t.dtype} and {getattr(value, 'dtype', type(value))} "
            f"can't be cast to the tensor's dtype {t.dtype} in place"
        ) from e
    except ValueError as e:  # the broadcast result does not fit t's shape
        shape = getattr(value, "shape", ())
        raise RuntimeError(f"{op}: tensor of shape {t.shape} with operand {shape}: {e}") from e
    return _done(t)


def _scaled(other: Any, alpha: Any) -> Any:
    return other if alpha == 1 else other * alpha


class InPlaceMethods:
    """The in-place methods of Tensor (a mixin, kept here so tensor.py stays short)."""

    __slots__ = ()

    @property
    def _version(self) -> int:
        """How many in-place ops changed this tensor (PyTorch's ``_version``)."""
        from .autograd import version_of

        return version_of(self)

    def add_(self, other: Any, *, alpha: Any = 1) -> Any:
        return _ufunc(self, "add_", "add", _scaled(other, alpha))

    def sub_(self, other: Any, *, alpha: Any = 1) -> Any:
        return _ufunc(self, "sub_", "subtract", _scaled(other, alpha))

    def mul_(self, other: Any) -> Any:
        return _ufunc(self, "mul_", "multiply", other)

    def div_(self, other: Any) -> Any:
        return _ufunc(self, "div_", "true_divide", other)

    def __iadd__(self, other: Any) -> Any:
        return _ufunc(self, "+=", "add", other)

    def __isub__(self, other: Any) -> Any:
        return _ufunc(self, "-=", "subtract", other)

    def __imul__(self, other: Any) -> Any:
        return _ufunc(self, "*=", "multiply", other)

    def __itruediv__(self, other: Any) -> Any:
        return _ufunc(self, "/=", "true_divide", other)

    def copy_(self, src: Any) -> Any:
        """Copy ``src``'s values in (broadcast, cast to this tensor's dtype, as PyTorch)."""
        value, other_rg = _operand(src)
        data = _buffer(self, "copy_", other_rg)
        xp = backend.array_module(data)
        xp.copyto(data, xp.asarray(value), casting="unsafe")
        return _done(self)

    def zero_(self) -> Any:
        _buffer(self, "zero_").fill(0)
        return _done(self)

    def fill_(self, value: Any) -> Any:
        value, other_rg = _operand(value)
        _buffer(self, "fill_", other_rg)[...] = value
        return _done(self)

    def clamp_(self, min: Any = None, max: Any = None) -> Any:
        if min is None and max is None:
            raise ValueError("clamp_: give at least one of min and max")
        data = _buffer(self, "clamp_")
        backend.array_module(data).clip(data, min, max, out=data)
        return _done(self)

    clip_ = clamp_

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
        """Fill with N(mean, std^2) draws from ``generator`` (default: the global seed)."""
        from .random import generator_or_default

        data = _buffer(self, "normal_")
        draws = generator_or_default(generator).np.normal(mean, std, data.shape)
        data[...] = backend.to_device(draws.astype(data.dtype), backend.device_of(data))
        return _done(self)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Any:
        """Fill with U(a, b) draws from ``generator`` (default: the global seed)."""
        from .random import generator_or_default

        data = _buffer(self, "uniform_")
        draws = generator_or_default(generator).np.uniform(a, b, data.shape)
        data[...] = backend.to_device(draws.astype(data.dtype), backend.device_of(data))
        return _done(self)
