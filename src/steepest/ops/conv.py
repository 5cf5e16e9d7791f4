"""2-D convolution (NCHW, PyTorch semantics) and its two gradients, each an op of its own.

    y[n, o, h, w] = b[o] + sum_{c,i,j} x_pad[n, c0 + c, s_h h + d_h i, s_w w + d_w j] W[o, c, i, j]

where c runs over the C_in/groups channels of output channel o's group, which starts at input
channel c0 = (o // (C_out/groups)) (C_in/groups). y is linear in x and in W, so both
gradients are again convolutions:

* dL/dx = conv2d_input_grad(dL/dy, W): a transposed convolution (col2im of W^T dL/dy);
* dL/dW = conv2d_weight_grad(x, dL/dy): a correlation of the input with the output gradient.

Each of the three is a Function whose derivative rule calls the other two, so derivatives of
any order work (gradient penalties, Hessian-vector products). The kernels are in _im2col.py
(im2col + GEMM) and _direct.py (compiled direct loops, for small layers).

>>> x = st.randn(8, 3, 32, 32)
>>> w = st.randn(16, 3, 3, 3, requires_grad=True)
>>> y = st.conv2d(x, w, padding=1)  # (8, 16, 32, 32)
"""

from __future__ import annotations

import operator
from typing import Any

from ..autograd import Function, is_grad_enabled
from ..backend import array_module
from ..tensor import Tensor
from . import _direct, _im2col
from ._im2col import ConvParams, Geometry

_DEFAULT = ConvParams()


def _geometry(x_shape: tuple[int, ...], kernel_hw: tuple[int, int], p: ConvParams) -> Geometry:
    n, c, h, w = x_shape
    return Geometry(n, c, h, w, kernel_hw[0], kernel_hw[1], p)


class Saved:
    """An array an op hands to the op of its derivative rule (short repr in error messages)."""

    def __init__(self, array: Any) -> None:
        self.array = array

    def __repr__(self) -> str:
        return f"Saved({tuple(self.array.shape)})"


class Conv2d(Function):
    """y = conv2d(x, W) (+ b); the rule hands off to the two gradient ops."""

    def forward(self, x, weight, bias=None, params=_DEFAULT):
        self.params = params
        xp = array_module(x)
        g = _geometry(x.shape, weight.shape[2:], params)
        planes = _im2col.to_planes(xp, x, g)
        # keep a padded or re-laid-out copy for the weight gradient rather than redo it
        copied = not xp.may_share_memory(planes, x)
        self.planes = Saved(planes) if copied and is_grad_enabled() else None
        kernels = _kernels("forward", xp, (x, weight), g, weight.shape[0])
        return kernels.forward(xp, planes, weight, bias, g)

    def backward(self, out, grad):
        x, weight, *rest = self.parents
        if x.requires_grad or weight.requires_grad:
            grad = _batch_innermost(grad)  # once here, not once in each gradient op
        gx = gw = gb = None
        # Tried: for small layers, the two gradients side by side on two threads instead of each
        # cut into blocks. LeNet-5 step, best of 5, paired: 11.6/11.6/14.4/11.4 ms before,
        # 11.0/11.2/13.0/12.4 after (2026-12-04, df77331): within the noise. Rejected.
        if x.requires_grad:
            gx = _input_grad(grad, weight, x.shape[2:], self.params)
        if weight.requires_grad:
            gw = _weight_grad(x, grad, weight.shape[2:], self.params, self.planes)
        if rest and rest[0].requires_grad:
            gb = grad.sum(axis=(0, 2, 3))
        return gx, gw, gb


