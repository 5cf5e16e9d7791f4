"""The ONNX graph being built: value names, initializers and nodes, with the onnx helper API.

Every steepest Tensor that the traced forward pass touches gets one ONNX value name: the model
input, a parameter or buffer (an initializer named as in ``state_dict``), a constant the
forward pass made (an initializer ``const_k``), or the output of a node.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class ExportError(ValueError):
    """A model (or one of its layers) cannot be written as ONNX; the message says which and why."""


class Graph:
    def __init__(self, batch: int | None) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.batch = batch  # the example's batch size (dynamic in the file), None if fixed
        self.names: dict[int, str] = {}  # id(Tensor) -> value name
        self.keep: list[Any] = []  # tensors named here stay alive, so ids are not reused
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.counter = 0
        self.where = ""  # the module being converted (names its derived initializers)
        self.params: dict[int, str] = {}  # id(parameter or buffer) -> state_dict name
        self.ndim: dict[str, int] = {}  # value name -> rank, first size and float-ness,
        self.dim0: dict[str, int] = {}  # which converters read to choose their attributes
        self.is_float: dict[str, bool] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}  # as traced (the batch as in the example)

    # ----- names -----------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        self.counter += 1
        return f"{hint}_{self.counter}"

    def bind(self, tensor: Any, name: str) -> str:
        self.names[id(tensor)] = name
        self.keep.append(tensor)
        self.describe(name, tensor.shape, tensor.dtype)
        return name

    def describe(self, name: str, shape: tuple[int, ...], dtype: Any) -> None:
        self.ndim[name], self.dim0[name] = len(shape), (shape[0] if shape else 1)
        self.is_float[name] = np.dtype(dtype).kind == "f"
        self.shapes[name] = tuple(shape)

    def name_of(self, tensor: Any, where: str) -> str:
        """The value name of ``tensor``; a parameter, buffer or constant becomes an initializer."""
        key = id(tensor)
        if key in self.names:
            return self.names[key]
        if key in self.params:
            return self.bind(tensor, self.initializer(tensor.numpy(), self.params[key]))
        if getattr(tensor, "requires_grad", False) or getattr(tensor, "_ctx", None) is not None:
            raise ExportError(
                f"{where}: reads a tensor ({tuple(tensor.shape)} {tensor.dtype}) that was not "
                "made by an exported op, nor is a parameter, a buffer or the input"
            )
        return self.bind(tensor, self.constant(np.asarray(tensor.numpy()), "const"))

    # ----- initializers and nodes --------------------------------------------------------------
    def initializer(self, array: np.ndarray, name: str) -> str:
        array = np.ascontiguousarray(array)
        self.initializers.append(self.numpy_helper.from_array(array, name))
        self.describe(name, array.shape, array.dtype)
        return name

    def constant(self, array: Any, hint: str = "const") -> str:
        return self.initializer(np.asarray(array), self.fresh(hint))

    def ints(self, values: Any, hint: str = "shape") -> str:
        return self.constant(np.asarray(values, dtype=np.int64), hint)

    def node(self, op: str, inputs: list[str], outputs: int | list[str] = 1, **attrs: Any) -> Any:
        """Add one node; returns its output name (or the list of them)."""
        if isinstance(outputs, list):
            names = outputs
        else:
            names = [self.fresh(op.lower()) for _ in range(outputs)]
        self.nodes.append(self.helper.make_node(op, inputs, names, **attrs))
        return names[0] if len(names) == 1 and not isinstance(outputs, list) else names
