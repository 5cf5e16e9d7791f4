"""conv2d and its gradient ops: forward vs a loop reference, gradients, 2nd derivatives, errors."""

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

import steepest as st
from steepest.ops.conv import conv2d, conv2d_input_grad, conv2d_weight_grad

# (label, (n, c, h, w, c_out, kh, kw, groups), conv2d keyword arguments)
CONFIGS = [
    ("plain", (2, 3, 6, 5, 4, 3, 3, 1), {}),
    ("pad1", (2, 3, 5, 5, 2, 3, 3, 1), dict(padding=1)),
    ("stride2-pad1", (2, 2, 7, 6, 3, 3, 3, 1), dict(stride=2, padding=1)),
    ("non-square", (1, 2, 6, 7, 3, 2, 3, 1), dict(stride=(2, 1), padding=(0, 1))),
    ("dilation2", (2, 2, 7, 7, 2, 3, 3, 1), dict(dilation=2, padding=1)),
    ("mixed", (1, 2, 6, 8, 2, 2, 3, 1), dict(stride=(1, 2), padding=(2, 1), dilation=(1, 2))),
    ("groups2", (2, 4, 5, 5, 6, 3, 3, 2), dict(padding=1)),
    ("depthwise", (2, 3, 5, 6, 3, 3, 3, 3), dict(padding=1)),
    ("depthwise-x2", (1, 3, 5, 5, 6, 3, 2, 3), dict(stride=2)),
    ("batch1", (1, 2, 4, 4, 2, 2, 2, 1), {}),
    ("1x1", (2, 4, 3, 3, 3, 1, 1, 1), {}),
    ("full-kernel", (2, 2, 3, 4, 2, 3, 4, 1), {}),  # output 1x1
    ("gaps", (1, 2, 8, 7, 2, 2, 2, 1), dict(stride=3)),  # rows/columns no window reads
    ("same-even", (1, 2, 5, 6, 2, 4, 2, 1), dict(padding="same")),
    ("same-dilated", (1, 2, 6, 6, 2, 3, 3, 1), dict(padding="same", dilation=2)),
    ("valid", (2, 2, 5, 5, 2, 3, 3, 1), dict(padding="valid")),
]
IDS = [c[0] for c in CONFIGS]


def _tensors(arrays, requires_grad=True):
    return [st.Tensor(a, requires_grad=requires_grad) for a in arrays]


@pytest.mark.parametrize(("label", "shape", "kwargs"), CONFIGS, ids=IDS)
def test_forward_matches_reference(label, shape, kwargs):
    x, w, b = conv_inputs(*shape)
    groups = shape[-1]
    got = conv2d(st.Tensor(x), st.Tensor(w), st.Tensor(b), groups=groups, **kwargs)
    want = ref_conv2d(x, w, b, groups=groups, **kwargs)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("label", "shape", "kwargs"), CONFIGS, ids=IDS)
def test_gradcheck_input_weight_bias(label, shape, kwargs):
    groups = shape[-1]
    inputs = _tensors(conv_inputs(*shape))
    assert st.gradcheck(lambda x, w, b: conv2d(x, w, b, groups=groups, **kwargs), inputs)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((1, 2, 4, 4, 2, 3, 3, 1), dict(padding=1)),
        ((1, 4, 5, 6, 2, 2, 3, 2), dict(stride=2, padding=(1, 0), dilation=(1, 2))),
    ],
    ids=["pad1", "stride2-groups-dilation"],
)
def test_gradgradcheck(shape, kwargs):
    groups = shape[-1]
    inputs = _tensors(conv_inputs(*shape))
    assert st.gradgradcheck(lambda x, w, b: conv2d(x, w, b, groups=groups, **kwargs), inputs)


