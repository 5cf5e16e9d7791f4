"""Straightforward NumPy references (nested loops, tiny shapes) and sample makers for the
convolution and pooling ops; the op table in tests/ops can import them too."""

from __future__ import annotations

from typing import Any

import numpy as np

RNG = np.random.default_rng(0)


def pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """conv2d by its definition: one dot product per output element."""
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    o, cg, kh, kw = w.shape
    if padding == "valid":
        padding = 0
    if padding == "same":
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    else:
        ph, pw = pair(padding)
        pads = ((ph, ph), (pw, pw))
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    n, _, hp, wp = xp.shape
    ho, wo = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, ho, wo), dtype=np.result_type(x, w))
    og = o // groups
    for oc in range(o):
        c0 = (oc // og) * cg
        for h in range(ho):
            for v in range(wo):
                patch = xp[:, c0 : c0 + cg, h * sh : h * sh + dh * (kh - 1) + 1 : dh,
                           v * sw : v * sw + dw * (kw - 1) + 1 : dw]  # fmt: skip
                y[:, oc, h, v] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _conv_geometry(x_shape, w_shape, stride, padding, dilation):
    (sh, sw), (dh, dw), (ph, pw) = pair(stride), pair(dilation), pair(padding)
    kh, kw = w_shape[2:]
    ho = (x_shape[2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (x_shape[3] + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    return (sh, sw), (dh, dw), (ph, pw), ho, wo


def ref_conv2d_input_grad(g, w, input_size, stride=1, padding=0, dilation=1, groups=1):
    """dL/dx by scattering every output gradient back through the window that made it."""
    n, o = g.shape[:2]
    cg, kh, kw = w.shape[1:]
    h, wd = tuple(input_size)[-2:]
    (sh, sw), (dh, dw), (ph, pw), ho, wo = _conv_geometry((n, 0, h, wd), w.shape, stride,
                                                           padding, dilation)  # fmt: skip
    dxp = np.zeros((n, cg * groups, h + 2 * ph, wd + 2 * pw))
    og = o // groups
    for oc in range(o):
        c0 = (oc // og) * cg
        for i in range(ho):
            for j in range(wo):
                rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                dxp[:, c0 : c0 + cg, rows, cols] += g[:, oc, i, j, None, None, None] * w[oc]
    return dxp[:, :, ph : ph + h, pw : pw + wd]


def ref_conv2d_weight_grad(x, g, kernel_size, stride=1, padding=0, dilation=1, groups=1):
    """dL/dW: each weight collects input * output gradient over the windows it touched."""
    kh, kw = pair(kernel_size)
    o, cg = g.shape[1], x.shape[1] // groups
    (sh, sw), (dh, dw), (ph, pw), ho, wo = _conv_geometry(x.shape, (o, cg, kh, kw), stride,
                                                           padding, dilation)  # fmt: skip
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dw_ = np.zeros((o, cg, kh, kw))
    og = o // groups
    for oc in range(o):
        c0 = (oc // og) * cg
        for i in range(ho):
            for j in range(wo):
                rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                patch = xp[:, c0 : c0 + cg, rows, cols]
                dw_[oc] += (g[:, oc, i, j, None, None, None] * patch).sum(axis=0)
    return dw_


def _ref_pool(x, kernel_size, stride, padding, dilation, reduce, fill) -> np.ndarray:
    (kh, kw), (ph, pw), (dh, dw) = pair(kernel_size), pair(padding), pair(dilation)
    sh, sw = (kh, kw) if stride is None else pair(stride)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros(x.shape[:2] + (ho, wo), dtype=x.dtype)
    for h in range(ho):
        for v in range(wo):
            rows = slice(h * sh, h * sh + dh * (kh - 1) + 1, dh)
            win = xp[:, :, rows, v * sw : v * sw + dw * (kw - 1) + 1 : dw]
            y[:, :, h, v] = reduce(win, axis=(2, 3))
    return y


def ref_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1) -> np.ndarray:
    return _ref_pool(x, kernel_size, stride, padding, dilation, np.max, -np.inf)


def ref_avg_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    return _ref_pool(x, kernel_size, stride, padding, 1, np.mean, 0.0)


def ref_adaptive_avg_pool2d(x, output_size) -> np.ndarray:
    """PyTorch's adaptive windows: [floor(i H / Ho), ceil((i + 1) H / Ho))."""
    h, w = x.shape[2:]
    ho, wo = (output_size, output_size) if isinstance(output_size, int) else output_size
    ho, wo = h if ho is None else ho, w if wo is None else wo
    y = np.zeros(x.shape[:2] + (ho, wo), dtype=x.dtype)
    for i in range(ho):
        h0, h1 = (i * h) // ho, -(-(i + 1) * h // ho)
        for j in range(wo):
            w0, w1 = (j * w) // wo, -(-(j + 1) * w // wo)
            y[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return y


def draw(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def conv_inputs(n, c, h, w, c_out, kh, kw, groups=1, bias=True) -> tuple[np.ndarray, ...]:
    """x (n, c, h, w), weight (c_out, c/groups, kh, kw) and, if asked, bias (c_out,)."""
    arrays = (draw(n, c, h, w), draw(c_out, c // groups, kh, kw))
    return (*arrays, draw(c_out)) if bias else arrays
