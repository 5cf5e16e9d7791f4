"""max_pool2d, avg_pool2d, adaptive_avg_pool2d: forward vs loop references, gradients, ties."""

from __future__ import annotations

import numpy as np
import pytest
from references import draw, ref_adaptive_avg_pool2d, ref_avg_pool2d, ref_max_pool2d

import steepest as st
from steepest.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d

# (label, input shape, pooling keyword arguments)
CONFIGS = [
    ("k2", (2, 3, 6, 6), dict(kernel_size=2)),
    ("k2-cropped", (1, 2, 7, 5), dict(kernel_size=2)),  # the last row/column is not read
    ("k3-s2-pad1", (2, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1)),  # overlapping
    ("k3-s1-pad1", (1, 2, 5, 5), dict(kernel_size=3, stride=1, padding=1)),
    ("non-square", (1, 2, 6, 7), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1))),
    ("gaps", (1, 1, 9, 8), dict(kernel_size=2, stride=3)),
    ("whole-image", (2, 2, 4, 3), dict(kernel_size=(4, 3))),
]
IDS = [c[0] for c in CONFIGS]
POOLS = [(max_pool2d, ref_max_pool2d), (avg_pool2d, ref_avg_pool2d)]
POOL_IDS = ["max", "avg"]


@pytest.mark.parametrize(("pool", "ref"), POOLS, ids=POOL_IDS)
@pytest.mark.parametrize(("label", "shape", "kwargs"), CONFIGS, ids=IDS)
def test_forward_matches_reference(pool, ref, label, shape, kwargs):
    x = draw(*shape)
    got = pool(st.Tensor(x), **kwargs)
    want = ref(x, **kwargs)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("pool", "ref"), POOLS, ids=POOL_IDS)
@pytest.mark.parametrize(("label", "shape", "kwargs"), CONFIGS, ids=IDS)
def test_gradcheck(pool, ref, label, shape, kwargs):
    x = st.Tensor(draw(*shape), requires_grad=True)  # distinct values: no ties
    assert st.gradcheck(lambda a: pool(a, **kwargs), [x])


@pytest.mark.parametrize(("pool", "ref"), POOLS, ids=POOL_IDS)
def test_gradgradcheck(pool, ref):
    """The rules are linear ops with rules of their own, so the backward is differentiable."""
    x = st.Tensor(draw(1, 2, 5, 5), requires_grad=True)
    assert st.gradgradcheck(lambda a: pool(a, 3, stride=2, padding=1) ** 2, [x])


def test_max_pool_dilation_matches_reference():
    x = draw(1, 2, 7, 7)
    got = max_pool2d(st.Tensor(x), 3, stride=2, padding=1, dilation=2)
    want = ref_max_pool2d(x, 3, stride=2, padding=1, dilation=2)
    np.testing.assert_array_equal(got.numpy(), want)
    assert st.gradcheck(lambda a: max_pool2d(a, 3, 2, 1, 2), [st.Tensor(x, requires_grad=True)])


def test_tied_maxima_share_the_gradient_equally():
    x = st.Tensor(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 0.5], [0.5, 0.0]]]])
    z = st.Tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)  # as after a ReLU: all tie
    max_pool2d(z, 2).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), np.full((1, 1, 4, 4), 0.25))


def test_overlapping_windows_add_gradients():
    """An element that is the max of two windows receives both windows' gradients."""
    x = st.Tensor(np.array([[[[0.0, 5.0, 1.0]]]]), requires_grad=True)
    y = max_pool2d(x, (1, 2), stride=1)  # windows [0, 5] and [5, 1]
    (y * st.Tensor(np.array([[[[2.0, 3.0]]]]))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 5.0, 0.0]]]])


def test_avg_pool_counts_padding():
    y = avg_pool2d(st.Tensor(np.ones((1, 1, 2, 2))), 3, stride=1, padding=1)
    np.testing.assert_allclose(y.numpy(), np.full((1, 1, 2, 2), 4 / 9))


def test_max_pool_padding_is_never_the_max():
    x = -10.0 - draw(1, 1, 4, 4) ** 2  # all negative: zero padding would win
    y = max_pool2d(st.Tensor(x), 2, padding=1)
    np.testing.assert_array_equal(y.numpy(), ref_max_pool2d(x, 2, padding=1))
    assert (y.numpy() <= -10).all()


