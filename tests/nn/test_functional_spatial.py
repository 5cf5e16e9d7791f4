"""F.pad, pooling options, max_unpool2d, F.interpolate, Conv2d(padding_mode): forward against
NumPy references, gradients by gradcheck in float64 (tests/parity compares with PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
import steepest.nn.functional as F

RNG = np.random.default_rng(11)
NP_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _t(a, grad=False):
    return st.tensor(a, dtype=np.float64, requires_grad=grad)


@pytest.mark.parametrize("mode", list(NP_MODES))
def test_pad_modes_match_numpy_and_gradcheck(mode):
    x = RNG.standard_normal((2, 3, 4, 5))
    got = F.pad(_t(x), (2, 1, 3, 0), mode=mode)  # last dim (2, 1), second to last (3, 0)
    want = np.pad(x, [(0, 0), (0, 0), (3, 0), (2, 1)], mode=NP_MODES[mode])
    np.testing.assert_array_equal(got.numpy(), want)
    assert st.gradcheck(lambda a: F.pad(a, (2, 1, 3, 0), mode=mode), [_t(x, True)])


@pytest.mark.parametrize("mode", list(NP_MODES))
def test_negative_pad_crops(mode):
    x = RNG.standard_normal((1, 2, 5, 6))
    got = F.pad(_t(x), (-1, 2, 1, -2), mode=mode)
    cropped = x[:, :, :3, 1:]
    want = np.pad(cropped, [(0, 0), (0, 0), (1, 0), (0, 2)], mode=NP_MODES[mode])
    np.testing.assert_array_equal(got.numpy(), want)
    assert st.gradcheck(lambda a: F.pad(a, (-1, 2, 1, -2), mode=mode), [_t(x, True)])


def test_pad_value_and_errors():
    x = np.ones((2, 3))
    np.testing.assert_array_equal(F.pad(_t(x), (1, 0, 0, 1), value=7.0).numpy(),
                                  np.pad(x, [(0, 1), (1, 0)], constant_values=7.0))  # fmt: skip
    with pytest.raises(ValueError, match="smaller than the dimension"):
        F.pad(_t(np.ones((1, 1, 3))), (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="pairs"):
        F.pad(_t(x), (1, 2, 3))
    with pytest.raises(ValueError, match="mode"):
        F.pad(_t(x), (1, 1), mode="mirror")


def _pool_ref(x, k, s, p, ceil, reduce, count_pad=True):
    """Loop reference with PyTorch's output size rule and divisors."""
    n, c, h, w = x.shape

    def size(m):
        span = m + 2 * p - k
        out = (-(-span // s) if ceil else span // s) + 1
        return out - 1 if ceil and (out - 1) * s >= m + p else out

    ho, wo = size(h), size(w)
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            r0, c0 = i * s - p, j * s - p
            r1, c1 = min(r0 + k, h + p), min(c0 + k, w + p)  # window clipped to the padded input
            win = x[:, :, max(r0, 0) : min(r1, h), max(c0, 0) : min(c1, w)]
            if reduce == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                div = (r1 - r0) * (c1 - c0) if count_pad else win.shape[2] * win.shape[3]
                out[:, :, i, j] = win.sum(axis=(2, 3)) / div
    return out


@pytest.mark.parametrize(("k", "s", "p"), [(2, 2, 0), (3, 2, 1), (3, 3, 1), (2, 3, 0)])
def test_max_pool_ceil_mode_and_indices(k, s, p):
    x = RNG.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 10.0  # no ties
    y, idx = F.max_pool2d(_t(x), k, s, p, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), _pool_ref(x, k, s, p, True, "max"))
    flat = x.reshape(2, 3, -1)
    picked = np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), axis=2)
    np.testing.assert_array_equal(picked.reshape(y.shape), y.numpy())  # indices point at maxima
    assert idx.dtype == np.int64
    assert st.gradcheck(lambda a: F.max_pool2d(a, k, s, p, ceil_mode=True), [_t(x, True)])


