"""Numerical gradient checking: central differences in float64 against backpropagation.

Use it on your own ops and layers:

>>> x = st.randn(3, 4, dtype="float64", requires_grad=True)
>>> st.gradcheck(lambda x: (x.tanh() ** 2).sum(), [x])
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd, backend
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree; the message shows the worst element."""


def _as_scalar_fn(fn: Callable[..., Any], inputs: Sequence[Tensor]) -> tuple[Callable, list]:
    """Reduce any output to a scalar with fixed random weights (checks the whole Jacobian)."""
    out = fn(*inputs)
    outs = list(out) if isinstance(out, tuple | list) else [out]
    rng = np.random.default_rng(1234)
    weights = [rng.standard_normal(o.shape) for o in outs]

    def scalar(*xs: Tensor) -> Tensor:
        res = fn(*xs)
        res = list(res) if isinstance(res, tuple | list) else [res]
        total = None
        for r, w in zip(res, weights, strict=True):
            term = (r * Tensor(backend.to_device(w.astype(r.dtype), r.device))).sum()
            total = term if total is None else total + term
        return total

    return scalar, weights


def numerical_grad(f: Callable[[], float], x: np.ndarray, eps: float) -> np.ndarray:
    """d f / d x by central differences, perturbing ``x`` in place one element at a time."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):  # element by element, so non-contiguous views work too
        saved = x[i].copy()  # CuPy's x[i] is a 0-d view, which the writes below would change
        x[i] = saved + eps
        up = f()
        x[i] = saved - eps
        down = f()
        x[i] = saved
        grad[i] = (up - down) / (2 * eps)
    return grad


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Tensor] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare backpropagated gradients of ``fn`` with central differences.

    Every float input with ``requires_grad`` is checked; inputs must be float64.
    Non-scalar outputs are reduced with fixed random weights. On failure, raises
    ``GradcheckError`` naming the input, the worst element, and both values.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 for accuracy")
    scalar, _ = _as_scalar_fn(fn, inputs)

    with autograd.enable_grad():
        out = scalar(*inputs)
        if out.requires_grad:
            analytic = autograd.grad(out, [inputs[i] for i in checked], allow_unused=True)
        else:  # the output does not depend on the inputs (e.g. the gradient of a linear map)
            analytic = (None,) * len(checked)

    def value() -> float:
        # graph recording stays on: a gradgradcheck's function is itself a backward pass
        return float(scalar(*inputs).data)

    for i, g in zip(checked, analytic, strict=True):
        x = inputs[i]
        numeric = numerical_grad(value, x.data, eps)
        got = np.zeros(x.shape) if g is None else backend.to_device(g.data, "cpu")
        got = got.astype(np.float64)
        error = np.abs(got - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and error.max() > 0:
            j = np.unravel_index(int(np.argmax(error)), error.shape)
            message = (
                f"gradcheck failed for input {i} (shape {x.shape}) at index {tuple(map(int, j))}: "
                f"analytic {got[j]:.8g}, numeric {numeric[j]:.8g} (atol={atol}, rtol={rtol})"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Tensor] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check second derivatives: gradcheck of the (differentiable) gradient of ``fn``."""
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    scalar, _ = _as_scalar_fn(fn, inputs)

    def first_grad(*xs: Tensor) -> tuple[Tensor, ...]:
        grads = autograd.grad(
            scalar(*xs), [xs[i] for i in checked], create_graph=True, allow_unused=True
        )
        return tuple(
            g if g is not None else xs[i] * 0.0 for g, i in zip(grads, checked, strict=True)
        )

    with autograd.enable_grad():
        return gradcheck(first_grad, inputs, eps=eps, atol=atol, rtol=rtol)
