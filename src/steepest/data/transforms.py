"""Batch augmentation: vectorized over the batch, seeded, on float ``(N, C, H, W)`` arrays.

Every transform is a callable ``t(x, rng) -> x`` that draws its randomness from the
NumPy ``Generator`` it is given (the ``DataLoader`` passes one per batch), so results
are reproducible. No transform loops over samples in Python: per-sample parameters
are drawn as arrays and applied with broadcasting, index maps and fancy indexing.
Augment the training split only; evaluate on unmodified data.

>>> augment = Compose([RandomCrop(28, padding=2), RandomHorizontalFlip(), Normalize(0.13, 0.31)])
>>> x = to_float_nchw(np.zeros((64, 28, 28), np.uint8))  # (64, 1, 28, 28) in [0, 1]
>>> augment(x, np.random.default_rng(0)).shape
(64, 1, 28, 28)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Pair = tuple[float, float]


def to_float_nchw(images: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
    """uint8 images ``(N, H, W)`` or ``(N, H, W, C)`` to float ``(N, C, H, W)`` in [0, 1].

    >>> to_float_nchw(np.full((2, 4, 4, 3), 255, np.uint8)).shape
    (2, 3, 4, 4)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"to_float_nchw expects uint8 images, got {images.dtype}")
    if images.ndim == 3:
        images = images[:, None]
    elif images.ndim == 4:
        images = images.transpose(0, 3, 1, 2)
    else:
        raise ValueError(f"expected (N, H, W) or (N, H, W, C) images, got shape {images.shape}")
    out = np.ascontiguousarray(images, dtype=dtype)
    out *= np.asarray(1.0 / 255.0, dtype=dtype)
    return out


def _check(x: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(x, np.ndarray) or x.ndim != 4 or not np.issubdtype(x.dtype, np.floating):
        desc = f"{x.dtype} array of shape {x.shape}" if isinstance(x, np.ndarray) else type(x)
        raise ValueError(f"{name} expects a float batch (N, C, H, W), got {desc}")
    return x


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, int | np.integer):
        return int(value), int(value)
    a, b = value
    return int(a), int(b)


class Compose:
    """Apply transforms in order, sharing one generator.

    >>> t = Compose([RandomHorizontalFlip(), Normalize(0.5, 0.5)])
    >>> t(np.zeros((2, 1, 4, 4), np.float32), np.random.default_rng(0)).min()
    np.float32(-1.0)
    """

    def __init__(self, transforms: Sequence[Callable[[np.ndarray, np.random.Generator], Any]]):
        self.transforms = list(transforms)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for t in self.transforms:
            x = t(x, rng)
        return x

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


class Lambda:
    """Wrap a deterministic function ``fn(x)`` as a transform (the generator is ignored).

    >>> Lambda(lambda x: x * 2)(np.ones((1, 1, 1, 1)), np.random.default_rng()).item()
    2.0
    """

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        self.fn = fn

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.fn(x)


