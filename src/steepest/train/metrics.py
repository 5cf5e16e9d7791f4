r"""Metrics: plain functions on one batch, and streaming accumulators over many batches.

Classification outputs are scores with the classes on axis 1 (``(N, C)`` or ``(N, C, d...)``,
as ``cross_entropy`` takes them); the prediction is the arg-max over that axis. A single
column of scores (``(N,)`` or ``(N, 1)``) is a binary classifier: the prediction is
``score > threshold`` (``threshold=0`` for logits, ``0.5`` for probabilities). Targets are
integer labels, or one-hot rows (read as their arg-max).

=====================  ===================================================================
accuracy               :math:`\frac{1}{N}\sum_i [\hat y_i = y_i]`
top-k accuracy         :math:`\frac{1}{N}\sum_i [\#\{c : s_{ic} > s_{i y_i}\} < k]` (ties count
                       as hits)
confusion matrix       :math:`M_{ab} = \#\{i : y_i = a, \hat y_i = b\}` (rows: truth)
precision / recall     per class :math:`M_{cc} / \sum_a M_{ac}` and :math:`M_{cc} / \sum_b M_{cb}`
F1                     per class :math:`2PR / (P + R)`; macro = mean over the classes that
                       occur in the targets or the predictions (0 where undefined)
MSE / MAE              :math:`\frac{1}{n}\sum (o - y)^2`, :math:`\frac{1}{n}\sum |o - y|`
=====================  ===================================================================

The streaming classes (``Accuracy()``, ``F1()``, ...) keep sufficient statistics (counts,
sums, the confusion matrix), so the value over an epoch is exact, not a mean of batch means.

>>> m = Accuracy()
>>> for logits, labels in batches: m.update(logits, labels)
>>> m.compute()
"""

from __future__ import annotations

import copy
import re
from typing import Any

import numpy as np

from ..backend import to_device

__all__ = [
    "F1", "MAE", "MSE", "Accuracy", "ConfusionMatrix", "Mean", "Metric", "Precision", "Recall",
    "TopKAccuracy", "accuracy", "confusion_matrix", "f1_score", "get_metric", "mae", "mse",
    "precision", "precision_recall_f1", "recall", "top_k_accuracy",
]  # fmt: skip


# ----- inputs ------------------------------------------------------------------------------
def _np(x: Any) -> np.ndarray:
    """A NumPy array from a Tensor, a CuPy array, a list or an array."""
    data = getattr(x, "data", x) if not isinstance(x, np.ndarray) else x
    if hasattr(data, "__cuda_array_interface__"):
        data = to_device(data, "cpu")
    return np.asarray(data)


def _labels(target: Any, output_shape: tuple[int, ...] | None = None) -> np.ndarray:
    t = _np(target)
    if output_shape is not None and t.shape == output_shape and len(output_shape) >= 2 \
            and output_shape[1] > 1:
        return t.argmax(axis=1)  # one-hot or soft targets
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t)) or not np.array_equal(t, np.round(t)):
            raise ValueError("classification targets must be integer labels or one-hot rows, "
                             f"got non-integer floats of shape {t.shape}")
        t = t.astype(np.int64)
    elif t.dtype.kind == "b":
        t = t.astype(np.int64)
    elif t.dtype.kind not in "iu":
        raise TypeError(f"classification targets must be integers, got dtype {t.dtype}")
    return t


def _predictions(output: Any, target: Any, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """``(predicted labels, true labels)`` with the same shape."""
    o = _np(output)
    y = _labels(target, o.shape)
    if o.ndim >= 2 and o.shape[1] > 1:
        pred = o.argmax(axis=1)
    else:
        pred = (o.reshape(y.shape) > threshold).astype(np.int64) if o.size == y.size else None
    if pred is None or pred.shape != y.shape:
        raise ValueError(f"metric: output of shape {o.shape} does not match target of shape "
                         f"{_np(target).shape} (expected (N, C) scores for (N,) labels)")
    return pred, y


def _num_classes(output: Any) -> int:
    shape = _np(output).shape
    return shape[1] if len(shape) >= 2 and shape[1] > 1 else 2


# ----- functions on one batch --------------------------------------------------------------
def accuracy(output: Any, target: Any, threshold: float = 0.0) -> float:
    """Fraction of correct predictions.

    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    """
    pred, y = _predictions(output, target, threshold)
    return float((pred == y).mean()) if y.size else 0.0


def _top_k_hits(output: Any, target: Any, k: int) -> tuple[int, int]:
    o = _np(output)
    if o.ndim < 2:
        raise ValueError(f"top_k_accuracy: output needs shape (N, C), got {o.shape}")
    if o.ndim > 2:  # (N, C, d...) -> (N*d..., C)
        o = np.moveaxis(o, 1, -1).reshape(-1, o.shape[1])
    y = _labels(target, None).reshape(-1)
    if y.shape[0] != o.shape[0]:
        raise ValueError(f"top_k_accuracy: {o.shape[0]} rows of scores for {y.shape[0]} labels")
    if y.size and (y.min() < 0 or y.max() >= o.shape[1]):
        raise ValueError(f"top_k_accuracy: labels must be in [0, {o.shape[1]}), "
                         f"got range [{y.min()}, {y.max()}]")
    own = o[np.arange(len(y)), y]
    # a hit when fewer than k classes score strictly higher than the true one
    higher = (o > own[:, None]).sum(axis=1)
    return int((higher < k).sum()), int(y.size)


def top_k_accuracy(output: Any, target: Any, k: int = 5) -> float:
    """Fraction of samples whose true class is among the ``k`` highest scores.

    >>> top_k_accuracy(np.array([[0.1, 0.5, 0.4]]), np.array([2]), k=2)
    1.0
    """
    hits, n = _top_k_hits(output, target, k)
    return hits / n if n else 0.0


def _confusion(pred: np.ndarray, y: np.ndarray, num_classes: int) -> np.ndarray:
    p, t = pred.reshape(-1), y.reshape(-1)
    for name, v in (("target", t), ("prediction", p)):
        if v.size and (v.min() < 0 or v.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} labels must be in [0, {num_classes}), "
                             f"got range [{v.min()}, {v.max()}]")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


