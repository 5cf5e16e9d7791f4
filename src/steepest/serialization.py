"""``st.save(obj, path)`` / ``st.load(path)``: state dicts in the safetensors format, no pickle.

Layout of the file:

* A flat dict of tensors with string keys (``model.state_dict()``) is stored as those tensors
  under exactly those names, so ``safetensors.torch.load_file(path)`` reads it in PyTorch.
* Anything else that is a dict (an optimizer's state dict, a checkpoint holding several state
  dicts) is flattened: each tensor or array is stored under the path of keys leading to it,
  joined by ``"."`` (``state.0.exp_avg``), and the tree itself, with every tensor replaced by
  its name, goes to the file's metadata as JSON under ``"steepest.tree"``. Dict keys keep their
  type (int or str); leaves may be tensors, arrays, numbers, strings, bools, None, and lists or
  tuples of these. Other objects are refused with the path to them.

``st.load`` returns tensors as ``st.Tensor`` (CPU unless ``map_location`` says otherwise) and
rebuilds the tree when the metadata has one, so ``load(save(x))`` gives ``x`` back. Writes are
atomic (``steepest.atomic``): an interrupted save leaves the old file.

>>> st.save(model.state_dict(), "model.safetensors")
>>> model.load_state_dict(st.load("model.safetensors"))
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from . import backend
from .atomic import atomic_write_bytes
from .device import device as _device
from .tensor import Tensor

_TREE = "steepest.tree"
_TENSOR = "__tensor__"


def _safetensors_numpy() -> Any:
    try:
        import safetensors.numpy
    except ImportError as e:  # an optional dependency: the train extra installs it
        raise ImportError(
            "st.save/st.load need the safetensors package: pip install 'steepest[train]'"
        ) from e
    return safetensors.numpy


def _array(value: Any) -> np.ndarray:
    data = value.data if isinstance(value, Tensor) else value
    array = np.asarray(backend.to_device(data, "cpu"))
    # ascontiguousarray would make a 0-d array (num_batches_tracked) 1-d: PyTorch's is 0-d
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor | np.ndarray) or hasattr(value, "__cuda_array_interface__")


def _encode(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` as JSON, with each tensor moved into ``arrays`` under its dotted path."""
    where = path or "the top level"
    if _is_tensor(value):
        if path in arrays:
            raise ValueError(f"st.save: two entries flatten to the same name {path!r}")
        arrays[path] = _array(value)
        return {_TENSOR: path}
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, str | int) or isinstance(k, bool):
                raise TypeError(f"st.save: key {k!r} at {where} is not a str or an int")
            items.append([k, _encode(v, f"{path}.{k}" if path else str(k), arrays)])
        return {"__dict__": items}
    if isinstance(value, list | tuple):
        out = [_encode(v, f"{path}.{i}" if path else str(i), arrays) for i, v in enumerate(value)]
        return {"__tuple__": out} if isinstance(value, tuple) else out
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(
        f"st.save: cannot save a {type(value).__name__} at {where}; state dicts may hold "
        "tensors, arrays, numbers, strings, None, and dicts/lists/tuples of these"
    )


def save(obj: dict[Any, Any], f: str | os.PathLike[str]) -> None:
    """Write a state dict (or a dict of them) to ``f`` in the safetensors format, atomically."""
    if not isinstance(obj, dict):
        raise TypeError(
            f"st.save: expected a dict such as model.state_dict(), got {type(obj).__name__}"
        )
    arrays: dict[str, np.ndarray] = {}
    flat = all(isinstance(k, str) and _is_tensor(v) for k, v in obj.items())
    if flat:  # the names are the keys, exactly: PyTorch's load_file sees the same state dict
        arrays = {k: _array(v) for k, v in obj.items()}
        metadata = None
    else:
        metadata = {_TREE: json.dumps(_encode(obj, "", arrays))}
    atomic_write_bytes(f, _safetensors_numpy().save(arrays, metadata=metadata))


def _decode(value: Any, tensors: dict[str, Tensor]) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if isinstance(value, dict):
        if _TENSOR in value:
            return tensors[value[_TENSOR]]
        if "__tuple__" in value:
            return tuple(_decode(v, tensors) for v in value["__tuple__"])
        return {k: _decode(v, tensors) for k, v in value["__dict__"]}
    return value


def load(
    f: str | os.PathLike[str], map_location: Any = None, weights_only: bool = True
) -> dict[Any, Any]:
    """Read what ``save`` wrote (or any safetensors file) back as a dict of ``st.Tensor``.

    ``map_location`` may be a device ('cpu', 'cuda', ``st.device``); ``weights_only`` is
    accepted for PyTorch code and changes nothing: no code is ever loaded.
    """
    st_numpy = _safetensors_numpy()
    path = os.fspath(f)
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        metadata = _metadata(raw)
        arrays = _load_bf16(raw) if _has_bf16(raw) else st_numpy.load(raw)
    except Exception as e:  # safetensors reports a corrupt file with its own error types
        raise ValueError(f"st.load: {path} is not a readable safetensors file: {e}") from e
    target = "cpu" if map_location is None else str(_device(map_location))
    tensors = {k: Tensor(backend.to_device(a, target)) for k, a in arrays.items()}
    if _TREE not in metadata:
        return tensors
    return _decode(json.loads(metadata[_TREE]), tensors)


_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
    "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}  # fmt: skip


def _header(raw: bytes) -> dict[str, Any]:
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8 : 8 + n])


def _has_bf16(raw: bytes) -> bool:
    return any(isinstance(v, dict) and v.get("dtype") == "BF16" for v in _header(raw).values())


def _load_bf16(raw: bytes) -> dict[str, np.ndarray]:
    """A file with bfloat16 tensors (common for PyTorch checkpoints; NumPy has no bfloat16):
    each becomes float32, exactly, since bfloat16 is the top half of a float32."""
    header = _header(raw)
    body = 8 + int.from_bytes(raw[:8], "little")
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        chunk = raw[body + start : body + end]
        if info["dtype"] == "BF16":
            bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        elif info["dtype"] in _DTYPES:
            array = np.frombuffer(chunk, dtype=np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<"))
        else:
            raise ValueError(f"tensor {name!r} has dtype {info['dtype']}: steepest cannot read it")
        out[name] = array.reshape(info["shape"]).copy()
    return out


def _metadata(raw: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file: its header is 8 length bytes, then JSON."""
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    return header.get("__metadata__") or {}
