"""Built-in toy datasets: shapes, dtypes, seeding and the geometry each one promises."""

from __future__ import annotations

import numpy as np
import pytest

from steepest.datasets import blobs, moons, regression, spirals, xor

CLASSIFIERS = [spirals, moons, blobs, xor]


@pytest.mark.parametrize("make", CLASSIFIERS, ids=lambda f: f.__name__)
def test_classification_sets_are_seeded_float32_and_int64(make):
    x, y = make(101, seed=3)
    x2, y2 = make(101, seed=3)
    x3, _ = make(101, seed=4)
    assert x.shape == (101, 2) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, x3)
    assert make(0, seed=0)[0].shape == (0, 2)


def test_spirals_are_balanced_and_arms_start_at_the_origin():
    x, y = spirals(300, n_classes=3, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [100, 100, 100]
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[y == 1], np.linspace(0, 1, 100), atol=1e-6)
    with pytest.raises(ValueError):
        spirals(10, n_classes=0)


def test_moons_without_noise_lie_on_their_half_circles():
    x, y = moons(200, noise=0.0, seed=0)
    outer, inner = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, atol=1e-6)


def test_blobs_cluster_around_given_centres():
    centres = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    x, y = blobs(2000, centers=centres, cluster_std=0.5, seed=1)
    assert x.shape == (2000, 3)
    np.testing.assert_allclose(x[y == 1].mean(axis=0), centres[1], atol=0.1)
    np.testing.assert_allclose(x[y == 0].std(axis=0), 0.5, atol=0.05)
    with pytest.raises(ValueError, match="centers"):
        blobs(10, centers=np.zeros(3))


def test_xor_labels_follow_the_quadrants():
    x, y = xor(500, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (x[:, 0] > 0) ^ (x[:, 1] > 0))
    assert 0.4 < y.mean() < 0.6


@pytest.mark.parametrize("kind", ["sine", "linear"])
def test_regression_targets(kind):
    x, y = regression(300, n_features=2, noise=0.0, kind=kind, seed=5)
    assert x.shape == (300, 2) and y.shape == (300, 1) and y.dtype == np.float32
    if kind == "sine":
        np.testing.assert_allclose(y[:, 0], np.sin(x).sum(axis=1), atol=1e-5)
    else:  # exactly affine: least squares recovers it with zero residual
        design = np.hstack([x, np.ones((300, 1))]).astype(np.float64)
        _, residual, *_ = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)
        assert residual.item() < 1e-6
    noisy = regression(2000, noise=0.5, seed=5)[1] - regression(2000, noise=0.0, seed=5)[1]
    assert 0.45 < noisy.std() < 0.55
    with pytest.raises(ValueError, match="kind"):
        regression(10, kind="cubic")