class Normalize:
    """``(x - mean) / std`` per channel (scalars apply to every channel).

    >>> Normalize([0.5], [0.25])(np.ones((1, 1, 2, 2), np.float32), None)[0, 0, 0, 0]
    np.float32(2.0)
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if np.any(self.std <= 0):
            raise ValueError(f"std must be positive, got {self.std}")

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        x = _check(x, "Normalize")
        channels = x.shape[1]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if v.size not in (1, channels):
                raise ValueError(f"Normalize has {v.size} {name} values for {channels} channels")
        mean = self.mean.astype(x.dtype).reshape(1, -1, 1, 1)
        std = self.std.astype(x.dtype).reshape(1, -1, 1, 1)
        return (x - mean) / std


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p``.

    >>> x = np.arange(4, dtype=np.float32).reshape(1, 1, 1, 4)
    >>> RandomHorizontalFlip(p=1.0)(x, np.random.default_rng(0)).ravel().tolist()
    [3.0, 2.0, 1.0, 0.0]
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _check(x, "RandomHorizontalFlip")
        flip = rng.random(len(x)) < self.p
        return np.where(flip[:, None, None, None], x[..., ::-1], x)


def _random_crop(
    x: np.ndarray, size: tuple[int, int], padding: int, fill: float, rng: np.random.Generator
) -> np.ndarray:
    """Pad by ``padding`` then cut a ``size`` window at a random place in each image."""
    if padding:
        x = np.pad(
            x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=fill
        )
    n, _, h, w = x.shape
    th, tw = size
    if th > h or tw > w:
        raise ValueError(f"crop size {size} is larger than the padded image {(h, w)}")
    top = rng.integers(0, h - th + 1, n)
    left = rng.integers(0, w - tw + 1, n)
    windows = sliding_window_view(x, (th, tw), axis=(2, 3))  # (N, C, h-th+1, w-tw+1, th, tw)
    return windows[np.arange(n), :, top, left]  # advanced dims first: (N, C, th, tw)


class RandomCrop:
    """Zero-pad (or ``fill``-pad) each side by ``padding``, then crop ``size`` at random.

    The CIFAR recipe is ``RandomCrop(32, padding=4)``.

    >>> RandomCrop(28, padding=4)(np.ones((8, 1, 28, 28), np.float32),
    ...                           np.random.default_rng(0)).shape
    (8, 1, 28, 28)
    """

    def __init__(self, size: int | Sequence[int], padding: int = 0, fill: float = 0.0) -> None:
        self.size = _pair(size)
        self.padding = int(padding)
        self.fill = fill

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return _random_crop(_check(x, "RandomCrop"), self.size, self.padding, self.fill, rng)


class RandomTranslation:
    """Shift each image by a random whole number of pixels, up to ``max_shift`` each way.

    ``max_shift`` is pixels (int) or a fraction of the image size (float < 1); vacated
    pixels get ``fill``. Same as padding by the shift and cropping back to size.

    >>> RandomTranslation(0.1)(np.ones((4, 3, 32, 32), np.float32),
    ...                        np.random.default_rng(0)).shape
    (4, 3, 32, 32)
    """

    def __init__(self, max_shift: int | float, fill: float = 0.0) -> None:
        self.max_shift = max_shift
        self.fill = fill

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _check(x, "RandomTranslation")
        h, w = x.shape[2:]
        shift = self.max_shift
        pixels = round(shift * max(h, w)) if isinstance(shift, float) else int(shift)
        return _random_crop(x, (h, w), pixels, self.fill, rng)


def _sample(
    x: np.ndarray, src_y: np.ndarray, src_x: np.ndarray, fill: float, interpolation: str
) -> np.ndarray:
    """Read ``x[n, :, src_y, src_x]`` at real coordinates ``(N, H, W)``; outside is ``fill``."""
    n, _, h, w = x.shape
    batch = np.arange(n)[:, None, None]
    if interpolation == "nearest":
        iy, ix = np.rint(src_y).astype(np.int64), np.rint(src_x).astype(np.int64)
        inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
        values = x[batch, :, np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]  # (N, H, W, C)
        out = np.where(inside[..., None], values, np.asarray(fill, x.dtype))
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))
    if interpolation != "bilinear":
        raise ValueError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    y0, x0 = np.floor(src_y), np.floor(src_x)
    wy, wx = (src_y - y0).astype(x.dtype), (src_x - x0).astype(x.dtype)
    y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
    out = np.zeros((n, *src_y.shape[1:], x.shape[1]), dtype=x.dtype)
    for dy, dx, weight in (
        (0, 0, (1 - wy) * (1 - wx)),
        (0, 1, (1 - wy) * wx),
        (1, 0, wy * (1 - wx)),
        (1, 1, wy * wx),
    ):  # the 4 corners, not samples
        iy, ix = y0 + dy, x0 + dx
        inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
        values = x[batch, :, np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        values = np.where(inside[..., None], values, np.asarray(fill, x.dtype))
        out += weight[..., None] * values
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


class RandomAffine:
    """Random rotation, translation, scaling and shear about the image centre.

    Per image: angle ~ U(-degrees, degrees); shift ~ U(-t, t) * size for
    ``translate=(ty, tx)`` fractions; zoom ~ U(scale); shear angle ~ U(-shear, shear)
    degrees along x. Each output pixel p is read from the input at
    ``A^-1 (p - c - t) + c`` (inverse mapping, so no holes), with bilinear or nearest
    interpolation; points that fall outside the input get ``fill``.

    >>> aug = RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1))
    >>> aug(np.ones((4, 1, 28, 28), np.float32), np.random.default_rng(0)).shape
    (4, 1, 28, 28)
    """

    def __init__(
        self,
        degrees: float = 0.0,
        translate: Pair | None = None,
        scale: Pair | None = None,
        shear: float = 0.0,
        fill: float = 0.0,
        interpolation: str = "bilinear",
    ) -> None:
        self.degrees = float(degrees)
        self.translate = translate
        self.scale = scale
        self.shear = float(shear)
        self.fill = fill
        self.interpolation = interpolation

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _check(x, type(self).__name__)
        n, _, h, w = x.shape
        angle = rng.uniform(-self.degrees, self.degrees, n)
        shear = rng.uniform(-self.shear, self.shear, n)
        zoom = rng.uniform(*self.scale, n) if self.scale else np.ones(n)
        if self.translate:
            ty = rng.uniform(-self.translate[0], self.translate[0], n) * h
            tx = rng.uniform(-self.translate[1], self.translate[1], n) * w
        else:
            ty = tx = np.zeros(n)
        return affine(x, angle, (ty, tx), zoom, shear, self.fill, self.interpolation)


def affine(
    x: np.ndarray,
    angle: np.ndarray,
    translate: tuple[np.ndarray, np.ndarray],
    zoom: np.ndarray,
    shear: np.ndarray,
    fill: float = 0.0,
    interpolation: str = "bilinear",
) -> np.ndarray:
    """Apply a per-image affine map (angles in degrees, counter-clockwise; shift in pixels).

    The forward map on pixel coordinates p = (col, row) about the centre c is
    ``p' = zoom * R(angle) Shear_x(shear) (p - c) + c + t``; each output pixel is read
    from the input at the inverse image of its position.

    >>> x, zero, one = np.arange(9.0).reshape(1, 1, 3, 3), np.zeros(1), np.ones(1)
    >>> affine(x, 90 * one, (zero, zero), one, zero, interpolation="nearest")[0, 0].tolist()
    [[2.0, 5.0, 8.0], [1.0, 4.0, 7.0], [0.0, 3.0, 6.0]]
    """
    x = _check(x, "affine")
    h, w = x.shape[2:]
    # image rows grow downwards, so a counter-clockwise turn on screen is -angle in (col, row)
    theta, sh = -np.deg2rad(angle), np.deg2rad(shear)
    ty, tx = translate
    cos, sin, tan = np.cos(theta), np.sin(theta), np.tan(sh)
    a00, a01 = cos, cos * tan - sin
    a10, a11 = sin, sin * tan + cos
    det = (a00 * a11 - a01 * a10) * zoom
    i00, i01, i10, i11 = a11 / det, -a01 / det, -a10 / det, a00 / det  # (zoom * A)^-1
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    dy = rows[None] - cy - np.asarray(ty, np.float64)[:, None, None]
    dx = cols[None] - cx - np.asarray(tx, np.float64)[:, None, None]
    src_x = i00[:, None, None] * dx + i01[:, None, None] * dy + cx
    src_y = i10[:, None, None] * dx + i11[:, None, None] * dy + cy
    return _sample(x, src_y, src_x, fill, interpolation)


class RandomRotation(RandomAffine):
    """Rotate each image by an angle drawn from U(-degrees, degrees) about its centre.

    >>> RandomRotation(15)(np.ones((2, 1, 28, 28), np.float32),
    ...                    np.random.default_rng(0)).shape
    (2, 1, 28, 28)
    """

    def __init__(self, degrees: float, fill: float = 0.0, interpolation: str = "bilinear"):
        super().__init__(degrees=degrees, fill=fill, interpolation=interpolation)


def _box_mask(
    shape: tuple[int, int], top: np.ndarray, left: np.ndarray, height: np.ndarray, width: np.ndarray
) -> np.ndarray:
    """Boolean ``(N, 1, H, W)``: True inside each sample's rectangle."""
    h, w = shape
    rows = np.arange(h)[None, :, None]
    cols = np.arange(w)[None, None, :]
    inside = (
        (rows >= top[:, None, None])
        & (rows < (top + height)[:, None, None])
        & (cols >= left[:, None, None])
        & (cols < (left + width)[:, None, None])
    )
    return inside[:, None]