def confusion_matrix(
    output: Any, target: Any, num_classes: int | None = None, threshold: float = 0.0
) -> np.ndarray:
    """``M[a, b]`` = number of samples of true class ``a`` predicted as ``b`` (int64).

    >>> confusion_matrix(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0, 1]))
    array([[1, 0],
           [1, 0]])
    """
    pred, y = _predictions(output, target, threshold)
    return _confusion(pred, y, num_classes or _num_classes(output))


def _prf_from_confusion(m: np.ndarray) -> tuple[float, float, float]:
    tp = np.diag(m).astype(np.float64)
    predicted, actual = m.sum(axis=0), m.sum(axis=1)
    present = (predicted + actual) > 0
    if not present.any():
        return 0.0, 0.0, 0.0
    p = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    r = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    f = np.divide(2 * p * r, p + r, out=np.zeros_like(tp), where=(p + r) > 0)
    return float(p[present].mean()), float(r[present].mean()), float(f[present].mean())


def precision_recall_f1(
    output: Any, target: Any, num_classes: int | None = None, threshold: float = 0.0
) -> tuple[float, float, float]:
    """Macro-averaged ``(precision, recall, F1)`` (see the module docstring)."""
    return _prf_from_confusion(confusion_matrix(output, target, num_classes, threshold))


def precision(output: Any, target: Any, num_classes: int | None = None) -> float:
    """Macro precision: mean over classes of ``TP / (TP + FP)``."""
    return precision_recall_f1(output, target, num_classes)[0]


def recall(output: Any, target: Any, num_classes: int | None = None) -> float:
    """Macro recall: mean over classes of ``TP / (TP + FN)``."""
    return precision_recall_f1(output, target, num_classes)[1]


def f1_score(output: Any, target: Any, num_classes: int | None = None) -> float:
    """Macro F1: mean over classes of ``2 P R / (P + R)``."""
    return precision_recall_f1(output, target, num_classes)[2]


def _errors(output: Any, target: Any) -> np.ndarray:
    o, y = _np(output), _np(target)
    if o.shape != y.shape:
        if o.size != y.size:
            raise ValueError(f"metric: output {o.shape} and target {y.shape} differ in size")
        o = o.reshape(y.shape)
    return o.astype(np.float64) - y.astype(np.float64)


def mse(output: Any, target: Any) -> float:
    """Mean squared error over all elements.

    >>> mse(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    5.0
    """
    e = _errors(output, target)
    return float((e * e).mean()) if e.size else 0.0


def mae(output: Any, target: Any) -> float:
    """Mean absolute error over all elements."""
    e = _errors(output, target)
    return float(np.abs(e).mean()) if e.size else 0.0


# ----- streaming accumulators ----------------------------------------------------------------
class Metric:
    """Accumulates over batches: ``reset()``, ``update(output, target)``, ``compute()``.

    ``state_dict()`` is JSON data, so a checkpoint taken mid-epoch resumes the epoch's value.
    ``higher_is_better`` tells EarlyStopping and ModelCheckpoint which way is better.
    """

    name = "metric"
    higher_is_better = True

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, output: Any, target: Any) -> None:
        raise NotImplementedError

    def compute(self) -> Any:
        raise NotImplementedError

    _state: tuple[str, ...] = ()  # the attributes that state_dict saves

    def state_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for k in self._state:
            if k not in state:
                raise ValueError(f"{type(self).__name__}.load_state_dict: missing {k!r}")
            setattr(self, k, state[k])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class _Ratio(Metric):
    """A count of hits over a count of samples (exact in integers)."""

    _state = ("hits", "total")

    def reset(self) -> None:
        self.hits, self.total = 0, 0

    def compute(self) -> float:
        return self.hits / self.total if self.total else 0.0


