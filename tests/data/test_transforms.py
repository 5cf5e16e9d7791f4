"""Batch augmentation: shapes, seeding, and each transform against a per-sample reference."""

from __future__ import annotations

import numpy as np
import pytest

from steepest.data.transforms import (
    Compose,
    Cutout,
    Lambda,
    Normalize,
    RandomAffine,
    RandomCrop,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomTranslation,
    affine,
    to_float_nchw,
)

RANDOM = [
    RandomCrop(8, padding=2),
    RandomHorizontalFlip(),
    RandomTranslation(2),
    RandomAffine(degrees=20, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5),
    RandomRotation(10, interpolation="nearest"),
    RandomErasing(p=1.0),
    Cutout(3),
]


def _batch(n=16, c=3, h=8, w=8, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


def _shift_reference(img, dy, dx, fill=0.0):
    """img shifted down by dy and right by dx, vacated pixels = fill (loops: test only)."""
    out = np.full_like(img, fill)
    h, w = img.shape[-2:]
    for i in range(h):
        for j in range(w):
            si, sj = i - dy, j - dx
            if 0 <= si < h and 0 <= sj < w:
                out[..., i, j] = img[..., si, sj]
    return out


def test_to_float_nchw_converts_layout_and_range():
    gray = np.full((2, 4, 5), 255, np.uint8)
    color = np.zeros((2, 4, 5, 3), np.uint8)
    color[..., 1] = 51
    g, c = to_float_nchw(gray), to_float_nchw(color)
    assert g.shape == (2, 1, 4, 5) and g.dtype == np.float32 and g.max() == 1.0
    assert c.shape == (2, 3, 4, 5)
    np.testing.assert_allclose(c[:, 1], 0.2)
    assert c[:, 0].max() == 0
    with pytest.raises(TypeError, match="uint8"):
        to_float_nchw(np.zeros((2, 4, 4), np.float32))
    with pytest.raises(ValueError, match="shape"):
        to_float_nchw(np.zeros((4, 4), np.uint8))


@pytest.mark.parametrize("transform", RANDOM, ids=lambda t: type(t).__name__)
def test_random_transforms_keep_shape_dtype_and_are_seeded(transform):
    x = _batch()
    a = transform(x, np.random.default_rng(1))
    b = transform(x, np.random.default_rng(1))
    c = transform(x, np.random.default_rng(2))
    assert a.shape == x.shape and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.shares_memory(a, x)  # never modify the caller's batch


@pytest.mark.parametrize(
    "transform", [*RANDOM, Normalize(0.5, 0.2)], ids=lambda t: type(t).__name__
)
def test_transforms_reject_non_batches(transform):
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        transform(np.zeros((8, 8), np.float32), np.random.default_rng(0))
    with pytest.raises(ValueError, match="float batch"):
        transform(np.zeros((2, 1, 8, 8), np.uint8), np.random.default_rng(0))


def test_random_crop_matches_a_window_of_the_padded_image():
    x = _batch(n=32, c=2, h=6, w=6)
    out = RandomCrop(6, padding=2)(x, np.random.default_rng(3))
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    offsets = set()
    for i in range(len(x)):
        matches = [
            (top, left)
            for top in range(5)
            for left in range(5)
            if np.array_equal(out[i], padded[i, :, top : top + 6, left : left + 6])
        ]
        assert matches, f"sample {i} is not a crop of its padded image"
        offsets.add(matches[0])
    assert len(offsets) > 5  # offsets differ between samples
    np.testing.assert_array_equal(RandomCrop(6)(x, np.random.default_rng(0)), x)


def test_random_translation_is_an_integer_shift_within_range():
    x = _batch(n=20, c=1, h=7, w=7)
    out = RandomTranslation(2, fill=-1.0)(x, np.random.default_rng(4))
    for i in range(len(x)):
        assert any(
            np.array_equal(out[i], _shift_reference(x[i], dy, dx, -1.0))
            for dy in range(-2, 3)
            for dx in range(-2, 3)
        ), i


def test_horizontal_flip_probability_and_mirror():
    x = _batch(n=2000, c=1, h=2, w=3)
    out = RandomHorizontalFlip(p=0.5)(x, np.random.default_rng(0))
    flipped = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    kept = np.all(out == x, axis=(1, 2, 3))
    assert np.all(flipped | kept)
    assert 0.45 < flipped.mean() < 0.55
    np.testing.assert_array_equal(
        RandomHorizontalFlip(p=1.0)(x, np.random.default_rng(0)), x[..., ::-1]
    )


def test_affine_rotations_by_right_angles_match_rot90():
    x = _batch(n=3, c=2, h=5, w=5)
    n = len(x)
    zero, one = np.zeros(n), np.ones(n)
    for k in (1, 2, 3):
        for interp in ("nearest", "bilinear"):
            out = affine(x, 90.0 * k * one, (zero, zero), one, zero, interpolation=interp)
            np.testing.assert_allclose(out, np.rot90(x, k, axes=(2, 3)), atol=1e-5)


def test_affine_translation_matches_a_shift_and_identity_is_exact():
    x = _batch(n=2, c=1, h=6, w=6)
    n = len(x)
    zero, one = np.zeros(n), np.ones(n)
    out = affine(x, zero, (np.array([1.0, -2.0]), np.array([2.0, 0.0])), one, zero, fill=0.5)
    np.testing.assert_allclose(out[0], _shift_reference(x[0], 1, 2, 0.5), atol=1e-6)
    np.testing.assert_allclose(out[1], _shift_reference(x[1], -2, 0, 0.5), atol=1e-6)
    np.testing.assert_array_equal(RandomAffine()(x, np.random.default_rng(0)), x)


def test_affine_zoom_and_bilinear_interpolation():
    ramp = np.tile(np.arange(5, dtype=np.float32), (5, 1))[None, None]  # value = column
    out = affine(ramp, np.zeros(1), (np.zeros(1), np.zeros(1)), np.array([2.0]), np.zeros(1))
    # zooming x2 about the centre column 2 halves the slope: value = 2 + (col - 2) / 2
    np.testing.assert_allclose(out[0, 0, 0], [1.0, 1.5, 2.0, 2.5, 3.0], atol=1e-6)
    with pytest.raises(ValueError, match="interpolation"):
        affine(
            ramp,
            np.zeros(1),
            (np.zeros(1), np.zeros(1)),
            np.ones(1),
            np.zeros(1),
            interpolation="cubic",
        )


def test_random_rotation_preserves_the_centre_pixel():
    x = _batch(n=10, c=1, h=9, w=9)
    out = RandomRotation(30)(x, np.random.default_rng(0))
    np.testing.assert_allclose(out[:, :, 4, 4], x[:, :, 4, 4], atol=1e-5)


def test_random_erasing_writes_one_rectangle_of_plausible_area():
    x = np.ones((200, 3, 16, 16), np.float32)
    out = RandomErasing(p=1.0, scale=(0.1, 0.2), value=(0.0, 0.5, 0.25))(
        x, np.random.default_rng(0)
    )
    erased = out[:, 0] != 1.0
    area = erased.mean(axis=(1, 2))
    assert np.all(area > 0.03) and np.all(area < 0.3)
    for i in range(0, 200, 37):  # the erased region is a single rectangle
        rows, cols = np.nonzero(erased[i])
        assert erased[i, rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()
    np.testing.assert_array_equal(out[:, 1][erased], 0.5)  # per-channel value
    np.testing.assert_array_equal(RandomErasing(p=0.0)(x, np.random.default_rng(0)), x)


def test_cutout_square_is_clipped_at_the_border():
    x = np.ones((100, 1, 10, 10), np.float32)
    out = Cutout(4)(x, np.random.default_rng(0))
    zeros = (out == 0).sum(axis=(1, 2, 3))
    assert zeros.max() == 16 and zeros.min() >= 4  # 2x2 at a corner at least


def test_normalize_per_channel_and_channel_checks():
    x = _batch(n=4, c=3)
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    out = Normalize(mean, std)(x)
    expected = (x - np.array(mean)[None, :, None, None]) / np.array(std)[None, :, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="2 mean values for 3 channels"):
        Normalize([0.1, 0.2], [1.0, 1.0])(x)
    with pytest.raises(ValueError, match="positive"):
        Normalize(0.0, 0.0)


def test_compose_applies_in_order_with_one_generator():
    x = _batch(n=4)
    pipeline = Compose([RandomCrop(8, padding=1), Lambda(lambda b: b * 2), Normalize(1.0, 2.0)])
    a = pipeline(x, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    b = Normalize(1.0, 2.0)(RandomCrop(8, padding=1)(x, rng) * 2)
    np.testing.assert_allclose(a, b)