class RandomErasing:
    """With probability ``p``, overwrite a random rectangle of each image with ``value``.

    Area is a fraction ~ U(scale) of the image and aspect ratio log-uniform in
    ``ratio`` (Zhong et al., 2017). ``value`` is a scalar or one value per channel.

    >>> out = RandomErasing(p=1.0)(np.ones((4, 3, 32, 32), np.float32), np.random.default_rng(0))
    >>> bool((out == 0).any())
    True
    """

    def __init__(
        self,
        p: float = 0.5,
        scale: Pair = (0.02, 0.33),
        ratio: Pair = (0.3, 3.3),
        value: float | Sequence[float] = 0.0,
    ) -> None:
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _check(x, "RandomErasing")
        n, _, h, w = x.shape
        area = rng.uniform(*self.scale, n) * h * w
        aspect = np.exp(rng.uniform(np.log(self.ratio[0]), np.log(self.ratio[1]), n))
        eh = np.clip(np.rint(np.sqrt(area * aspect)), 1, h).astype(np.int64)
        ew = np.clip(np.rint(np.sqrt(area / aspect)), 1, w).astype(np.int64)
        top = (rng.random(n) * (h - eh + 1)).astype(np.int64)
        left = (rng.random(n) * (w - ew + 1)).astype(np.int64)
        apply = rng.random(n) < self.p
        mask = _box_mask((h, w), top, left, eh, ew) & apply[:, None, None, None]
        value = np.asarray(self.value, dtype=x.dtype).reshape(1, -1, 1, 1)
        return np.where(mask, value, x)


class Cutout:
    """Zero (or ``value``) a ``size`` x ``size`` square centred at a random pixel, clipped at
    the border (DeVries & Taylor, 2017); applied with probability ``p``.

    >>> out = Cutout(8)(np.ones((2, 3, 32, 32), np.float32), np.random.default_rng(0))
    >>> int((out[0, 0] == 0).sum()) <= 64
    True
    """

    def __init__(self, size: int, p: float = 1.0, value: float = 0.0) -> None:
        self.size = int(size)
        self.p = p
        self.value = value

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _check(x, "Cutout")
        n, _, h, w = x.shape
        cy, cx = rng.integers(0, h, n), rng.integers(0, w, n)
        top, left = cy - self.size // 2, cx - self.size // 2
        apply = rng.random(n) < self.p
        full = np.full(n, self.size)
        mask = _box_mask((h, w), top, left, full, full) & apply[:, None, None, None]
        return np.where(mask, np.asarray(self.value, x.dtype), x)
