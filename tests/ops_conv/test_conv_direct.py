"""The direct convolution loops (ops/conv.c via ops/_direct.py) against the loop references:
forward, input gradient and weight gradient for every conv configuration of test_conv.py,
float64 and float32, batches that fill whole vectors, part of one, or both; first and second
derivatives through them; the rule that picks them; and the fallback without a compiler."""

from __future__ import annotations

import numpy as np
import pytest
from references import (
    conv_inputs,
    draw,
    ref_conv2d,
    ref_conv2d_input_grad,
    ref_conv2d_weight_grad,
)
from test_conv import CONFIGS, IDS

import steepest as st
from steepest.ops import _direct, fused, threads
from steepest.ops._im2col import ConvParams, Geometry
from steepest.ops.conv import conv2d, conv2d_input_grad, conv2d_weight_grad

# batches: scalar tail only; one float64 vector + tail; two float32 vectors + one + tail
BATCHES = [3, 11, 53]
# test_conv.py's configurations, and 5x5 kernels (the loops unroll 3- and 5-wide rows apart)
DIRECT = [*CONFIGS, ("k5-pad2", (2, 3, 9, 8, 4, 5, 5, 1), dict(padding=2)),
          ("k5-s2-g2", (2, 4, 11, 9, 6, 5, 5, 2), dict(stride=2, dilation=(1, 2)))]  # fmt: skip
DIRECT_IDS = [c[0] for c in DIRECT]


@pytest.fixture
def direct(monkeypatch, compiled_loops):
    """Every convolution through the direct loops, whatever its size; the calls counted."""
    compiled_loops("conv_forward", "conv.c")
    calls: list[str] = []
    real = _direct.use

    def always(kernel, xp, arrays, g, c_out):
        real(kernel, xp, arrays, g, c_out)  # still validates its arguments
        calls.append(kernel)
        return fused.get("conv_forward", *arrays) is not None  # one dtype, NumPy: direct

    monkeypatch.setattr(_direct, "use", always)
    return calls


def _kw(shape, kwargs):
    return dict(groups=shape[-1], **kwargs)


