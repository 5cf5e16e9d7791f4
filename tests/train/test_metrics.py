"""Metrics against values computed by hand, and streaming == one-shot."""

import numpy as np
import pytest

import steepest as st
from steepest.train import metrics as M

# 6 samples, 3 classes; predictions (arg-max) are [0, 1, 2, 0, 2, 1]
OUT = np.array([[3, 1, 0], [0, 2, 1], [1, 0, 2], [2, 0, 1], [0, 1, 3], [1, 3, 0]], np.float32)
Y = np.array([0, 1, 1, 2, 2, 2])
# rows: true class, columns: predicted class
CM = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 1]])
RECALL = (1 + 1 / 2 + 1 / 3) / 3
F1 = (2 / 3 + 1 / 2 + 2 * 0.5 * (1 / 3) / (0.5 + 1 / 3)) / 3


def test_accuracy_and_confusion_by_hand():
    assert M.accuracy(OUT, Y) == 0.5
    assert M.accuracy(st.Tensor(OUT), st.Tensor(Y)) == 0.5
    np.testing.assert_array_equal(M.confusion_matrix(OUT, Y), CM)
    p, r, f = M.precision_recall_f1(OUT, Y)
    assert p == pytest.approx(0.5) and r == pytest.approx(RECALL) and f == pytest.approx(F1)
    assert M.precision(OUT, Y) == pytest.approx(0.5)
    assert M.recall(OUT, Y) == pytest.approx(RECALL)
    assert M.f1_score(OUT, Y) == pytest.approx(F1)


def test_top_k_by_hand():
    # true-class ranks: 1, 1, 3, 2, 1, 3
    assert M.top_k_accuracy(OUT, Y, k=1) == 0.5
    assert M.top_k_accuracy(OUT, Y, k=2) == pytest.approx(4 / 6)
    assert M.top_k_accuracy(OUT, Y, k=3) == 1.0
    # a tie with the true class counts as a hit
    assert M.top_k_accuracy(np.array([[1.0, 1.0, 0.0]]), np.array([1]), k=1) == 1.0


def test_one_hot_targets_and_binary_scores():
    assert M.accuracy(OUT, np.eye(3)[Y]) == 0.5
    logits = np.array([-1.0, 2.0, 0.5, -0.3])
    assert M.accuracy(logits, np.array([0, 1, 0, 0])) == 0.75
    assert M.accuracy(logits[:, None], np.array([0, 1, 0, 0])) == 0.75
    probs = np.array([0.2, 0.9, 0.6, 0.4])
    assert M.accuracy(probs, np.array([0, 1, 0, 0]), threshold=0.5) == 0.75
    np.testing.assert_array_equal(M.confusion_matrix(logits, np.array([0, 1, 0, 0])),
                                  [[2, 1], [0, 1]])


def test_regression_metrics_by_hand():
    o, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0])
    assert M.mse(o, y) == pytest.approx(13 / 3)
    assert M.mae(o, y) == pytest.approx(5 / 3)
    assert M.mse(o[:, None], y) == pytest.approx(13 / 3)  # (N, 1) output vs (N,) target


def test_macro_average_skips_absent_classes():
    # class 2 never appears in targets nor predictions: averaged over classes 0 and 1 only
    out = np.array([[2.0, 0.0, -5.0], [0.0, 2.0, -5.0], [2.0, 0.0, -5.0]])
    p, r, f = M.precision_recall_f1(out, np.array([0, 1, 1]))
    assert p == pytest.approx((1 / 2 + 1) / 2)
    assert r == pytest.approx((1 + 1 / 2) / 2)
    assert f == pytest.approx((2 / 3 + 2 / 3) / 2)


@pytest.mark.parametrize("name", ["accuracy", "top2_accuracy", "precision", "recall", "f1",
                                  "confusion_matrix", "mse", "mae"])
def test_streaming_equals_one_shot(name):
    target = Y if name not in ("mse", "mae") else OUT[:, ::-1].copy()
    whole = M.get_metric(name)
    whole.update(OUT, target)
    stream = M.get_metric(name)
    for lo, hi in [(0, 1), (1, 4), (4, 6)]:
        stream.update(OUT[lo:hi], target[lo:hi])
    np.testing.assert_allclose(stream.compute(), whole.compute(), rtol=1e-12)
    copy = M.get_metric(name)
    copy.load_state_dict(stream.state_dict())
    np.testing.assert_allclose(copy.compute(), whole.compute(), rtol=1e-12)
    stream.reset()
    assert np.all(np.asarray(stream.compute()) == 0)


def test_streaming_values_by_hand():
    m = M.F1()
    m.update(OUT[:3], Y[:3])
    m.update(OUT[3:], Y[3:])
    assert m.compute() == pytest.approx(F1)
    np.testing.assert_array_equal(M.ConfusionMatrix(3).compute(), np.zeros((3, 3)))
    assert M.TopKAccuracy(2).name == "top2_accuracy"


def test_errors_are_clear():
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        M.get_metric("acuracy")
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        M.confusion_matrix(OUT, np.array([0, 1, 1, 2, 2, 3]))
    with pytest.raises(ValueError, match="does not match target"):
        M.accuracy(OUT, np.array([0, 1]))
    with pytest.raises(ValueError, match="integer labels"):
        M.accuracy(OUT, np.full(6, 0.5))
    with pytest.raises(ValueError, match="k must be a positive int"):
        M.TopKAccuracy(0)
    with pytest.raises(ValueError, match="differ in size"):
        M.mse(np.zeros(3), np.zeros(4))
