"""Pictures of generative models as PNG files: image grids and 2-D latent scatters.

matplotlib is imported lazily with the Agg backend (no display needed).

>>> save_grid(model.sample(64).numpy(), "samples.png", image_shape=(28, 28))
>>> save_latent_scatter(mu[:, :2], labels, "latent.png")
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def tile(images: Any, image_shape: tuple[int, int] | None = None, ncols: int | None = None,
         pad: int = 1) -> np.ndarray:
    """Grayscale images (N, H, W), (N, 1, H, W) or flat (N, H*W) with ``image_shape``, laid
    out row by row in one (rows (H + pad) + pad, cols (W + pad) + pad) array; padding is 1."""
    x = np.asarray(images, dtype=np.float64)
    if image_shape is not None:
        x = x.reshape(len(x), *image_shape)
    elif x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3 or not len(x):
        raise ValueError(f"tile: expected grayscale images (N, H, W), got shape {x.shape}")
    n, h, w = x.shape
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    out = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), 0.25)  # light-gray rules
    for i in range(n):
        r, c = divmod(i, ncols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h,
            pad + c * (w + pad): pad + c * (w + pad) + w] = np.clip(x[i], 0.0, 1.0)
    return out


def save_grid(images: Any, path: str | Path, image_shape: tuple[int, int] | None = None,
              ncols: int | None = None, title: str | None = None, scale: float = 1.0) -> Path:
    """Write a grid of grayscale images in [0, 1] (black on white padding) to ``path``."""
    plt = _pyplot()
    grid = tile(images, image_shape, ncols)
    fig = plt.figure(figsize=(scale * grid.shape[1] / 40, scale * grid.shape[0] / 40 + 0.3),
                     dpi=100)
    ax = fig.add_axes((0.0, 0.0, 1.0, grid.shape[0] / (grid.shape[0] + 12)))
    ax.imshow(grid, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=9, y=0.995)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def save_pairs(inputs: Any, outputs: Any, path: str | Path,
               image_shape: tuple[int, int] | None = None, ncols: int = 16,
               title: str | None = None) -> Path:
    """Inputs and their reconstructions in alternating rows: ``ncols`` inputs, then the
    ``ncols`` outputs made from them, and so on."""
    a, b = np.asarray(inputs), np.asarray(outputs)
    if len(a) != len(b) or len(a) % ncols:
        raise ValueError(f"save_pairs: need as many outputs as inputs, a multiple of ncols="
                         f"{ncols}; got {len(a)} inputs and {len(b)} outputs")
    b = b.reshape(a.shape)
    rows = [part for k in range(0, len(a), ncols) for part in (a[k:k + ncols], b[k:k + ncols])]
    return save_grid(np.concatenate(rows), path, image_shape, ncols, title)


def save_latent_scatter(z: Any, labels: Any, path: str | Path, title: str | None = None) -> Path:
    """A scatter of 2-D codes ``z`` (N, 2) coloured by integer ``labels`` (N,)."""
    z, labels = np.asarray(z, dtype=np.float64), np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != 2 or labels.shape != (len(z),):
        raise ValueError(f"save_latent_scatter: need z (N, 2) and labels (N,), got {z.shape} "
                         f"and {labels.shape}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 5.2), dpi=110)
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=3, alpha=0.7,
                        vmin=-0.5, vmax=9.5)
    fig.colorbar(points, ax=ax, ticks=range(10), label="label")
    ax.set(xlabel="z[0]", ylabel="z[1]", title=title or "latent means")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