def test_gradient_ops_are_adjoints():
    """<conv(x, W), g> = <x, input_grad(g, W)> = <W, weight_grad(x, g)>: y is bilinear."""
    x, w = conv_inputs(2, 4, 7, 6, 6, 3, 2, groups=2, bias=False)
    kw = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    y = conv2d(st.Tensor(x), st.Tensor(w), **kw)
    g = draw(*y.shape)
    dx = conv2d_input_grad(st.Tensor(g), st.Tensor(w), x.shape, **kw).numpy()
    dw = conv2d_weight_grad(st.Tensor(x), st.Tensor(g), w.shape[2:], **kw).numpy()
    assert dx.shape == x.shape and dw.shape == w.shape
    value = float((y.numpy() * g).sum())
    assert np.isclose(value, float((x * dx).sum()), rtol=1e-12)
    assert np.isclose(value, float((w * dw).sum()), rtol=1e-12)


@pytest.mark.parametrize(
    "kw", [dict(padding=1), dict(stride=2, groups=2)], ids=["pad1", "stride2-groups2"]
)
def test_gradient_ops_gradcheck(kw):
    """The gradient ops' own rules, checked directly (conv2d's gradgradcheck uses them too)."""
    x, w = conv_inputs(1, 4, 5, 5, 2, 3, 3, groups=kw.get("groups", 1), bias=False)
    g = draw(*conv2d(st.Tensor(x), st.Tensor(w), **kw).shape)
    assert st.gradcheck(lambda g_, w_: conv2d_input_grad(g_, w_, (5, 5), **kw), _tensors((g, w)))
    assert st.gradcheck(lambda x_, g_: conv2d_weight_grad(x_, g_, 3, **kw), _tensors((x, g)))


@pytest.mark.parametrize(
    ("shape", "kw"),
    [((2, 4, 7, 6, 6, 3, 2, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
     ((1, 3, 8, 7, 2, 2, 2, 1), dict(stride=3))],
    ids=["mixed", "gaps"],
)  # fmt: skip
def test_gradient_ops_match_loop_references(shape, kw):
    x, w = conv_inputs(*shape, bias=False)
    g = draw(*conv2d(st.Tensor(x), st.Tensor(w), **kw).shape)
    dx = conv2d_input_grad(st.Tensor(g), st.Tensor(w), x.shape, **kw).numpy()
    dw = conv2d_weight_grad(st.Tensor(x), st.Tensor(g), w.shape[2:], **kw).numpy()
    np.testing.assert_allclose(dx, ref_conv2d_input_grad(g, w, x.shape, **kw), rtol=1e-10)
    np.testing.assert_allclose(dw, ref_conv2d_weight_grad(x, g, w.shape[2:], **kw), rtol=1e-10)


def test_gradient_ops_check_their_shapes():
    w, g = st.Tensor(draw(2, 3, 3, 3)), st.Tensor(draw(1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"conv2d_input_grad: conv2d of an input \(1, 3, 5, 5\)"):
        conv2d_input_grad(g, w, (5, 5))  # a 5x5 input gives a 3x3 output, not 4x4
    with pytest.raises(ValueError, match=r"conv2d_weight_grad: .* gives \(1, 2, 4, 4\), but grad"):
        conv2d_weight_grad(st.Tensor(draw(1, 3, 6, 6)), st.Tensor(draw(1, 2, 3, 3)), 3)
    with pytest.raises(ValueError, match=r"does not fit 4 input channels"):
        conv2d_weight_grad(st.Tensor(draw(1, 4, 6, 6)), st.Tensor(draw(1, 3, 4, 4)), 3, groups=2)


def test_hessian_vector_product_matches_finite_differences():
    x, w = conv_inputs(1, 2, 5, 5, 2, 3, 3, bias=False)

    def f(w_):
        return (conv2d(st.Tensor(x), w_, padding=1).tanh() ** 2).sum()

    v = draw(*w.shape)
    _, (hv,) = st.autograd.hvp(f, [st.Tensor(w)], [st.Tensor(v)])
    eps = 1e-5

    def grad_at(a):
        t = st.Tensor(a, requires_grad=True)
        f(t).backward()
        return t.grad.numpy()

    numeric = (grad_at(w + eps * v) - grad_at(w - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("layout", "padding"),
    [("nchw", 1), ("channels-first", 1), ("strided-view", 1), ("nhwc", 1),
     ("batch-innermost", 1), ("batch-innermost", 0), ("nchw", 0)],
)  # fmt: skip
def test_any_memory_layout_gives_the_same_result(layout, padding):
    x, w, b = conv_inputs(2, 3, 6, 6, 4, 3, 3)
    side = 6 + 2 * padding - 2
    g = draw(2, 4, side, side)
    if layout == "batch-innermost":  # conv2d's own output layout: no copy of x at all
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        g = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    elif layout == "channels-first":
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
        g = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    elif layout == "strided-view":
        x = np.repeat(x, 2, axis=3)[:, :, :, ::2]
        g = np.repeat(g, 2, axis=2)[:, :, ::2]
    elif layout == "nhwc":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        g = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    xt, wt, bt = _tensors((x, w, b))
    y = conv2d(xt, wt, bt, padding=padding)
    y.backward(st.Tensor(g))
    want = ref_conv2d(x, w, b, padding=padding)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-10, atol=1e-12)
    dx = conv2d_input_grad(g.copy(), w, (6, 6), padding=padding).numpy()
    dw = conv2d_weight_grad(x.copy(), g.copy(), 3, padding=padding).numpy()
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), dw, rtol=1e-12)
    np.testing.assert_allclose(bt.grad.numpy(), g.sum(axis=(0, 2, 3)))


def test_results_do_not_alias_the_scratch_buffer():
    """im2col reuses one buffer between calls: no result may point into it."""
    x1, w1 = conv_inputs(2, 3, 8, 8, 4, 3, 3, bias=False)
    x2, w2 = conv_inputs(3, 2, 9, 9, 5, 2, 2, bias=False)
    y1 = conv2d(st.Tensor(x1), st.Tensor(w1), padding=1)
    kept = y1.numpy().copy()
    conv2d(st.Tensor(x2), st.Tensor(w2))  # a second conv of another size overwrites the scratch
    np.testing.assert_array_equal(y1.numpy(), kept)


def test_float32_stays_float32_and_matches_float64():
    x, w, b = conv_inputs(2, 3, 6, 6, 4, 3, 3)
    y32 = conv2d(*(st.Tensor(a.astype(np.float32)) for a in (x, w, b)), padding=1)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), ref_conv2d(x, w, b, padding=1), rtol=1e-4, atol=1e-4)


