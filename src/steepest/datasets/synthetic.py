"""Small built-in datasets for tests, demos and studies: generated, seeded, instant.

Each function returns ``(x, y)``: ``x`` float32 ``(n_samples, n_features)``; ``y`` int64
class labels, or float32 ``(n_samples, 1)`` targets for ``regression``. The same
``seed`` always gives the same data.
"""

from __future__ import annotations

import numpy as np

Seed = int | np.random.Generator | None


def _rng(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _split_counts(n_samples: int, n_classes: int) -> np.ndarray:
    """Class sizes as equal as possible, summing to ``n_samples``."""
    if n_samples < 0 or n_classes < 1:
        raise ValueError(f"need n_samples >= 0 and n_classes >= 1, got {n_samples}, {n_classes}")
    counts = np.full(n_classes, n_samples // n_classes)
    counts[: n_samples % n_classes] += 1
    return counts


def spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class; not linearly separable (CS231n classic).

    >>> x, y = spirals(300, n_classes=3, seed=0)
    >>> x.shape, np.bincount(y).tolist()
    ((300, 2), [100, 100, 100])
    """
    rng = _rng(seed)
    counts = _split_counts(n_samples, n_classes)
    y = np.repeat(np.arange(n_classes), counts)
    # position along the arm in [0, 1] within each class
    t = np.concatenate([np.linspace(0.0, 1.0, c) for c in counts]) if n_samples else np.zeros(0)
    angle = t * 4.0 + y * (2 * np.pi / n_classes) + rng.normal(0.0, noise, n_samples)
    x = np.stack([t * np.sin(angle), t * np.cos(angle)], axis=1)
    return x.astype(np.float32), y.astype(np.int64)


def moons(
    n_samples: int = 200, noise: float = 0.1, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the scikit-learn ``make_moons`` layout).

    >>> x, y = moons(100, noise=0.0, seed=0)
    >>> x.shape, sorted(set(y.tolist()))
    ((100, 2), [0, 1])
    """
    rng = _rng(seed)
    n_outer, n_inner = _split_counts(n_samples, 2)
    t_outer = np.linspace(0.0, np.pi, n_outer)
    t_inner = np.linspace(0.0, np.pi, n_inner)
    x = np.concatenate(
        [
            np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1),
            np.stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)], axis=1),
        ]
    )
    x += rng.normal(0.0, noise, x.shape)
    y = np.repeat([0, 1], [n_outer, n_inner])
    return x.astype(np.float32), y.astype(np.int64)


def blobs(
    n_samples: int = 300,
    centers: int | np.ndarray = 3,
    n_features: int = 2,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters, one per class; centers random in ``center_box`` or given.

    >>> x, y = blobs(90, centers=np.array([[0.0, 0.0], [5.0, 5.0]]), seed=0)
    >>> x.shape, np.bincount(y).tolist()
    ((90, 2), [45, 45])
    """
    rng = _rng(seed)
    if isinstance(centers, int | np.integer):
        centers = rng.uniform(*center_box, size=(int(centers), n_features))
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2:
        raise ValueError(f"centers must be an int or a (k, n_features) array, got {centers.shape}")
    counts = _split_counts(n_samples, len(centers))
    y = np.repeat(np.arange(len(centers)), counts)
    x = centers[y] + rng.normal(0.0, cluster_std, (n_samples, centers.shape[1]))
    return x.astype(np.float32), y.astype(np.int64)


def xor(
    n_samples: int = 200, noise: float = 0.1, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square [-1, 1]^2, label 1 where exactly one coordinate is positive.

    Labels come from the clean points; ``noise`` then jitters the inputs.

    >>> x, y = xor(4, noise=0.0, seed=1)
    >>> bool(np.all(y == ((x[:, 0] > 0) ^ (x[:, 1] > 0))))
    True
    """
    rng = _rng(seed)
    clean = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = (clean[:, 0] > 0) ^ (clean[:, 1] > 0)
    x = clean + rng.normal(0.0, noise, clean.shape)
    return x.astype(np.float32), y.astype(np.int64)


def regression(
    n_samples: int = 200,
    n_features: int = 1,
    noise: float = 0.1,
    kind: str = "sine",
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy regression targets ``y = f(x) + noise * N(0, 1)`` with ``x`` uniform in [-3, 3].

    ``kind="sine"``: ``f(x) = sum_j sin(x_j)``; ``kind="linear"``: ``f(x) = x @ w + b``
    with ``w, b`` drawn from N(0, 1) (same seed, same function).

    >>> x, y = regression(50, kind="linear", noise=0.0, seed=0)
    >>> x.shape, y.shape
    ((50, 1), (50, 1))
    """
    rng = _rng(seed)
    x = rng.uniform(-3.0, 3.0, (n_samples, n_features))
    if kind == "sine":
        f = np.sin(x).sum(axis=1, keepdims=True)
    elif kind == "linear":
        w, b = rng.normal(size=(n_features, 1)), rng.normal()
        f = x @ w + b
    else:
        raise ValueError(f"kind must be 'sine' or 'linear', got {kind!r}")
    y = f + rng.normal(0.0, noise, f.shape)
    return x.astype(np.float32), y.astype(np.float32)
