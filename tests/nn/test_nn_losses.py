"""Losses against NumPy references, every reduction, hand-computed weighted/smoothed values,
gradients, and stability at logits of +-1e4."""

import math

import numpy as np
import pytest

import steepest as st
from steepest import nn
from steepest.nn import functional as F

REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}


def np_log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def np_huber(d, delta):
    a = np.abs(d)
    return np.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta))


REGRESSION = {
    "mse": (F.mse_loss, lambda d: d * d),
    "l1": (F.l1_loss, np.abs),
    "huber": (lambda x, y, r: F.huber_loss(x, y, r, delta=0.7), lambda d: np_huber(d, 0.7)),
    "smooth_l1": (
        lambda x, y, r: F.smooth_l1_loss(x, y, r, beta=0.5),
        lambda d: np_huber(d, 0.5) / 0.5,
    ),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_match_numpy(name, reduction, rng):
    fn, ref = REGRESSION[name]
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    got = fn(st.Tensor(x), st.Tensor(y), reduction)
    np.testing.assert_allclose(got.data, REDUCE[reduction](ref(x - y)), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(REGRESSION))
def test_regression_losses_gradcheck(name, randn64):
    fn, _ = REGRESSION[name]
    x, y = randn64(3, 4), randn64(3, 4)
    st.gradcheck(lambda x, y: fn(x, y, "mean"), [x, y])


def test_smooth_l1_with_zero_beta_is_l1_and_huber_rejects_bad_delta(rng):
    x, y = st.Tensor(rng.standard_normal(5)), st.Tensor(rng.standard_normal(5))
    np.testing.assert_allclose(F.smooth_l1_loss(x, y, beta=0.0).data, F.l1_loss(x, y).data)
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(x, y, delta=0.0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll_match_numpy(reduction, rng):
    z = rng.standard_normal((6, 4))
    t = rng.integers(0, 4, 6)
    w = rng.uniform(0.5, 2.0, 4)
    picked = -np_log_softmax(z)[np.arange(6), t]
    expected = {"mean": picked.mean(), "sum": picked.sum(), "none": picked}[reduction]
    np.testing.assert_allclose(F.cross_entropy(st.Tensor(z), t, reduction=reduction).data, expected)
    logp = st.Tensor(np_log_softmax(z))
    np.testing.assert_allclose(F.nll_loss(logp, t, reduction=reduction).data, expected)
    weighted = picked * w[t]
    expected_w = {"mean": weighted.sum() / w[t].sum(), "sum": weighted.sum(), "none": weighted}
    np.testing.assert_allclose(
        F.cross_entropy(st.Tensor(z), t, weight=w, reduction=reduction).data, expected_w[reduction]
    )
    np.testing.assert_allclose(
        F.nll_loss(logp, t, weight=w, reduction=reduction).data, expected_w[reduction]
    )


def test_cross_entropy_label_smoothing_and_weights_hand_computed():
    # p = softmax(log [1, 2, 1]) = [1/4, 1/2, 1/4], label 1, smoothing e = 0.3, C = 3:
    # (1 - e)(-log 1/2) + (e / 3)(-log 1/4 - log 1/2 - log 1/4) = 0.7 ln2 + 0.1 * 5 ln2 = 1.2 ln2
    z = st.tensor(np.log([[1.0, 2.0, 1.0]]))
    t = np.array([1])
    ln2 = math.log(2)
    assert F.cross_entropy(z, t, label_smoothing=0.3).item() == pytest.approx(1.2 * ln2)
    # weights [1, 2, 3]: 0.7 * 2 ln2 + 0.1 (1 * 2ln2 + 2 * ln2 + 3 * 2ln2) = 2.4 ln2;
    # "mean" divides by w_t = 2, "sum" does not
    w = np.array([1.0, 2.0, 3.0])
    got_sum = F.cross_entropy(z, t, weight=w, label_smoothing=0.3, reduction="sum")
    assert got_sum.item() == pytest.approx(2.4 * ln2)
    got_mean = F.cross_entropy(z, t, weight=w, label_smoothing=0.3)
    assert got_mean.item() == pytest.approx(1.2 * ln2)
    # without smoothing the weighted mean over two examples is sum(w_t l) / sum(w_t)
    z2 = st.tensor(np.log([[1.0, 2.0, 1.0], [1.0, 1.0, 2.0]]))
    got = F.cross_entropy(z2, np.array([1, 2]), weight=w)
    assert got.item() == pytest.approx((2 * ln2 + 3 * ln2) / 5)


def test_cross_entropy_gradcheck_with_weights_and_smoothing(randn64, rng):
    z = randn64(5, 4)
    t = rng.integers(0, 4, 5)
    w = rng.uniform(0.5, 2.0, 4)
    st.gradcheck(lambda z: F.cross_entropy(z, t, weight=w, label_smoothing=0.2), [z])
    st.gradcheck(lambda z: F.nll_loss(z.log_softmax(axis=1), t, weight=w), [z])


def test_losses_over_sequences_and_images_move_classes_to_axis_1(rng):
    z = rng.standard_normal((2, 3, 5))  # (N, C, L)
    t = rng.integers(0, 3, (2, 5))
    flat_z = z.transpose(0, 2, 1).reshape(-1, 3)
    expected = -np_log_softmax(flat_z)[np.arange(10), t.reshape(-1)].mean()
    np.testing.assert_allclose(F.cross_entropy(st.Tensor(z), t).item(), expected)
    logp = st.Tensor(z).log_softmax(axis=1)
    np.testing.assert_allclose(F.nll_loss(logp, t).item(), expected)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_numpy(reduction, rng):
    x = rng.standard_normal((5, 3)) * 3
    y = rng.uniform(0, 1, (5, 3))
    pw = np.array([1.0, 2.0, 0.5])
    log_s, log_1ms = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    ref = -(pw * y * log_s + (1 - y) * log_1ms)
    got = F.binary_cross_entropy_with_logits(st.Tensor(x), y, pos_weight=pw, reduction=reduction)
    np.testing.assert_allclose(got.data, REDUCE[reduction](ref), rtol=1e-12)
    plain = F.binary_cross_entropy_with_logits(st.Tensor(x), y, reduction=reduction)
    np.testing.assert_allclose(plain.data, REDUCE[reduction](-(y * log_s + (1 - y) * log_1ms)))


def test_bce_with_logits_gradcheck(randn64, rng):
    x = randn64(4, 3)
    y = st.Tensor(rng.uniform(0, 1, (4, 3)))
    st.gradcheck(
        lambda x: F.binary_cross_entropy_with_logits(x, y, pos_weight=np.array([1.0, 3.0, 0.2])),
        [x],
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_div_matches_numpy_including_zero_targets(reduction, rng):
    q = np_log_softmax(rng.standard_normal((3, 4)))
    p = np.exp(np_log_softmax(rng.standard_normal((3, 4))))
    p[0, 1] = 0.0  # 0 log 0 = 0
    ref = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - q), 0.0)
    expected = ref.sum() / 3 if reduction == "batchmean" else REDUCE[reduction](ref)
    np.testing.assert_allclose(F.kl_div(st.Tensor(q), p, reduction=reduction).data, expected)
    log_p = st.Tensor(np_log_softmax(rng.standard_normal((3, 4))))
    ref_log = np.exp(log_p.data) * (log_p.data - q)
    expected = ref_log.sum() / 3 if reduction == "batchmean" else REDUCE[reduction](ref_log)
    got = F.kl_div(st.Tensor(q), log_p, reduction=reduction, log_target=True)
    np.testing.assert_allclose(got.data, expected)


def test_kl_div_gradcheck_in_input_and_target(randn64, rng):
    q = randn64(2, 3)
    p = st.Tensor(rng.uniform(0.1, 1.0, (2, 3)), requires_grad=True)
    st.gradcheck(lambda q, p: F.kl_div(q.log_softmax(), p, reduction="batchmean"), [q, p])


LOGIT_LOSSES = {
    "cross_entropy": lambda z, t: F.cross_entropy(z, t, label_smoothing=0.1),
    "cross_entropy_weighted": lambda z, t: F.cross_entropy(z, t, weight=np.array([1.0, 2.0])),
    "nll_of_log_softmax": lambda z, t: F.nll_loss(z.log_softmax(axis=1), t),
    "bce_with_logits": lambda z, t: F.binary_cross_entropy_with_logits(
        z, np.eye(2, dtype=z.dtype)[t], pos_weight=np.array([2.0, 0.5])
    ),
    "kl_div_of_log_softmax": lambda z, t: F.kl_div(
        z.log_softmax(axis=1), np.eye(2, dtype=z.dtype)[t], reduction="batchmean"
    ),
    "mse": lambda z, t: F.mse_loss(z, np.eye(2, dtype=z.dtype)[t]),
    "huber": lambda z, t: F.huber_loss(z, np.eye(2, dtype=z.dtype)[t]),
    "smooth_l1": lambda z, t: F.smooth_l1_loss(z, np.eye(2, dtype=z.dtype)[t]),
    "l1": lambda z, t: F.l1_loss(z, np.eye(2, dtype=z.dtype)[t]),
}


@pytest.mark.parametrize("name", sorted(LOGIT_LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_are_finite_at_extreme_logits(name, dtype):
    # pytest turns RuntimeWarning (overflow, log(0), 0/0) into errors: none may occur
    z = st.tensor(np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4]], dtype=dtype), requires_grad=True)
    t = np.array([1, 1, 0])
    loss = LOGIT_LOSSES[name](z, t)
    loss.backward()
    assert np.isfinite(loss.data) and np.all(np.isfinite(z.grad.data))


