"""``steepest summary`` (a model's layers, shapes and parameters) and ``steepest datasets``
(what is cached on this machine and, with ``--check``, which download sources answer)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .data import NAMES, REAL, SYNTHETIC, describe
from .errors import UsageError


def summary_command(cfg: TrainConfig, dataset_given: bool, batch: int,
                    graph: Path | None = None) -> int:  # fmt: skip
    from .. import models, nn, tensor
    from .build import build_model

    cfg.validate()
    if graph is not None:
        _check_graph_path(graph)
    try:
        spec = models.spec(cfg.model)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if dataset_given:
        data = describe(cfg.dataset, vocab_size=cfg.vocab_size, maxlen=cfg.maxlen)
    else:  # the model's own default input: MNIST-sized images, 32x32 RGB, or 200 tokens
        data = describe({"image": "mnist", "features": "mnist", "tokens": "imdb"}[spec.inputs]
                        if spec.default_input != (3, 32, 32) else "cifar10",
                        vocab_size=cfg.vocab_size, maxlen=cfg.maxlen)
    model = build_model(cfg, data)
    if data.kind == "tokens":
        example = tensor(np.ones((batch, *data.input_shape), dtype=np.int64))
    else:
        example = (batch, *data.input_shape)
    print(f"{cfg.model} for {data.name}: input {list(data.input_shape)}, "
          f"{data.num_classes} classes")
    print(nn.summary(model, example))
    if graph is not None:
        write_graph(model, example, graph)
        print(f"graph: {graph}")
    return 0


GRAPH_FORMATS = ("svg", "png", "pdf", "dot", "gv")


def _check_graph_path(path: Path) -> str:
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in GRAPH_FORMATS:
        raise UsageError(f"--graph {path}: the suffix names the format, one of "
                         f"{', '.join('.' + f for f in GRAPH_FORMATS)}")  # fmt: skip
    if not path.parent.is_dir():
        raise UsageError(f"--graph {path}: directory {path.parent} does not exist")
    return fmt


def write_graph(model: object, example: object, path: Path) -> None:
    """Draw the graph of one forward pass of ``model`` (st.viz.graph) to ``path``: its suffix
    picks the format; .dot/.gv write the DOT text, which needs no Graphviz program."""
    from .. import randn, viz
    from ..atomic import atomic_write_bytes

    fmt = _check_graph_path(path)
    x = randn(*example) if isinstance(example, tuple) else example  # a shape, or token ids
    try:
        g = viz.graph(model(x), params=model)
        data = g.source.encode() if fmt in ("dot", "gv") else g.pipe(format=fmt)
    except (ImportError, RuntimeError) as exc:  # no graphviz package, or no dot program
        raise UsageError(f"--graph {path}: {exc}") from None
    atomic_write_bytes(path, data)


def _cached(name: str, home: Path) -> list[Path]:
    folder = home / name
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


def _sources(name: str) -> list[str]:
    from .. import datasets

    module = getattr(datasets, name)
    urls = list(getattr(module, "MIRRORS", ()))
    if hasattr(module, "URL"):
        urls.append(module.URL)
    return urls


def _offline(name: str) -> list[str]:
    """Sources that need no dataset mirror: a Debian package's directory, a PyPI wheel."""
    from .. import datasets

    module = getattr(datasets, name)
    found = []
    folder = getattr(module, "DEBIAN_DIR", None)
    if folder:
        found.append(f"{folder} ({'present' if Path(folder).is_dir() else 'absent'})")
    wheel = getattr(module, "WHEEL", None)
    if wheel is not None:
        found.append(f"the PyPI wheel {wheel.requirement} (fetched with pip download)")
    return found


def _answers(url: str, timeout: float) -> str:
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return f"reachable (HTTP {response.status})"
    except urllib.error.HTTPError as exc:
        return f"answers (HTTP {exc.code})"
    except (urllib.error.URLError, OSError) as exc:
        return f"unreachable ({getattr(exc, 'reason', exc)})"


def datasets_command(check: bool, timeout: float) -> int:
    from ..datasets import data_home

    home = data_home()
    print(f"data home: {home} (set STEEPEST_DATA to move it)")
    for name in REAL:
        files = _cached(name, home)
        if files:
            size = sum(f.stat().st_size for f in files) / 2**20
            state = f"cached ({size:.0f} MiB: {', '.join(f.name for f in files)})"
        else:
            state = "not cached yet (fetched on first use)"
        print(f"  {name:<14} {state}")
        for fallback in _offline(name):
            print(f"      offline source: {fallback}")
        if check:
            for url in _sources(name):
                print(f"      {url}: {_answers(url, timeout)}")
    print(f"  {', '.join(SYNTHETIC)}: generated on the fly (always available)")
    print("  any .npz file with x_train, y_train, x_test, y_test: --dataset path/to/file.npz")
    if not check:
        print("(add --check to test whether the download sources answer)")
    return 0


__all__ = ["NAMES", "datasets_command", "summary_command"]