class Conv2dInputGrad(Function):
    """dx = conv2d_input_grad(dy, W), linear in dy and in W: the transposed convolution."""

    def forward(self, grad, weight, input_hw=(1, 1), params=_DEFAULT):
        self.params = params
        n, c_in = grad.shape[0], weight.shape[1] * params.groups
        g = _geometry((n, c_in, *input_hw), weight.shape[2:], params)
        xp = array_module(grad, weight)
        kernels = _kernels("input_grad", xp, (grad, weight), g, weight.shape[0])
        return kernels.input_grad(xp, grad, weight, g)

    def backward(self, out, dx_bar):
        grad, weight = self.parents
        # <dx_bar, A(dy, W)> = <conv2d(dx_bar, W), dy> = <W, conv2d_weight_grad(dx_bar, dy)>
        g_grad = _conv(dx_bar, weight, None, self.params) if grad.requires_grad else None
        g_weight = None
        if weight.requires_grad:
            g_weight = _weight_grad(dx_bar, grad, weight.shape[2:], self.params)
        return g_grad, g_weight


class Conv2dWeightGrad(Function):
    """dW = conv2d_weight_grad(x, dy), linear in x and in dy: a correlation of the two."""

    def forward(self, x, grad, kernel_hw=(1, 1), params=_DEFAULT, planes=None):
        self.params = params
        xp = array_module(x, grad)
        g = _geometry(x.shape, kernel_hw, params)
        planes = _im2col.to_planes(xp, x, g) if planes is None else planes.array
        kernels = _kernels("weight_grad", xp, (x, grad), g, grad.shape[1])
        return kernels.weight_grad(xp, planes, grad, g)

    def backward(self, out, dw_bar):
        x, grad = self.parents
        # <dw_bar, B(x, dy)> = <conv2d(x, dw_bar), dy> = <x, conv2d_input_grad(dy, dw_bar)>
        g_x = _input_grad(grad, dw_bar, x.shape[2:], self.params) if x.requires_grad else None
        g_grad = _conv(x, dw_bar, None, self.params) if grad.requires_grad else None
        return g_x, g_grad


class BatchInnermost(Function):
    """The identity, copying the data into the (C, H, W, N) memory layout the kernels use."""

    def forward(self, a):
        return _im2col.contiguous_planes(array_module(a), a.transpose(1, 2, 3, 0)).transpose(
            3, 0, 1, 2
        )

    def backward(self, out, grad):
        return grad


def _kernels(kernel: str, xp: Any, arrays: tuple, g: Geometry, c_out: int) -> Any:
    """The module whose ``kernel`` runs this convolution: the direct loops or im2col + GEMM."""
    return _direct if _direct.use(kernel, xp, arrays, g, c_out) else _im2col


def _batch_innermost(a: Tensor) -> Tensor:
    return a if _im2col.batch_innermost_contiguous(a.data) else BatchInnermost.apply(a)


def _conv(x: Tensor, weight: Tensor, bias: Tensor | None, params: ConvParams) -> Tensor:
    if bias is None:
        return Conv2d.apply(x, weight, params=params)
    return Conv2d.apply(x, weight, bias, params=params)


