"""Each study's verdict function on synthetic results that must give each verdict it can give.

An inverted comparison (``<`` for ``>``) or a swapped branch in a study turns one of these
cases into the wrong verdict.
"""

import math

import pytest

from steepest.studies import (
    activations,
    architecture,
    augmentation,
    batch_size,
    dropout,
    epochs,
    gd_variants,
    gradients,
    init_sensitivity,
    landscape,
    learning_rate,
    regularization,
)


@pytest.mark.parametrize("losses, verdict", [
    ([0.45, 0.29, 0.18, 0.11], "holds"),         # the claimed values, within 25 %
    ([0.96, 0.37, 0.30, 0.25], "partly"),        # falls, far from the values
    ([0.45, 0.50, 0.18, 0.11], "does not hold"),  # rises once
])
def test_epochs(losses, verdict):
    assert epochs.judge(losses)[0] == verdict


def _acc(sgd, adam):
    acts = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu")
    return {**{("sgd", a): v for a, v in zip(acts, sgd, strict=True)},
            **{("adam", a): v for a, v in zip(acts, adam, strict=True)}}


@pytest.mark.parametrize("acc, verdict", [
    (_acc([0.5, 0.6, 0.7, 0.7, 0.7], [0.8, 0.85, 0.9, 0.9, 0.9]), "holds"),
    (_acc([0.5, 0.6, 0.7, 0.7, 0.7], [0.8, 0.9, 0.85, 0.9, 0.9]), "partly"),
    (_acc([0.7, 0.6, 0.5, 0.5, 0.5], [0.9, 0.85, 0.8, 0.8, 0.8]), "does not hold"),
])
def test_activations(acc, verdict):
    assert activations.judge(acc)[0] == verdict


@pytest.mark.parametrize("seconds, verdict", [
    ({"small": 1.0, "medium": 2.5, "large": 5.0}, "holds"),
    ({"small": 1.0, "medium": 3.6, "large": 35.0}, "partly"),
    ({"small": 1.0, "medium": 0.9, "large": 5.0}, "does not hold"),
])
def test_architecture(seconds, verdict):
    assert architecture.judge({**seconds, "deep": 2.0})[0] == verdict


def _speed(sgd, adam):
    return {**{("sgd", lr): v for lr, v in zip((1e-3, 1e-2, 1e-1), sgd, strict=True)},
            **{("adam", lr): v for lr, v in zip((1e-3, 1e-2, 1e-1), adam, strict=True)}}


@pytest.mark.parametrize("speed, verdict", [
    (_speed([10, 20, 30], [5, 50, None]), "holds"),  # None: never reached, the slowest
    (_speed([10, 20, 30], [84, 36, None]), "partly"),
    (_speed([None, None, None], [84, 36, None]), "does not hold"),
])
def test_learning_rate(speed, verdict):
    assert learning_rate.judge(speed) == verdict


@pytest.mark.parametrize("acc, verdict", [
    ({"none": 0.80, "L1": 0.83, "L2": 0.85, "dropout": 0.82}, "holds"),
    ({"none": 0.84, "L1": 0.83, "L2": 0.85, "dropout": 0.82}, "partly"),  # ranked, L1 < none
    ({"none": 0.90, "L1": 0.85, "L2": 0.83, "dropout": 0.82}, "does not hold"),
])
def test_regularization(acc, verdict):
    assert regularization.judge(acc)[0] == verdict


@pytest.mark.parametrize("gain, shifted, verdict", [
    (0.04, 0.10, "holds"),
    (0.01, 0.10, "partly"),   # above the noise but below +0.02
    (-0.04, 0.24, "partly"),  # worse on the test set, better on the shifted copy
    (-0.04, 0.00, "does not hold"),
])
def test_augmentation(gain, shifted, verdict):
    assert augmentation.judge(gain, shifted, noise=0.005) == verdict


@pytest.mark.parametrize("seconds, verdict", [
    ({8: 0.28, 16: 0.14, 32: 0.11}, "holds"),    # 2.5x
    ({8: 0.47, 16: 0.45, 32: 0.29}, "partly"),   # falls, by 1.6x
    ({8: 0.10, 16: 0.14, 32: 0.11}, "does not hold"),
])
def test_batch_size(seconds, verdict):
    assert batch_size.judge({**seconds, 64: 0.09})[0] == verdict


@pytest.mark.parametrize("acc, verdict", [
    ({0.0: 0.80, 0.2: 0.84, 0.5: 0.86, 0.8: 0.75}, "holds"),
    ({0.0: 0.84, 0.2: 0.84, 0.5: 0.82, 0.8: 0.76}, "partly"),  # 0.8 still the worst
    ({0.0: 0.84, 0.2: 0.84, 0.5: 0.80, 0.8: 0.85}, "does not hold"),
])
def test_dropout(acc, verdict):
    assert dropout.judge(acc) == verdict


ACC = {"stochastic GD": 0.80, "mini-batch GD": 0.85}


@pytest.mark.parametrize("drop, acc, sgd_time, verdict", [
    (0.001, ACC, 3.0, "holds"),
    (0.475, {"stochastic GD": 0.84, "mini-batch GD": 0.77}, 0.8, "partly"),  # 1 of 3 parts
    (0.475, {"stochastic GD": 0.90, "mini-batch GD": 0.85}, 0.1, "does not hold"),
])
def test_gd_variants(drop, acc, sgd_time, verdict):
    assert gd_variants.judge(drop, acc, mb_time=0.5, sgd_time=sgd_time)[0] == verdict


def _gradients(vanish, xavier_ok, rescued, clipped):
    d = 20
    ratio = {(d, "sigmoid, default init"): 1e-12 if vanish else 0.5,
             (d, "sigmoid, Xavier"): 1e-3 if xavier_ok else 1e-14,
             (d, "tanh, Xavier"): 4.0, (d, "ReLU, default init"): 1e-6, (d, "ReLU, He"): 5.0,
             (d, "ReLU, 1.5x He (exploding)"): 3.0}
    loss = {(d, "sigmoid, Xavier"): 2.30,
            (d, "sigmoid, Xavier + batch norm"): 0.5 if rescued else 2.29,
            (d, "sigmoid, default + residual"): math.nan,
            (d, "ReLU, 1.5x He (exploding)"): math.nan,
            (d, "ReLU, 1.5x He + clip norm 1"): 0.6 if clipped else 48.8}
    return ratio, loss, [d]


@pytest.mark.parametrize("case, verdict", [
    ((True, True, True, True), "holds"),
    ((True, True, False, False), "partly"),
    ((False, False, False, False), "does not hold"),
])
def test_gradients(case, verdict):
    assert gradients.judge(*_gradients(*case)) == verdict


def _schemes(good_seeds, bad):
    accs = {s: list(good_seeds) for s in ("default", "xavier", "he", "orthogonal")}
    return {**accs, "normal0.01": [bad, bad], "normal1.0": [bad, bad]}


@pytest.mark.parametrize("accs, verdict", [
    (_schemes([0.76, 0.77], bad=0.10), "holds"),      # schemes differ far more than seeds
    (_schemes([0.760, 0.762], bad=0.761), "partly"),  # seeds and schemes alike
])
def test_init_sensitivity_holds_or_partly(accs, verdict):
    assert init_sensitivity.judge(accs)[0] == verdict


@pytest.mark.parametrize("final, verdict", [
    ((0.9, 1.1), "holds"),          # GD ends in the start quadrant's minimum
    ((-0.9, 1.1), "does not hold"),  # it left the basin
])
def test_landscape(final, verdict):
    assert landscape.judge(final, start=(1.0, 1.0)) == verdict
