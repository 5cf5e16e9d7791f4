"""Optional packages: is one installed, and the one line that says what is lost without it.

``pip install steepest`` brings NumPy and safetensors (checkpoints), which the training job
needs. Plots (matplotlib), the progress bar (tqdm) and TensorBoard logs (tensorboardX) come
with extras; without them a run still trains and checkpoints, and says once what it skipped.
"""

from __future__ import annotations

import importlib.util
import sys

EXTRAS = {"matplotlib": "train", "tqdm": "train", "tensorboardX": "tensorboard"}
_told: set[str] = set()


def available(package: str) -> bool:
    """Whether ``package`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a blocked or half-installed package
        return False


def missing(package: str, consequence: str) -> None:
    """One line on stderr, once per process and package: what is skipped and how to get it."""
    if package in _told:
        return
    _told.add(package)
    extra = EXTRAS.get(package, "train")
    print(f"steepest: {package} is not installed: {consequence} "
          f"(pip install 'steepest[{extra}]')", file=sys.stderr)
