"""Loss semantics PyTorch users rely on: per-position shapes, ignore_index, probability targets,
label smoothing with both, class weights, binary cross-entropy on probabilities.

References are written in NumPy from PyTorch's documented formulas; tests/parity compares the
same losses with PyTorch's own numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
import steepest.nn.functional as F

RNG = np.random.default_rng(3)


def _logp(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _ce_ref(z, t, w=None, eps=0.0, ignore=-100, reduction="mean"):
    """(N, C, d...) logits, (N, d...) labels: PyTorch's formula, position by position."""
    c = z.shape[1]
    w = np.ones(c) if w is None else w
    logp = np.moveaxis(_logp(z), 1, -1)  # (N, d..., C)
    keep = t != ignore
    safe = np.where(keep, t, 0)
    picked = np.take_along_axis(logp, safe[..., None], -1)[..., 0]
    per = (1 - eps) * w[safe] * -picked + eps / c * -(logp * w).sum(-1)
    per = per * keep
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.sum() / (w[safe] * keep).sum()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("eps", [0.0, 0.25])
def test_cross_entropy_nd_with_ignore_index(reduction, weighted, eps):
    z = RNG.standard_normal((2, 4, 3, 5))
    t = RNG.integers(0, 4, (2, 3, 5))
    t[0, 1, :4] = -100
    t[1, 2, 0] = 7  # a custom ignore_index below
    t[t == 7] = -100
    w = RNG.uniform(0.5, 2.0, 4) if weighted else None
    got = F.cross_entropy(
        st.tensor(z), t, weight=w, label_smoothing=eps, reduction=reduction, ignore_index=-100
    )
    want = _ce_ref(z, t, w, eps, -100, reduction)
    assert got.shape == np.shape(want)  # "none": (N, d1, d2), not flat
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    zt = st.tensor(z, requires_grad=True)
    weights = RNG.standard_normal(want.shape) if reduction == "none" else 1.0

    def f(x):
        return (F.cross_entropy(x, t, weight=w, label_smoothing=eps, reduction=reduction)
                * st.tensor(weights)).sum()  # fmt: skip

    assert st.gradcheck(f, [zt])
    f(zt).backward()
    grad_ignored = np.moveaxis(zt.grad.numpy(), 1, -1)[t == -100]
    assert np.all(grad_ignored == 0.0)  # ignored positions get no gradient


def test_ignore_index_mean_counts_only_kept_and_all_ignored_is_nan():
    z = np.array([[2.0, 0.0], [0.0, 2.0], [5.0, -5.0]])
    got = F.cross_entropy(st.tensor(z), np.array([0, 1, 3]), ignore_index=3).item()
    assert got == pytest.approx(np.log1p(np.exp(-2.0)), rel=1e-14)  # mean of the two kept
    assert np.isnan(F.cross_entropy(st.tensor(z), np.array([3, 3, 3]), ignore_index=3).item())
    with pytest.raises(ValueError, match="ignore_index"):
        F.cross_entropy(st.tensor(z), np.array([0, 1, 3]))  # 3 is out of range, not ignored


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets(reduction):
    z = RNG.standard_normal((3, 4, 2))
    q = RNG.dirichlet(np.ones(4), (3, 2)).transpose(0, 2, 1)
    w = RNG.uniform(0.5, 2.0, 4)
    eps = 0.1
    got = F.cross_entropy(st.tensor(z), st.tensor(q), weight=w, label_smoothing=eps,
                          reduction=reduction)  # fmt: skip
    qs = q * (1 - eps) + eps / 4
    per = -(_logp(z) * qs * w[None, :, None]).sum(1)  # (3, 2)
    want = {"none": per, "sum": per.sum(), "mean": per.mean()}[reduction]  # mean over rows
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    assert st.gradcheck(
        lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=eps, reduction="sum"),
        [st.tensor(z, requires_grad=True), st.tensor(q, requires_grad=True)],
    )