@pytest.mark.parametrize("output_size", [1, 3, (2, 4), (5, None), (None, 1), (6, 7)])
def test_adaptive_avg_pool(output_size):
    x = draw(2, 2, 5, 7)
    got = adaptive_avg_pool2d(st.Tensor(x), output_size)
    np.testing.assert_allclose(got.numpy(), ref_adaptive_avg_pool2d(x, output_size), rtol=1e-12)
    xt = st.Tensor(x, requires_grad=True)
    assert st.gradcheck(lambda a: adaptive_avg_pool2d(a, output_size), [xt])


def _batch_innermost(x):
    """x laid out (C, H, W, N) in memory, as conv2d returns it: max pooling's compiled path."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


@pytest.mark.parametrize("n", [5, 70])  # the backward loop counts maxima 64 images at a time
@pytest.mark.parametrize(("label", "shape", "kwargs"), CONFIGS, ids=IDS)
def test_max_pool_compiled_path_matches_the_numpy_path(compiled_loops, label, shape, kwargs, n):
    compiled_loops("maxpool_forward", "pool.c")
    x = np.round(draw(n, *shape[1:]) * 2) / 2  # ties in many windows
    x[0, 0, 0, 0] = np.nan  # NaN is the max of its windows and passes no gradient
    g = draw(*ref_max_pool2d(x, **kwargs).shape)
    grads = []
    for layout in (_batch_innermost, np.ascontiguousarray):  # compiled, then NumPy
        xt = st.Tensor(layout(x), requires_grad=True)
        y = max_pool2d(xt, **kwargs)
        np.testing.assert_array_equal(y.numpy(), ref_max_pool2d(x, **kwargs))
        y.backward(st.Tensor(g))
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-15)  # g / 3 vs g * (1 / 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_compiled_second_derivative(dtype):
    x = st.Tensor(_batch_innermost(draw(3, 2, 5, 5)), requires_grad=True)
    assert st.gradgradcheck(lambda a: max_pool2d(a, 3, stride=2, padding=1) ** 2, [x])
    x32 = st.Tensor(_batch_innermost(draw(17, 2, 6, 6).astype(dtype)), requires_grad=True)
    y = max_pool2d(x32, 2)
    assert y.dtype == dtype
    y.sum().backward()
    assert x32.grad.dtype == dtype and float(x32.grad.sum().item()) == pytest.approx(17 * 18)


@pytest.mark.parametrize("layout", ["channels-first", "strided-view"])
def test_any_memory_layout(layout):
    x = draw(2, 3, 6, 6)
    if layout == "channels-first":  # the layout conv2d returns
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    else:
        x = np.repeat(x, 2, axis=3)[:, :, :, ::2]
    for pool, ref in POOLS:
        xt = st.Tensor(x, requires_grad=True)
        y = pool(xt, 3, stride=2, padding=1)
        np.testing.assert_allclose(y.numpy(), ref(x, 3, stride=2, padding=1), rtol=1e-12)
        y.sum().backward()
        assert xt.grad.shape == x.shape


def test_float32_unbatched():
    x = draw(3, 6, 6).astype(np.float32)
    for pool in (max_pool2d, avg_pool2d):
        y = pool(st.Tensor(x), 2)
        assert y.shape == (3, 3, 3) and y.dtype == np.float32
    assert adaptive_avg_pool2d(st.Tensor(x), (4, 5)).dtype == np.float32


X4 = (1, 1, 4, 4)


@pytest.mark.parametrize(
    ("pool", "shape", "kwargs", "match"),
    [
        (max_pool2d, (4, 4), dict(kernel_size=2), r"max_pool2d: input must be .*\(4, 4\)"),
        (avg_pool2d, (1, 1, 3, 3), dict(kernel_size=4),
         r"avg_pool2d: kernel_size height 4 .* padded input height 3"),
        (max_pool2d, X4, dict(kernel_size=2, stride=0), r"max_pool2d: stride must be a positive"),
        (max_pool2d, X4, dict(kernel_size=0), r"kernel_size must be a positive"),
        (max_pool2d, X4, dict(kernel_size=2, padding=2), r"padding 2 must be at most half"),
        (avg_pool2d, X4, dict(kernel_size=2, padding=-1), r"padding must be a non-negative"),
        (adaptive_avg_pool2d, X4, dict(output_size=0),
         r"adaptive_avg_pool2d: output_size must be a positive"),
        (adaptive_avg_pool2d, (4, 4), dict(output_size=2), r"adaptive_avg_pool2d: input must be"),
    ],
)  # fmt: skip
def test_errors_name_the_op_and_shapes(pool, shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pool(st.Tensor(np.zeros(shape)), **kwargs)


def test_integer_input_is_rejected():
    with pytest.raises(TypeError, match="max_pool2d: input must be a float tensor, got int64"):
        max_pool2d(st.Tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)), 2)