@pytest.mark.parametrize("ceil", [False, True])
@pytest.mark.parametrize("count_pad", [False, True])
def test_avg_pool_ceil_mode_and_count_include_pad(ceil, count_pad):
    x = RNG.standard_normal((1, 2, 7, 6))
    got = F.avg_pool2d(_t(x), 3, 2, 1, ceil_mode=ceil, count_include_pad=count_pad)
    # atol too: a window mean near 0 has no relative precision (the draws depend on test order)
    np.testing.assert_allclose(got.numpy(), _pool_ref(x, 3, 2, 1, ceil, "avg", count_pad),
                               rtol=1e-14, atol=1e-15)  # fmt: skip
    assert st.gradcheck(
        lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=ceil, count_include_pad=count_pad),
        [_t(x, True)],
    )
    module = st.nn.AvgPool2d(3, 2, 1, ceil_mode=ceil, count_include_pad=count_pad)
    np.testing.assert_allclose(module(_t(x)).numpy(), got.numpy())


def test_avg_pool_divisor_override():
    x = RNG.standard_normal((1, 1, 4, 4))
    got = F.avg_pool2d(_t(x), 2, divisor_override=3)
    np.testing.assert_allclose(got.numpy(), _pool_ref(x, 2, 2, 0, False, "avg") * 4 / 3)


def test_max_unpool_inverts_pool_and_gradchecks():
    x = RNG.permutation(2 * 2 * 6 * 4).reshape(2, 2, 6, 4) / 7.0
    y, idx = st.nn.MaxPool2d(2, return_indices=True)(_t(x))
    back = st.nn.MaxUnpool2d(2)(y, idx)
    assert back.shape == x.shape
    keep = back.numpy() != 0
    np.testing.assert_array_equal(back.numpy()[keep], x[keep])  # maxima back in place
    assert keep.sum() == y.numpy().size
    assert st.gradcheck(lambda a: F.max_unpool2d(a, idx, 2), [_t(y.numpy(), True)])
    with pytest.raises(ValueError, match="indices"):
        F.max_unpool2d(y, idx, 2, output_size=(2, 2))


def test_interpolate_nearest_and_bilinear():
    x = RNG.standard_normal((1, 2, 3, 4))
    near = F.interpolate(_t(x), scale_factor=2)
    np.testing.assert_array_equal(near.numpy(), x.repeat(2, axis=2).repeat(2, axis=3))
    ramp = np.arange(4.0)[None, None, None, :].repeat(2, axis=2)  # (1, 1, 2, 4)
    aligned = F.interpolate(_t(ramp), size=(2, 7), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(aligned.numpy()[0, 0, 0], np.linspace(0, 3, 7), rtol=1e-14)
    half = F.interpolate(_t(ramp), scale_factor=2, mode="bilinear")  # align_corners=False
    np.testing.assert_allclose(half.numpy()[0, 0, 0], [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
    for kw in (dict(scale_factor=2), dict(size=(5, 3)), dict(size=(4, 7), align_corners=True)):
        assert st.gradcheck(lambda a, kw=kw: F.interpolate(a, mode="bilinear", **kw),
                            [_t(x, True)])  # fmt: skip
    assert st.gradcheck(lambda a: F.interpolate(a, size=(5, 3)), [_t(x, True)])
    assert st.nn.Upsample(scale_factor=2, mode="bilinear")(_t(x)).shape == (1, 2, 6, 8)
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(_t(x))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_mode_pads_then_convolves(mode):
    conv = st.nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode, dtype=np.float64,
                        generator=st.Generator(0))  # fmt: skip
    x = RNG.standard_normal((2, 2, 5, 4))
    padded = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], mode=NP_MODES[mode])
    want = st.conv2d(_t(padded), conv.weight, conv.bias).numpy()
    np.testing.assert_allclose(conv(_t(x)).numpy(), want, rtol=1e-13)
    same = st.nn.Conv2d(2, 3, (2, 3), padding="same", padding_mode=mode, dtype=np.float64)
    assert same(_t(x)).shape == (2, 3, 5, 4)
    assert f"padding_mode='{mode}'" in repr(conv)
    with pytest.raises(ValueError, match="padding_mode"):
        st.nn.Conv2d(2, 3, 3, padding_mode="mirror")
