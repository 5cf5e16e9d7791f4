"""The range test's smoothing and suggestion on curves with a known answer."""

import numpy as np

from steepest.cli.lr_find import smooth, suggest


def test_centered_smoothing_has_no_lag():
    line = np.linspace(3.0, 1.0, 101)  # a centered average leaves a straight line unchanged
    np.testing.assert_allclose(smooth(line), line, atol=1e-12)
    noisy = line + np.random.default_rng(0).normal(0, 0.1, line.size)
    assert np.abs(smooth(noisy) - line).mean() < np.abs(noisy - line).mean() / 2


def test_suggestion_is_the_steepest_descent_before_the_minimum():
    lrs = np.logspace(-7, 1, 200)
    x = np.log10(lrs)
    # falls fastest at lr = 1e-3, bottoms out near 1e-1, then explodes
    loss = 2.3 - 1.5 / (1 + np.exp(-3 * (x + 3))) + np.where(x > -1, 20 * (x + 1) ** 2, 0)
    best = suggest(lrs, smooth(loss))
    assert 10**-3.3 < best < 10**-2.7


def test_a_spike_next_to_the_cliff_does_not_win():
    lrs = np.logspace(-7, 1, 200)
    x = np.log10(lrs)
    loss = 2.3 - 1.0 / (1 + np.exp(-3 * (x + 2))) + np.where(x > 0.5, 20 * (x - 0.5) ** 2, 0)
    loss[(x > -0.4) & (x < -0.25)] += 0.6  # a bump, then a steep recovery before the minimum
    # (slopes between neighbours would pick the recovery, near lr 0.75)
    best = suggest(lrs, smooth(loss))
    assert 10**-2.5 < best < 10**-1.5


def test_no_suggestion_when_the_loss_never_falls():
    lrs = np.logspace(-7, 1, 50)
    assert suggest(lrs, smooth(np.linspace(1.0, 5.0, 50))) is None
    assert suggest(lrs[:5], np.ones(5)) is None