def test_extreme_cross_entropy_values_are_exact():
    z = st.tensor([[1e4, -1e4], [1e4, -1e4]], requires_grad=True)
    losses = F.cross_entropy(z, np.array([0, 1]), reduction="none")
    np.testing.assert_allclose(losses.data, [0.0, 2e4])
    bce = F.binary_cross_entropy_with_logits(
        st.tensor([1e4, -1e4, 1e4]), np.array([1.0, 0.0, 0.0]), reduction="none"
    )
    np.testing.assert_allclose(bce.data, [0.0, 0.0, 1e4])


def test_loss_modules_equal_functions(rng):
    z = st.Tensor(rng.standard_normal((4, 3)))
    y = st.Tensor(rng.standard_normal((4, 3)))
    t = rng.integers(0, 3, 4)
    w = np.array([1.0, 0.5, 2.0])
    pairs = [
        (nn.MSELoss(reduction="sum")(z, y), F.mse_loss(z, y, "sum")),
        (nn.L1Loss()(z, y), F.l1_loss(z, y)),
        (nn.HuberLoss(delta=0.3)(z, y), F.huber_loss(z, y, delta=0.3)),
        (nn.SmoothL1Loss(beta=0.3)(z, y), F.smooth_l1_loss(z, y, beta=0.3)),
        (
            nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(z, t),
            F.cross_entropy(z, t, weight=w, label_smoothing=0.1),
        ),
        (nn.NLLLoss(weight=w)(z, t), F.nll_loss(z, t, weight=w)),
        (
            nn.BCEWithLogitsLoss(pos_weight=w)(z, y.sigmoid()),
            F.binary_cross_entropy_with_logits(z, y.sigmoid(), pos_weight=w),
        ),
        (
            nn.KLDivLoss("batchmean")(z.log_softmax(), y.softmax()),
            F.kl_div(z.log_softmax(), y.softmax(), "batchmean"),
        ),
    ]
    for module_value, function_value in pairs:
        np.testing.assert_array_equal(module_value.data, function_value.data)
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"


def test_bad_arguments_raise_clear_errors(rng):
    x = st.Tensor(rng.standard_normal((4, 1)))
    with pytest.raises(ValueError, match=r"input \(4, 1\) and target \(4,\)"):
        F.mse_loss(x, np.zeros(4))
    with pytest.raises(ValueError, match="reduction"):
        F.l1_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="labels must lie in"):
        F.nll_loss(st.Tensor(rng.standard_normal((2, 3))), np.array([0, 3]))
    with pytest.raises(TypeError, match="integer"):
        F.nll_loss(st.Tensor(rng.standard_normal((2, 3))), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="weight needs shape"):
        F.nll_loss(st.Tensor(rng.standard_normal((2, 3))), np.array([0, 1]), weight=[1.0, 2.0])