def test_unbatched_input_and_empty_batch():
    x, w, b = conv_inputs(1, 3, 5, 5, 2, 3, 3)
    y = conv2d(st.Tensor(x[0]), st.Tensor(w), st.Tensor(b), padding=1)
    assert y.shape == (2, 5, 5)
    np.testing.assert_allclose(y.numpy(), ref_conv2d(x, w, b, padding=1)[0], rtol=1e-10)
    xe = st.Tensor(np.zeros((0, 3, 5, 5)), requires_grad=True)
    ye = conv2d(xe, st.Tensor(w, requires_grad=True), padding=1)
    assert ye.shape == (0, 2, 5, 5)
    ye.sum().backward()
    assert xe.grad.shape == (0, 3, 5, 5)


X5, W3 = (1, 3, 5, 5), (2, 3, 3, 3)  # an input and a weight that fit each other


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kwargs", "error", "match"),
    [
        ((3, 5), W3, {}, ValueError, r"conv2d: input must be \(N, C, H, W\).*\(3, 5\)"),
        (X5, (2, 3, 3), {}, ValueError, r"conv2d: weight must be .*\(2, 3, 3\)"),
        (X5, (2, 2, 3, 3), {}, ValueError, r"conv2d: input \(1, 3, 5, 5\) has 3 channels"),
        (X5, (2, 1, 3, 3), dict(groups=2), ValueError, r"groups=2 must divide .*3"),
        ((1, 4, 5, 5), (3, 2, 3, 3), dict(groups=2), ValueError, r"groups=2 must divide .*\(3, 2"),
        ((1, 3, 4, 4), (2, 3, 5, 5), {}, ValueError, r"kernel height 5 .* padded input height 4"),
        ((1, 3, 4, 4), W3, dict(dilation=2), ValueError, r"dilation 2: span 5"),
        (X5, W3, dict(stride=0), ValueError, r"conv2d: stride must be a positive"),
        (X5, W3, dict(stride=(1, -1)), ValueError, r"stride must be a positive"),
        (X5, W3, dict(padding=-1), ValueError, r"padding must be a non-negative"),
        (X5, W3, dict(padding="full"), ValueError, r"'same' or 'valid'"),
        (X5, W3, dict(padding="same", stride=2), ValueError, r"needs stride 1"),
        (X5, W3, dict(groups=0), ValueError, r"groups must be a positive"),
        (X5, W3, dict(stride=1.5), ValueError, r"stride must be a positive int .* got 1.5"),
        (X5, W3, dict(padding=(1, 1, 1)), ValueError, r"padding must be .* got \(1, 1, 1\)"),
    ],
)
def test_errors_name_the_op_and_shapes(x_shape, w_shape, kwargs, error, match):
    with pytest.raises(error, match=match):
        conv2d(st.Tensor(np.zeros(x_shape)), st.Tensor(np.zeros(w_shape)), **kwargs)