class Accuracy(_Ratio):
    """Streaming accuracy; ``threshold`` splits single-column (binary) scores."""

    name = "accuracy"

    def __init__(self, threshold: float = 0.0) -> None:
        self.threshold = threshold
        super().__init__()

    def update(self, output: Any, target: Any) -> None:
        pred, y = _predictions(output, target, self.threshold)
        self.hits += int((pred == y).sum())
        self.total += int(y.size)


class TopKAccuracy(_Ratio):
    """Streaming top-k accuracy (named ``top{k}_accuracy``)."""

    def __init__(self, k: int = 5) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"TopKAccuracy: k must be a positive int, got {k!r}")
        self.k, self.name = k, f"top{k}_accuracy"
        super().__init__()

    def update(self, output: Any, target: Any) -> None:
        hits, n = _top_k_hits(output, target, self.k)
        self.hits += hits
        self.total += n


class ConfusionMatrix(Metric):
    """Streaming confusion matrix (rows: true class); ``compute()`` returns the int64 matrix.

    ``num_classes`` defaults to the number of score columns of the first batch.
    """

    name = "confusion_matrix"
    _state = ("matrix",)

    def __init__(self, num_classes: int | None = None, threshold: float = 0.0) -> None:
        self.num_classes, self.threshold = num_classes, threshold
        super().__init__()

    def reset(self) -> None:
        self.matrix: np.ndarray | None = None
        if self.num_classes is not None:
            self.matrix = np.zeros((self.num_classes, self.num_classes), np.int64)

    def update(self, output: Any, target: Any) -> None:
        pred, y = _predictions(output, target, self.threshold)
        if self.matrix is None:
            c = _num_classes(output)
            self.matrix = np.zeros((c, c), np.int64)
        self.matrix += _confusion(pred, y, self.matrix.shape[0])

    def compute(self) -> np.ndarray:
        if self.matrix is None:
            c = self.num_classes or 0
            return np.zeros((c, c), np.int64)
        return self.matrix.copy()

    def state_dict(self) -> dict[str, Any]:
        return {"matrix": None if self.matrix is None else self.matrix.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        m = state["matrix"]
        self.matrix = None if m is None else np.array(m, dtype=np.int64)


class _FromConfusion(ConfusionMatrix):
    _index = 0

    def compute(self) -> float:  # type: ignore[override]
        return _prf_from_confusion(super().compute())[self._index]


class Precision(_FromConfusion):
    """Streaming macro precision."""

    name, _index = "precision", 0


class Recall(_FromConfusion):
    """Streaming macro recall."""

    name, _index = "recall", 1


class F1(_FromConfusion):
    """Streaming macro F1."""

    name, _index = "f1", 2


class _MeanError(Metric):
    higher_is_better = False
    _power = 2
    _state = ("sum", "count")

    def reset(self) -> None:
        self.sum, self.count = 0.0, 0

    def update(self, output: Any, target: Any) -> None:
        e = _errors(output, target)
        self.sum += float((e * e).sum() if self._power == 2 else np.abs(e).sum())
        self.count += int(e.size)

    def compute(self) -> float:
        return self.sum / self.count if self.count else 0.0


class MSE(_MeanError):
    """Streaming mean squared error."""

    name, _power = "mse", 2


class MAE(_MeanError):
    """Streaming mean absolute error."""

    name, _power = "mae", 1


class Mean(Metric):
    """Weighted running mean of scalars (the trainer's epoch loss): ``update(value, weight)``."""

    name = "mean"
    higher_is_better = False
    _state = ("sum", "count")

    def reset(self) -> None:
        self.sum, self.count = 0.0, 0

    def update(self, value: Any, weight: Any = 1) -> None:
        self.sum += float(value) * int(weight)
        self.count += int(weight)

    def compute(self) -> float:
        return self.sum / self.count if self.count else float("nan")


_NAMES: dict[str, type[Metric]] = {
    "accuracy": Accuracy, "acc": Accuracy, "precision": Precision, "recall": Recall,
    "f1": F1, "mse": MSE, "mae": MAE, "confusion_matrix": ConfusionMatrix,
}  # fmt: skip


def get_metric(spec: str | Metric) -> Metric:
    """A fresh streaming metric from a name (``"accuracy"``, ``"top5_accuracy"``, ``"f1"``,
    ``"mse"``, ...), or a reset copy of a ``Metric`` instance (so training and validation
    never share counts)."""
    if isinstance(spec, Metric):
        fresh = copy.deepcopy(spec)
        fresh.reset()
        return fresh
    if not isinstance(spec, str):
        raise TypeError(f"a metric is a name or a Metric instance, got {type(spec).__name__}")
    key = spec.lower()
    match = re.fullmatch(r"top_?(\d+)_?(accuracy|acc)", key)
    if match:
        return TopKAccuracy(int(match.group(1)))
    if key == "top_k_accuracy":
        return TopKAccuracy(5)
    if key not in _NAMES:
        known = sorted({*_NAMES, "top5_accuracy"})
        raise ValueError(f"unknown metric {spec!r}; known: {', '.join(known)}")
    return _NAMES[key]()