def _grad_refs(x, w, g, kw):
    """dL/dx and dL/dW by the loop references; 'same'/'valid' padding made explicit first."""
    pad = kw.get("padding", 0)
    if not isinstance(pad, str):
        return (ref_conv2d_input_grad(g, w, x.shape, **kw),
                ref_conv2d_weight_grad(x, g, w.shape[2:], **kw))  # fmt: skip
    d = kw.get("dilation", 1)
    d = (d, d) if isinstance(d, int) else d
    total = [0, 0] if pad == "valid" else [d[0] * (w.shape[2] - 1), d[1] * (w.shape[3] - 1)]
    pads = ((0, 0), (0, 0), (total[0] // 2, total[0] - total[0] // 2),
            (total[1] // 2, total[1] - total[1] // 2))  # fmt: skip
    xp = np.pad(x, pads)
    explicit = {**kw, "padding": 0}
    dx = ref_conv2d_input_grad(g, w, xp.shape, **explicit)
    h, v = pads[2][0], pads[3][0]
    return (dx[:, :, h : h + x.shape[2], v : v + x.shape[3]],
            ref_conv2d_weight_grad(xp, g, w.shape[2:], **explicit))  # fmt: skip


@pytest.mark.parametrize("n", BATCHES)
@pytest.mark.parametrize(("label", "shape", "kwargs"), DIRECT, ids=DIRECT_IDS)
def test_forward_and_gradients_match_references(direct, label, shape, kwargs, n):
    x, w, b = conv_inputs(n, *shape[1:])
    kw = _kw(shape, kwargs)
    xt, wt, bt = (st.Tensor(a, requires_grad=True) for a in (x, w, b))
    y = conv2d(xt, wt, bt, **kw)
    np.testing.assert_allclose(y.numpy(), ref_conv2d(x, w, b, **kw), rtol=1e-10, atol=1e-12)
    g = draw(*y.shape)
    y.backward(st.Tensor(g))
    dx, dw = _grad_refs(x, w, g, kw)
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), dw, rtol=1e-10, atol=1e-11)
    assert {"forward", "input_grad", "weight_grad"} <= set(direct)


@pytest.mark.parametrize("n", [11, 53])
@pytest.mark.parametrize(("label", "shape", "kwargs"), CONFIGS[:8], ids=IDS[:8])
def test_float32_matches_float64(direct, label, shape, kwargs, n):
    x, w, b = conv_inputs(n, *shape[1:])
    kw = _kw(shape, kwargs)
    want = ref_conv2d(x, w, b, **kw)
    f32 = [st.Tensor(a.astype(np.float32), requires_grad=True) for a in (x, w, b)]
    y = conv2d(*f32, **kw)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-4, atol=1e-4)
    g = draw(*y.shape)
    y.backward(st.Tensor(g.astype(np.float32)))
    dx, dw = _grad_refs(x, w, g, kw)
    np.testing.assert_allclose(f32[0].grad.numpy(), dx, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(f32[1].grad.numpy(), dw, rtol=1e-4, atol=2e-3)


@pytest.mark.parametrize(("label", "shape", "kwargs"), [CONFIGS[2], CONFIGS[6]], ids=["s2", "g2"])
def test_gradcheck_and_gradgradcheck(direct, label, shape, kwargs):
    inputs = [st.Tensor(a, requires_grad=True) for a in conv_inputs(9, *shape[1:])]
    kw = _kw(shape, kwargs)
    assert st.gradcheck(lambda x, w, b: conv2d(x, w, b, **kw), inputs)
    assert st.gradgradcheck(lambda x, w, b: conv2d(x, w, b, **kw), inputs)


def test_every_split_across_threads_gives_the_same_result(direct, monkeypatch):
    """Rows, channels and tap rows cut into as many blocks as there are threads (3)."""
    x, w, b = conv_inputs(19, 4, 9, 8, 6, 3, 2, groups=2)
    kw = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    g = draw(*ref_conv2d(x, w, b, **kw).shape)
    monkeypatch.setattr(threads, "MIN_ELEMENTS_PER_BLOCK", 1)
    threads.set_num_threads(3)
    try:
        y = conv2d(st.Tensor(x), st.Tensor(w), st.Tensor(b), **kw).numpy()
        dx = conv2d_input_grad(st.Tensor(g), st.Tensor(w), x.shape, **kw).numpy()
        dw = conv2d_weight_grad(st.Tensor(x), st.Tensor(g), w.shape[2:], **kw).numpy()
    finally:
        threads.set_num_threads(threads.default_threads())
    np.testing.assert_allclose(y, ref_conv2d(x, w, b, **kw), rtol=1e-10)
    np.testing.assert_allclose(dx, ref_conv2d_input_grad(g, w, x.shape, **kw), rtol=1e-10)
    np.testing.assert_allclose(dw, ref_conv2d_weight_grad(x, g, w.shape[2:], **kw), rtol=1e-10)


def _geometry(n, c, hw, k, pad=0):
    return Geometry(n, c, hw, hw, k, k, ConvParams((1, 1), (pad,) * 4, (1, 1), 1))


def test_the_rule_takes_direct_loops_for_small_layers_only(compiled_loops):
    compiled_loops("conv_forward", "conv.c")
    a = np.zeros(1, np.float32)
    lenet1 = _geometry(128, 1, 28, 5, pad=2)  # 6 output channels
    assert _direct.use("forward", np, (a, a), lenet1, 6)
    assert _direct.use("weight_grad", np, (a, a), lenet1, 6)
    big = _geometry(128, 64, 8, 3, pad=1)  # ResNet-20's last stage: GEMM is faster
    assert not _direct.use("forward", np, (a, a), big, 64)
    assert not _direct.use("weight_grad", np, (a, a), big, 64)
    assert not _direct.use("input_grad", np, (a, a), big, 64)
    assert not _direct.use("forward", np, (a, a), _geometry(8, 1, 28, 5), 6)  # batch < one vector
    half = np.zeros(1, np.float16)
    assert not _direct.use("forward", np, (half, half), lenet1, 6)
    assert not _direct.use("forward", np, (a, np.zeros(1)), lenet1, 6)  # float32 with float64
    _direct.set_enabled(False)
    try:
        assert not _direct.use("forward", np, (a, a), lenet1, 6)
    finally:
        _direct.set_enabled(True)
    with pytest.raises(TypeError, match="expected a bool"):
        _direct.set_enabled(1)


def test_without_a_compiler_im2col_runs(without_compiler):
    one = np.zeros(1)
    assert not _direct.use("forward", np, (one, one), _geometry(64, 1, 8, 3), 4)
    assert fused.status("conv.c").startswith("NumPy path: no fused loops (FileNotFoundError")
    x, w, b = conv_inputs(64, 1, 8, 8, 4, 3, 3)
    y = conv2d(st.Tensor(x), st.Tensor(w), st.Tensor(b)).numpy()
    np.testing.assert_allclose(y, ref_conv2d(x, w, b), rtol=1e-10)


def _laid_out(a, layout):
    if layout == "batch-innermost":  # conv2d's own output: the direct loops read it in place
        return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    if layout == "batch-innermost-gaps":  # a crop of such an array, e.g. a slice of channels
        wide = np.ascontiguousarray(np.concatenate([a, a], axis=1).transpose(1, 2, 3, 0))
        return wide.transpose(3, 0, 1, 2)[:, : a.shape[1]]
    if layout == "flipped":  # negative strides
        return np.ascontiguousarray(a[:, :, ::-1])[:, :, ::-1]
    if layout == "nhwc":
        return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return a


@pytest.mark.parametrize("padding", [0, 1])
@pytest.mark.parametrize("layout", ["nchw", "batch-innermost", "batch-innermost-gaps",
                                    "flipped", "nhwc"])  # fmt: skip
def test_any_memory_layout_gives_the_reference_result(direct, layout, padding):
    x, w, b = conv_inputs(21, 3, 7, 6, 4, 3, 3)
    y_ref = ref_conv2d(x, w, b, padding=padding)
    g = draw(*y_ref.shape)
    xt, wt, bt = (st.Tensor(a, requires_grad=True) for a in (_laid_out(x, layout), w, b))
    y = conv2d(xt, wt, bt, padding=padding)
    y.backward(st.Tensor(_laid_out(g, layout)))
    np.testing.assert_allclose(y.numpy(), y_ref, rtol=1e-10, atol=1e-12)
    dx, dw = _grad_refs(x, w, g, dict(padding=padding))
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), dw, rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(bt.grad.numpy(), g.sum(axis=(0, 2, 3)), rtol=1e-12)


def test_mixed_dtypes_give_the_reference_result():
    """The gradient ops take operands of two dtypes; the loops want one, so im2col runs."""
    x, w = conv_inputs(24, 2, 6, 6, 3, 3, 3, bias=False)
    g = draw(24, 3, 4, 4)
    dx = conv2d_input_grad(st.Tensor(g.astype(np.float32)), st.Tensor(w), x.shape).numpy()
    dw = conv2d_weight_grad(st.Tensor(x.astype(np.float32)), st.Tensor(g), 3).numpy()
    np.testing.assert_allclose(dx, ref_conv2d_input_grad(g, w, x.shape), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dw, ref_conv2d_weight_grad(x, g, 3), rtol=1e-5, atol=1e-4)


def test_a_strided_bias_view_is_read_right(direct):
    x, w, b = conv_inputs(20, 2, 6, 6, 3, 3, 3)
    wide = np.repeat(b, 2)[::2]  # the same values, every other element of a longer array
    assert not wide.flags.c_contiguous
    y = conv2d(st.Tensor(x), st.Tensor(w), st.Tensor(wide)).numpy()
    np.testing.assert_allclose(y, ref_conv2d(x, w, b), rtol=1e-10, atol=1e-12)