def test_numpy_integers_are_accepted():
    x, w = conv_inputs(1, 2, 5, 5, 2, 3, 3, bias=False)
    got = conv2d(st.Tensor(x), st.Tensor(w), stride=np.int64(2), padding=(np.int32(1), 0))
    np.testing.assert_allclose(got.numpy(), ref_conv2d(x, w, stride=2, padding=(1, 0)), rtol=1e-12)


def test_bias_and_dtype_errors():
    x, w = st.Tensor(np.zeros((1, 3, 5, 5))), st.Tensor(np.zeros((2, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\) .* got \(3,\)"):
        conv2d(x, w, st.Tensor(np.zeros(3)))
    with pytest.raises(TypeError, match=r"share one float dtype, got weight float32"):
        conv2d(x, w.float())


def test_layout_is_kept_through_a_conv_relu_pool_chain():
    """A performance contract, not semantics: conv2d returns batch-innermost (C, H, W, N)
    memory, pooling and ReLU keep it, and gradients come back in it, so no op in a CNN
    pays for a transposing copy."""
    from steepest.ops._im2col import batch_innermost
    from steepest.ops.pool import max_pool2d

    x = st.Tensor(draw(4, 3, 8, 8), requires_grad=True)
    w1, w2 = (st.Tensor(draw(5, c, 3, 3), requires_grad=True) for c in (3, 5))
    h = max_pool2d(st.relu(conv2d(x, w1, padding=1)), 2)
    y = conv2d(h, w2, padding=1)
    assert batch_innermost(h.data) and batch_innermost(y.data)
    dh, dx, dw1 = st.grad((y * y).sum(), [h, x, w1])  # (.grad would hold a C-order copy)
    assert batch_innermost(dh.data) and batch_innermost(dx.data)
    assert dw1.data.flags.c_contiguous  # parameters' gradients: plain C order


def test_flattening_a_batch_innermost_output_copies_it_to_c_order():
    """Reshape copies a conv's (C, H, W, N)-ordered output channel by channel (c_order)."""
    x = np.ascontiguousarray(draw(33, 8, 13, 11).transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    assert x.size > 1 << 15 and not x.flags.c_contiguous
    xt = st.Tensor(x, requires_grad=True)
    y = xt.reshape(33, -1)
    np.testing.assert_array_equal(y.numpy(), np.ascontiguousarray(x).reshape(33, -1))
    y.backward(st.Tensor(np.arange(y.numel(), dtype=np.float64).reshape(y.shape)))
    np.testing.assert_array_equal(xt.grad.numpy().ravel(), np.arange(x.size))


def test_dropout_mask_does_not_depend_on_the_memory_layout():
    """A conv's (C, H, W, N)-ordered output gets the mask its C-ordered copy gets, same seed."""
    x = draw(9, 40, 12, 11)
    inner = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    y1 = st.dropout(st.Tensor(x), 0.3, generator=st.Generator(5)).numpy()
    y2 = st.dropout(st.Tensor(inner), 0.3, generator=st.Generator(5)).numpy()
    np.testing.assert_array_equal(y1, y2)
    assert 0.6 < (y1 != 0).mean() < 0.8
