"""Module: the base class of every layer and model.

A Module finds what it owns by walking its attributes, as micrograd and tinygrad
do, instead of asking layers to register things:

* a ``Parameter`` attribute is a parameter;
* a ``Module`` attribute is a child (a submodule);
* a list, tuple or dict attribute contributes the Parameters and Modules inside
  it, named ``attr.0``, ``attr.1`` or ``attr.key``, so ``self.layers = [...]``
  gives parameter names like ``layers.0.weight``;
* a buffer (state saved in ``state_dict`` but not trained, such as BatchNorm's
  running statistics) is a Tensor attribute named by ``register_buffer``.

>>> class MLP(st.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.layers = [st.nn.Linear(4, 8), st.nn.Linear(8, 2)]
...     def forward(self, x):
...         return self.layers[1](self.layers[0](x).relu())
>>> [name for name, _ in MLP().named_parameters()]
['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``handle.remove()`` takes the hook off."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Callable]) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)


def _is_member(value: Any) -> bool:
    return isinstance(value, Parameter | Module)


def _shape_of(value: Any) -> tuple[int, ...]:
    shape = getattr(value, "shape", None)
    return tuple(shape) if shape is not None else tuple(np.shape(value))


def _flatten_state(state: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts -> one level with dotted keys (a checkpoint may nest them)."""
    flat: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, Mapping):
            flat.update(_flatten_state(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class Module:
    """Base class of layers and models: subclasses set attributes in ``__init__`` and define
    ``forward``; calling the module runs ``forward`` (and any forward hooks).

    Class-level defaults below mean a subclass that forgets ``super().__init__()`` still works.
    """

    training: bool = True
    _buffer_names: tuple[str, ...] | list[str] = ()
    _non_persistent: tuple[str, ...] | set[str] = ()
    _forward_hooks: dict[int, Callable] | None = None

    def __init__(self) -> None:
        self.training = True

    # ----- calling -------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after each forward; a non-None result replaces
        the output. ``st.nn.summary`` uses this to record output shapes."""
        if self._forward_hooks is None:
            self._forward_hooks = {}
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ----- walking attributes ----------------------------------------------------------------
    def _members(self) -> Iterator[tuple[str, Parameter | Module]]:
        """Direct Parameters and Modules, in attribute order, with their local names."""
        for name, value in vars(self).items():
            if _is_member(value):
                yield name, value
            elif isinstance(value, list | tuple):
                for i, item in enumerate(value):
                    if _is_member(item):
                        yield f"{name}.{i}", item
            elif isinstance(value, dict) and name != "_forward_hooks":
                for key, item in value.items():
                    if _is_member(item):
                        yield f"{name}.{key}", item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in self._members():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(
        self, prefix: str = "", memo: set[int] | None = None
    ) -> Iterator[tuple[str, Module]]:
        """This module and every submodule, depth first; a module reachable twice is listed once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a shared (tied) parameter is listed once."""
        seen: set[int] = set()
        if not recurse:
            modules: Iterator[tuple[str, Module]] = iter([(prefix, self)])
        elif remove_duplicate:
            modules = self.named_modules(prefix)
        else:
            modules = self._all_modules(prefix)
        for mod_prefix, module in modules:
            for name, value in module._members():
                if isinstance(value, Parameter) and (id(value) not in seen or not remove_duplicate):
                    seen.add(id(value))
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def _all_modules(self, prefix: str) -> Iterator[tuple[str, Module]]:
        """Every module under every name it is reachable by (state_dict keeps all names)."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child._all_modules(f"{prefix}.{name}" if prefix else name)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Total number of parameter elements (``trainable_only``: those with requires_grad)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    # ----- buffers ----------------------------------------------------------------------------
    def register_buffer(self, name: str, value: Tensor | None, persistent: bool = True) -> None:
        """Keep ``value`` as ``self.<name>``: saved in ``state_dict`` (unless not persistent) and
        moved by ``to()``, but never returned by ``parameters()``."""
        if "." in name or not name:
            raise ValueError(f"register_buffer: invalid name {name!r}")
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                f"register_buffer: {name!r} must be a Tensor or None, got {type(value)}"
            )
        if isinstance(value, Parameter):
            raise TypeError(f"register_buffer: {name!r} is a Parameter; assign it as an attribute")
        if not isinstance(self._buffer_names, list):
            self._buffer_names = []
            self._non_persistent = set()
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        if not persistent:
            self._non_persistent.add(name)
        setattr(self, name, value)

    def named_buffers(
        self, prefix: str = "", persistent_only: bool = False
    ) -> Iterator[tuple[str, Tensor]]:
        for mod_prefix, module in self._all_modules(prefix):
            for name in module._buffer_names:
                value = getattr(module, name)
                if value is None or (persistent_only and name in module._non_persistent):
                    continue
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    # ----- state ------------------------------------------------------------------------------
    def _state_tensors(self) -> dict[str, Tensor]:
        out = {name: p for name, p in self.named_parameters(remove_duplicate=False)}
        out.update(self.named_buffers(persistent_only=True))
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and persistent buffers as ``{dotted name: NumPy array}``.

        The arrays are copies, so a saved "best model" does not change as training goes on.
        """
        return {
            name: np.array(backend.to_device(t.data, "cpu"), copy=True)
            for name, t in self._state_tensors().items()
        }

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        In place: an optimizer holding these parameters (or views into its own flat buffers)
        keeps seeing them. With ``strict`` (the default), missing or unexpected keys are an
        error; a shape mismatch is always an error. All problems are reported in one
        ``ValueError``. Nested dicts are accepted and read as dotted names.
        """
        given = _flatten_state(state_dict)
        own = self._state_tensors()
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        mismatched = []
        for key, target in own.items():
            if key in given:
                shape = _shape_of(given[key])
                if shape != target.shape:
                    mismatched.append(f"{key}: checkpoint {shape} vs model {target.shape}")
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        if mismatched:
            problems.append(f"shape mismatches: {'; '.join(mismatched)}")
        if problems:
            raise ValueError(
                f"load_state_dict into {type(self).__name__} failed: " + " | ".join(problems)
            )
        with no_grad():
            for key, target in own.items():
                if key in given:
                    value = given[key]
                    value = value.data if isinstance(value, Tensor) else value
                    if not hasattr(value, "__cuda_array_interface__"):
                        value = np.asarray(value)
                    # in place: see "Flat buffers" in docs/architecture.md
                    target.data[...] = backend.to_device(value, target.device)
        return IncompatibleKeys(missing, unexpected)

    # ----- modes and bulk operations ------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, BatchNorm uses and updates batch statistics)."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (``p.grad = None``, PyTorch 2's default), or with
        ``set_to_none=False`` zero it in place, keeping the buffer an optimizer views.
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:  # in place: see "Flat buffers" in docs/architecture.md
                p.grad.data[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule, then on this module (e.g. custom initialization)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, device: str | None = None, dtype: Any = None) -> Module:
        """Move parameters and buffers to ``device`` and/or cast float ones to ``dtype``, in place
        (the same Parameter objects, new arrays: build the optimizer afterwards)."""
        tensors = list(self.parameters()) + list(self.buffers())
        for t in tensors:
            data = t.data if device is None else backend.to_device(t.data, device)
            if dtype is not None and t.dtype.kind == "f":
                data = data.astype(dtype, copy=False)
            if data is not t.data:  # rebind only on a real move: see "Flat buffers" in docs
                t.data = data
        return self

    # ----- printing -----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown inside ``Name(...)``; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self.named_children():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}(" + (f"\n  {extra}" if extra else "")
        return head + "\n" + "\n".join(lines) + "\n)"
