"""Containers: Sequential (a pipeline), ModuleList and ModuleDict (holders), ParameterList and
ParameterDict.

A plain Python list or dict attribute of a Module already works (its modules are
found by attribute walking); these add indexing, printing and, for Sequential, a
``forward`` that chains the layers.
"""

from __future__ import annotations

from collections import OrderedDict
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

    Layers are named ``0``, ``1``, ... or, given one ``OrderedDict`` (any dict), by its keys,
    which then name the parameters (``features.conv1.weight``) and are attributes
    (``model.conv1``), as in PyTorch.

    >>> model = st.nn.Sequential(st.nn.Linear(784, 128), st.nn.ReLU(), st.nn.Linear(128, 10))
    >>> model(st.randn(32, 784)).shape
    (32, 10)
    >>> named = st.nn.Sequential(OrderedDict([("fc", st.nn.Linear(4, 2)), ("act", st.nn.ReLU())]))
    >>> [name for name, _ in named.named_parameters()]
    ['fc.weight', 'fc.bias']
    """

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            named = modules[0]
            super().__init__(named.values())
            for key in named:
                _check_key(key, "Sequential")
            self._names: list[str] | None = list(named)
        else:
            super().__init__(modules)  # type: ignore[arg-type]
            self._names = None

    def _members(self) -> Iterator[tuple[str, Parameter | Module]]:
        if self._names is None:
            yield from super()._members()
        else:
            yield from zip(self._names, self._items, strict=True)

    def __getattr__(self, name: str) -> Any:
        names = self.__dict__.get("_names")
        if names and name in names:
            return self._items[names.index(name)]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def append(self, module: Module) -> Sequential:
        super().append(module)
        if getattr(self, "_names", None) is not None:
            self._names.append(str(len(self._items) - 1))
        return self

    def insert(self, index: int, module: Module) -> None:
        if getattr(self, "_names", None) is not None:
            raise TypeError("Sequential.insert: not supported on a Sequential with named layers")
        super().insert(index, module)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            if self._names is None:
                return Sequential(*self._items[index])
            return Sequential(OrderedDict(zip(self._names[index], self._items[index], strict=True)))
        return self._items[index]

    def forward(self, x: Any) -> Any:
        for layer in self._items:
            x = layer(x)
        return x


def _check_key(key: Any, where: str) -> None:
    if not isinstance(key, str) or not key or "." in key:
        raise KeyError(f"{where}: names must be non-empty strings without '.', got {key!r}")


class ParameterList(Module):
    """A list of Parameters named ``0``, ``1``, ... in ``named_parameters`` and ``state_dict``
    (as PyTorch's); plain tensors are wrapped into Parameters.

    >>> scales = st.nn.ParameterList([st.nn.Parameter(st.ones(3)) for _ in range(2)])
    >>> [name for name, _ in scales.named_parameters()]
    ['0', '1']
    """

    def __init__(self, values: Iterable[Any] = ()) -> None:
        super().__init__()
        self._items: list[Parameter] = []
        for v in values:
            self.append(v)

    def _members(self) -> Iterator[tuple[str, Parameter | Module]]:
        for i, p in enumerate(self._items):
            yield str(i), p

    def append(self, value: Any) -> ParameterList:
        self._items.append(value if isinstance(value, Parameter) else Parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, index: int) -> Parameter:
        return self._items[index]

    def __setitem__(self, index: int, value: Any) -> None:
        self._items[index] = value if isinstance(value, Parameter) else Parameter(value)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._items)


class ParameterDict(Module):
    """A dict of Parameters named by their (string) keys, as PyTorch's.

    >>> heads = st.nn.ParameterDict({"scale": st.nn.Parameter(st.ones(2))})
    """

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._items: dict[str, Parameter] = {}
        for key, v in (values or {}).items():
            self[key] = v

    def _members(self) -> Iterator[tuple[str, Parameter | Module]]:
        yield from self._items.items()

    def __setitem__(self, key: str, value: Any) -> None:
        _check_key(key, "ParameterDict")
        self._items[key] = value if isinstance(value, Parameter) else Parameter(value)

    def __getitem__(self, key: str) -> Parameter:
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

    def values(self) -> Iterable[Parameter]:
        return self._items.values()

    def items(self) -> Iterable[tuple[str, Parameter]]:
        return self._items.items()


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