def test_unbatched_cross_entropy_and_nll():
    z = RNG.standard_normal(5)
    want = -_logp(z[None])[0, 2]
    assert F.cross_entropy(st.tensor(z), np.array(2)).item() == pytest.approx(want, rel=1e-14)
    assert F.cross_entropy(st.tensor(z), np.array(2), reduction="none").shape == ()
    assert F.nll_loss(st.tensor(_logp(z[None])[0]), np.array(2)).item() == pytest.approx(want)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_ignore_index_weights_and_shape(reduction):
    logp = _logp(RNG.standard_normal((2, 3, 4)))
    t = RNG.integers(0, 3, (2, 4))
    t[1, :2] = 9
    w = np.array([0.5, 1.0, 3.0])
    got = F.nll_loss(st.tensor(logp), t, weight=w, ignore_index=9, reduction=reduction)
    want = _ce_ref(logp, t, w, 0.0, 9, reduction)  # logp is already normalized
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    nll = st.nn.NLLLoss(weight=w, ignore_index=9, reduction=reduction)
    np.testing.assert_allclose(nll(st.tensor(logp), t).numpy(), want, rtol=1e-12)


def test_loss_modules_take_the_functional_arguments():
    z = RNG.standard_normal((4, 3))
    t = np.array([0, -1, 2, 1])
    ce = st.nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), ignore_index=-1,
                                label_smoothing=0.1)  # fmt: skip
    want = _ce_ref(z, t, np.array([1.0, 2.0, 0.5]), 0.1, -1)
    assert ce(st.tensor(z), t).item() == pytest.approx(want, rel=1e-13)


def _bce_ref(x, y, w=1.0):
    return -w * (y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))


def test_binary_cross_entropy_on_probabilities():
    x = np.array([[0.0, 0.3], [1.0, 0.9]])
    y = np.array([[1.0, 0.0], [0.25, 1.0]])
    w = np.array([2.0, 0.5])
    with np.errstate(divide="ignore"):  # the reference takes log(0) on purpose
        want = _bce_ref(x, y, w)
    got = F.binary_cross_entropy(st.tensor(x), st.tensor(y), weight=w, reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-14)  # log 0 clamped to -100
    xt = st.tensor(x, requires_grad=True)
    F.binary_cross_entropy(xt, st.tensor(y), reduction="sum").backward()
    eps = float(np.float32(1e-12))
    np.testing.assert_allclose(
        xt.grad.numpy(), (x - y) / np.maximum(x * (1 - x), eps), rtol=1e-14
    )  # finite at 0 and 1, PyTorch's rule
    inner = st.tensor(RNG.uniform(0.1, 0.9, (3, 2)), requires_grad=True)
    target = st.tensor(RNG.uniform(0, 1, (3, 2)), requires_grad=True)
    assert st.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=w), [inner, target])
    bce = st.nn.BCELoss(reduction="sum")
    assert bce(inner, target).item() == pytest.approx(
        _bce_ref(inner.numpy(), target.numpy()).sum(), rel=1e-13
    )
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.binary_cross_entropy(st.tensor([1.5]), st.tensor([1.0]))


def test_bce_with_logits_weight_and_pos_weight():
    x = RNG.standard_normal((4, 3))
    y = RNG.uniform(0, 1, (4, 3))
    w, pw = np.array([1.0, 2.0, 0.5]), np.array([3.0, 1.0, 0.2])
    s = 1 / (1 + np.exp(-x))
    want = (-w * (pw * y * np.log(s) + (1 - y) * np.log(1 - s))).mean()
    got = F.binary_cross_entropy_with_logits(st.tensor(x), st.tensor(y), w, pos_weight=pw)
    assert got.item() == pytest.approx(want, rel=1e-13)
    module = st.nn.BCEWithLogitsLoss(weight=w, pos_weight=pw)
    assert module(st.tensor(x), st.tensor(y)).item() == pytest.approx(want, rel=1e-13)