# ----- argument handling ---------------------------------------------------------------------
def _pair(name: str, op: str, value: Any, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (NumPy integers too), each >= minimum, as a pair."""
    items = value if isinstance(value, tuple | list) else (value, value)
    try:
        pair = tuple(operator.index(v) for v in items)
    except TypeError:
        pair = ()
    if len(pair) != 2 or any(v < minimum for v in pair):
        bound = "positive" if minimum > 0 else "non-negative"
        raise ValueError(f"{op}: {name} must be a {bound} int or a pair of them, got {value!r}")
    return pair  # type: ignore[return-value]


def _padding(
    op: str,
    padding: Any,
    kernel_hw: tuple[int, int],
    dilation: tuple[int, int],
    stride: tuple[int, int],
) -> tuple[int, int, int, int]:
    """(top, bottom, left, right); 'same' puts the odd pixel at the bottom/right, as PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(
                f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
            )
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' needs stride 1, got stride={stride}")
        total = [d * (k - 1) for d, k in zip(dilation, kernel_hw, strict=True)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    ph, pw = _pair("padding", op, padding, 0)
    return (ph, ph, pw, pw)


def _as_tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(a)


def _check_window(
    op: str,
    x_shape: tuple[int, ...],
    kernel_hw: tuple[int, int],
    params: ConvParams,
    what: str = "kernel",
) -> None:
    g = _geometry(x_shape, kernel_hw, params)
    for name, size, k, d, padded in (
        ("height", g.h, g.kh, params.dilation[0], g.hp),
        ("width", g.w, g.kw, params.dilation[1], g.wp),
    ):
        span = d * (k - 1) + 1
        if span > padded:
            raise ValueError(
                f"{op}: {what} {name} {k} (dilation {d}: span {span}) is larger than the padded "
                f"input {name} {padded} (input {tuple(x_shape)}, {size} + padding)"
            )


def _check_conv(x: Tensor, weight: Tensor, bias: Tensor | None, params: ConvParams) -> None:
    op = "conv2d"
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(
            f"{op}: weight must be (C_out, C_in/groups, kh, kw), got shape {weight.shape}"
        )
    groups = params.groups
    c_in, c_out = x.shape[1], weight.shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide input channels {c_in} (input {x.shape}) and "
            f"output channels {c_out} (weight {weight.shape})"
        )
    if weight.shape[1] * groups != c_in:
        raise ValueError(
            f"{op}: input {x.shape} has {c_in} channels but weight {weight.shape} with "
            f"groups={groups} expects {weight.shape[1] * groups}"
        )
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(
            f"{op}: bias must have shape ({c_out},) for weight {weight.shape}, got {bias.shape}"
        )
    for t, name in ((x, "input"), (weight, "weight"), (bias, "bias")):
        if t is not None and (t.dtype.kind != "f" or t.dtype != x.dtype):
            raise TypeError(
                f"{op}: input, weight and bias must share one float dtype, got {name} {t.dtype} "
                f"(input {x.dtype}, weight {weight.dtype})"
            )
    _check_window(op, x.shape, weight.shape[2:], params)


def conv_params(
    op: str, kernel_hw: tuple[int, int], stride: Any, padding: Any, dilation: Any, groups: int
) -> ConvParams:
    """Validated ConvParams from PyTorch-style arguments (ints or pairs, 'same'/'valid')."""
    s = _pair("stride", op, stride, 1)
    d = _pair("dilation", op, dilation, 1)
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return ConvParams(s, _padding(op, padding, kernel_hw, d, s), d, groups)


# ----- public functions ----------------------------------------------------------------------
def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of x (N, C_in, H, W) with weight (C_out, C_in/groups, kh, kw).

    Output (N, C_out, Ho, Wo), Ho = floor((H + 2 p_h - d_h (kh - 1) - 1) / s_h) + 1 (same for W).
    ``padding`` may be 'same' (stride 1; an odd total goes to the bottom/right) or 'valid'.
    ``groups`` splits the channels into independent convolutions (groups = C_in: depthwise).
    An unbatched (C, H, W) input gives a (C_out, Ho, Wo) output.

    >>> x = st.randn(2, 4, 8, 8)
    >>> w = st.randn(6, 2, 3, 3, requires_grad=True)
    >>> st.conv2d(x, w, stride=2, padding=1, groups=2).shape  # (2, 6, 4, 4)
    """
    x, weight = _as_tensor(x), _as_tensor(weight)
    bias = None if bias is None else _as_tensor(bias)
    if x.ndim == 3:
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    kernel_hw = tuple(weight.shape[2:]) if weight.ndim == 4 else (1, 1)
    params = conv_params("conv2d", kernel_hw, stride, padding, dilation, groups)
    _check_conv(x, weight, bias, params)
    return _conv(x, weight, bias, params)


def _check_grad_shapes(
    op: str, x_shape: tuple, grad: Tensor, weight_shape: tuple, params: ConvParams
) -> None:
    """The output gradient must have the shape conv2d gives for this input and weight."""
    if grad.ndim != 4:
        raise ValueError(f"{op}: grad must be (N, C_out, Ho, Wo), got shape {grad.shape}")
    _check_window(op, x_shape, weight_shape[2:], params)
    g = _geometry(x_shape, weight_shape[2:], params)
    want = (x_shape[0], weight_shape[0], g.ho, g.wo)
    if tuple(grad.shape) != want:
        raise ValueError(
            f"{op}: conv2d of an input {tuple(x_shape)} with a weight {tuple(weight_shape)} gives "
            f"{want}, but grad has shape {grad.shape}"
        )


def _params_for(
    op: str, weight_shape: tuple, c_in: int, stride: Any, padding: Any, dilation: Any, groups: int
) -> ConvParams:
    params = conv_params(op, tuple(weight_shape[2:]), stride, padding, dilation, groups)
    if c_in % groups or weight_shape[0] % groups or weight_shape[1] * groups != c_in:
        raise ValueError(
            f"{op}: a weight {tuple(weight_shape)} with groups={groups} does not fit "
            f"{c_in} input channels"
        )
    return params


def conv2d_input_grad(
    grad: Any,
    weight: Any,
    input_size: tuple[int, ...],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """dL/dx of ``conv2d(x, weight, ...)`` given dL/dy ``grad`` (N, C_out, Ho, Wo): the
    transposed convolution of grad with weight. ``input_size`` is x's (H, W) or its full
    shape, which fixes H and W where a stride leaves them ambiguous. Differentiable in both
    arguments (as PyTorch's ``torch.nn.grad.conv2d_input``).

    >>> dy = st.randn(2, 6, 4, 4)
    >>> dx = conv2d_input_grad(dy, w, (8, 8), stride=2, padding=1)  # (2, 3, 8, 8), w (6, 3, 3, 3)
    """
    grad, weight = _as_tensor(grad), _as_tensor(weight)
    op = "conv2d_input_grad"
    if weight.ndim != 4:
        raise ValueError(f"{op}: weight must be (C_out, C_in/groups, kh, kw), got {weight.shape}")
    hw = tuple(input_size)[-2:]
    c_in = weight.shape[1] * groups
    params = _params_for(op, weight.shape, c_in, stride, padding, dilation, groups)
    _check_grad_shapes(op, (grad.shape[0], c_in, *hw), grad, weight.shape, params)
    return _input_grad(grad, weight, hw, params)


def conv2d_weight_grad(
    x: Any,
    grad: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """dL/dW of ``conv2d(x, W, ...)`` given its input ``x`` and dL/dy ``grad``: the correlation
    of the two, shape (C_out, C_in/groups, kh, kw). Differentiable in both arguments (as
    PyTorch's ``torch.nn.grad.conv2d_weight``, which takes the weight's full shape).

    >>> dw = conv2d_weight_grad(x, dy, 3, stride=2, padding=1)  # x (2, 3, 8, 8), dy (2, 6, 4, 4)
    """
    x, grad = _as_tensor(x), _as_tensor(grad)
    op = "conv2d_weight_grad"
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be (N, C, H, W), got shape {x.shape}")
    if grad.ndim != 4:
        raise ValueError(f"{op}: grad must be (N, C_out, Ho, Wo), got shape {grad.shape}")
    k = _pair("kernel_size", op, kernel_size, 1)
    w_shape = (grad.shape[1], x.shape[1] // groups if groups else 0, *k)
    params = _params_for(op, w_shape, x.shape[1], stride, padding, dilation, groups)
    _check_grad_shapes(op, x.shape, grad, w_shape, params)
    return _weight_grad(x, grad, k, params)


def _input_grad(grad: Any, weight: Any, input_hw: tuple, params: ConvParams) -> Tensor:
    return Conv2dInputGrad.apply(grad, weight, input_hw=tuple(input_hw), params=params)


def _weight_grad(
    x: Any, grad: Any, kernel_hw: tuple, params: ConvParams, planes: Saved | None = None
) -> Tensor:
    return Conv2dWeightGrad.apply(x, grad, kernel_hw=tuple(kernel_hw), params=params, planes=planes)
