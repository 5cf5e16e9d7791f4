"""Containers: Sequential (a pipeline), ModuleList and ModuleDict (holders).

A plain Python list or dict attribute of a Module already works (its modules are
found by attribute walking); these add indexing, printing and, for Sequential, a
``forward`` that chains the layers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .module import Module, Parameter


def _check_module(item: Any, where: str) -> Module:
    if not isinstance(item, Module):
        raise TypeError(f"{where}: expected a Module, got {type(item).__name__}")
    return item


class ModuleList(Module):
    """A list of modules whose parameters are named ``0.weight``, ``1.weight``, ...

    >>> blocks = st.nn.ModuleList([st.nn.Linear(4, 4) for _ in range(3)])
    >>> for block in blocks:
    ...     x = block(x)
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self._items: list[Module] = []
        for m in modules:
            self.append(m)

    def _members(self) -> Iterator[tuple[str, Parameter | Module]]:
        for i, m in enumerate(self._items):
            yield str(i), m

    def append(self, module: Module) -> ModuleList:
        self._items.append(_check_module(module, type(self).__name__))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        self._items.insert(index, _check_module(module, type(self).__name__))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(self._items[index])
        return self._items[index]

    def __setitem__(self, index: int, module: Module) -> None:
        self._items[index] = _check_module(module, type(self).__name__)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)


class Sequential(ModuleList):
    """Layers applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    >>> model = st.nn.Sequential(st.nn.Linear(784, 128), st.nn.ReLU(), st.nn.Linear(128, 10))
    >>> model(st.randn(32, 784)).shape
    (32, 10)
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self._items[index])
        return self._items[index]

    def forward(self, x: Any) -> Any:
        for layer in self._items:
            x = layer(x)
        return x


class ModuleDict(Module):
    """A dict of modules whose parameters are named ``key.weight``; keys are strings.

    >>> heads = st.nn.ModuleDict({"class": st.nn.Linear(8, 10), "box": st.nn.Linear(8, 4)})
    >>> heads["box"](features)
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        self._items: dict[str, Module] = {}
        for key, m in (modules or {}).items():
            self[key] = m

    def _members(self) -> Iterator[tuple[str, Parameter | Module]]:
        yield from self._items.items()

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict: keys must be non-empty strings without '.', got {key!r}")
        self._items[key] = _check_module(module, f"ModuleDict[{key!r}]")

    def __getitem__(self, key: str) -> Module:
        return self._items[key]

    def __delitem__(self, key: str) -> None:
        del self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def keys(self) -> Iterable[str]:
        return self._items.keys()

    def values(self) -> Iterable[Module]:
        return self._items.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._items.items()
