"""The package's layers import downwards only (docs/architecture.md, "Layers").

Every ``import`` statement of every module under src/steepest, including those inside
functions, is read from its syntax tree; an import of a higher layer fails the test with
the module, the line and the two layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "steepest"

# Lowest first. A module may import its own layer and the layers below it.
LAYERS: list[set[str]] = [
    {"core"},  # tensor, autograd, backend, ops/, creation, random, gradcheck, allocator
    {"nn", "optim", "viz"},  # viz draws graphs of core tensors; it reads modules by duck typing
    {"data", "utils"},  # utils.data: PyTorch's names for the objects of data
    {"datasets", "models", "onnx"},  # onnx traces a model's layers (nn) into an ONNX graph
    {"train", "distributed"},  # distributed wraps optimizers and loaders; studies use its pool
    {"studies"},
    {"cli"},
]
RANK = {part: i for i, layer in enumerate(LAYERS) for part in layer}
SUBPACKAGES = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}


def part_of(module: str) -> str:
    """``steepest.nn.linear`` -> ``nn``; top-level modules (and ``ops``) are the core;
    ``__main__`` is the command line's entry point."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] == "__main__":
        return "cli"
    if len(parts) > 1 and parts[1] in SUBPACKAGES and parts[1] != "ops":
        return parts[1]
    return "core"


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, absolute module)`` of each steepest import in ``source``; ``from steepest
    import nn`` counts as importing ``steepest.nn``."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from pkg import name`: name may be a submodule, which is what gets imported
            found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "steepest"]


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    here = part_of(module)
    out = []
    for line, target in imported_modules(source, module, is_package):
        there = part_of(target)
        if RANK[there] > RANK[here]:
            out.append(f"{module}:{line} imports {target}: layer {here!r} (rank {RANK[here]}) "
                       f"must not import the higher layer {there!r} (rank {RANK[there]})")
    return out


def _modules() -> list[tuple[str, Path, bool]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        package = parts[-1] == "__init__"
        out.append((".".join(parts[:-1] if package else parts), path, package))
    return out


def test_every_subpackage_has_a_layer():
    parts = {part_of(f"steepest.{p}") for p in SUBPACKAGES}
    assert parts <= set(RANK), f"add {sorted(parts - set(RANK))} to LAYERS (and to the docs)"


def test_no_module_imports_a_higher_layer():
    found = [v for module, path, package in _modules()
             for v in violations(path.read_text(), module, package)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("module, source, bad", [
    ("steepest.nn.linear", "from ..train import fit", True),
    ("steepest.optim.sgd", "def f():\n    from ..cli import main\n", True),
    ("steepest.tensor", "from .nn import Module", True),
    ("steepest.studies._common", "from .. import cli", True),
    ("steepest.data.loader", "import steepest.models.mlp", True),
    ("steepest.train.trainer", "from ..nn import Module\nfrom .. import optim", False),
    ("steepest.cli.build", "from ..studies import STUDIES", False),
    ("steepest.nn.utils", "from ..optim.transforms import global_norm", False),
])
def test_the_checker_catches_an_upward_import(module, source, bad):
    assert bool(violations(source, module)) == bad
