"""Checkpoints: one safetensors file holding arrays, with everything else as JSON in its header.

``save_checkpoint(path, state)`` takes a nested state (dicts, lists, tuples whose leaves are
NumPy arrays, Tensors, or JSON values: int, float, str, bool, None) and writes

* every array as a safetensors tensor (``safetensors.numpy``, named by its path in the state,
  e.g. ``model/layers.0.weight``);
* the rest of the tree as JSON in the safetensors metadata header, each array replaced by a
  reference ``{"__ndarray__": name}``, with the format version and a SHA-256 digest over the
  JSON text and every tensor's name, dtype, shape and bytes.

The write is atomic: a temporary file in the same directory, flushed and fsync'ed, then
``os.replace`` over the target and an fsync of the directory. A crash at any moment leaves
either the old checkpoint or the new one, never a mix.

``load_checkpoint(path)`` reads the bytes, checks the layout, the header and the digest, and
raises ``CheckpointError`` naming the file and the problem for an empty, truncated, garbage or
tampered file. Only JSON and safetensors parsers run on the load path: no pickle.

>>> save_checkpoint("ckpt/last.safetensors", {"model": model.state_dict(), "epoch": 3})
>>> state = load_checkpoint("ckpt/last.safetensors")
>>> model.load_state_dict(state["model"])
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write_bytes as _atomic_write_bytes
from ..backend import to_device
from ..tensor import Tensor

FORMAT = "steepest.checkpoint"
FORMAT_VERSION = 1
_ARRAY, _ITEMS, _TUPLE = "__ndarray__", "__items__", "__tuple__"
_MARKERS = (_ARRAY, _ITEMS, _TUPLE)
_MAX_HEADER = 100 * 2**20  # a larger header is garbage, not a checkpoint

# Called as ``hook(temp_path, final_path)`` after the temporary file is complete and before the
# rename; tests set it to pause a save and kill the process in the middle of it.
before_replace: Callable[[str, str], None] | None = None


class CheckpointError(ValueError):
    """A checkpoint file is missing, damaged or not a checkpoint; the message names the file."""


# ----- the nested state <-> (JSON tree, named arrays) -------------------------------------------
def _as_array(value: Any) -> np.ndarray | None:
    data = value.data if isinstance(value, Tensor) else value
    if isinstance(data, np.ndarray):
        return data
    if hasattr(data, "__cuda_array_interface__"):
        return to_device(data, "cpu")
    return None


def _encode(value: Any, path: list[str], arrays: dict[str, np.ndarray]) -> Any:
    array = _as_array(value)
    if array is not None:
        if array.dtype.kind not in "biuf":
            raise CheckpointError(f"cannot store {'/'.join(path)}: dtype {array.dtype} is not a "
                                  "bool, integer or float array")
        name, n = "/".join(path) or "root", 1
        while name in arrays:  # a key containing "/" could collide with a nested path
            n += 1
            name = f"{'/'.join(path)}#{n}"
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        # ascontiguousarray makes a 0-d array (BatchNorm's num_batches_tracked) 1-d: keep ()
        arrays[name] = np.ascontiguousarray(array).reshape(array.shape)
        return {_ARRAY: name}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value):
            for k in value:
                if k in _MARKERS:
                    raise CheckpointError(f"cannot store {'/'.join(path)}: key {k!r} is reserved")
            return {k: _encode(v, [*path, k], arrays) for k, v in value.items()}
        items = []
        for k, v in value.items():
            if not (k is None or isinstance(k, bool | int | float | str)):
                raise CheckpointError(f"cannot store {'/'.join(path)}: key {k!r} is not a JSON "
                                      "value")
            items.append([k, _encode(v, [*path, str(k)], arrays)])
        return {_ITEMS: items}
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v, [*path, str(i)], arrays) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, [*path, str(i)], arrays) for i, v in enumerate(value)]
    raise CheckpointError(f"cannot store {'/'.join(path) or 'the state'}: a "
                          f"{type(value).__name__} is neither an array nor a JSON value")


def _decode(tree: Any, arrays: dict[str, np.ndarray], file: str) -> Any:
    if isinstance(tree, list):
        return [_decode(v, arrays, file) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if len(tree) == 1:
        (key, inner), = tree.items()
        if key == _ARRAY:
            if inner not in arrays:
                raise CheckpointError(f"{file}: the JSON state refers to a tensor {inner!r} "
                                      "that the file does not hold")
            return arrays[inner]
        if key == _ITEMS:
            return {k: _decode(v, arrays, file) for k, v in inner}
        if key == _TUPLE:
            return tuple(_decode(v, arrays, file) for v in inner)
    return {k: _decode(v, arrays, file) for k, v in tree.items()}


def _digest(text: str, arrays: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256(text.encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(json.dumps([name, a.dtype.str, list(a.shape)]).encode())
        h.update(a.reshape(-1).view(np.uint8).data if a.size else b"")
    return h.hexdigest()


def _nonfinite(arrays: Mapping[str, np.ndarray]) -> list[str]:
    return [name for name, a in arrays.items()
            if a.dtype.kind == "f" and a.size and not np.isfinite(a).all()]


# ----- writing ----------------------------------------------------------------------------------
def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` atomically (``steepest.atomic``), calling this module's ``before_replace``
    hook, which the kill-during-save tests set, just before the rename."""
    _atomic_write_bytes(path, data, before_replace)


def save_checkpoint(
    path: str | Path, state: Mapping[str, Any], *, allow_nonfinite: bool = False
) -> Path:
    """Write ``state`` atomically to ``path`` (see the module docstring); returns the path.

    Refuses (``CheckpointError``) to write NaN or infinite float arrays unless
    ``allow_nonfinite``: a diverged model is never saved over a good checkpoint by accident.
    """
    from safetensors.numpy import save as st_save

    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(dict(state), [], arrays)
    if not allow_nonfinite:
        bad = _nonfinite(arrays)
        if bad:
            raise CheckpointError(f"{path}: not saved: non-finite values in {', '.join(bad[:5])}"
                                  f"{' ...' if len(bad) > 5 else ''}")
    text = json.dumps(tree, separators=(",", ":"))
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "state": text,
            "sha256": _digest(text, arrays)}
    atomic_write_bytes(path, st_save(arrays, metadata=meta))
    return path


# ----- reading ----------------------------------------------------------------------------------
def _header(raw: bytes, file: str) -> dict[str, Any]:
    """The safetensors JSON header, after checking the layout against the file size."""
    size = len(raw)
    if size == 0:
        raise CheckpointError(f"{file}: the file is empty (0 bytes): the write never finished "
                              "or something truncated it")
    if size < 8:
        raise CheckpointError(f"{file}: {size} bytes is too short to be a checkpoint")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER:
        raise CheckpointError(f"{file}: not a safetensors checkpoint (garbage: the first 8 "
                              f"bytes give a header length of {n})")
    if 8 + n > size:
        raise CheckpointError(f"{file}: truncated: the header needs {n} bytes but only "
                              f"{size - 8} follow the length field")
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{file}: not a safetensors checkpoint (header is not JSON: {e})"
                              ) from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{file}: not a safetensors checkpoint (header is not an object)")
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(o, int) for o in offsets)):
            raise CheckpointError(f"{file}: damaged header: tensor {name!r} has no valid offsets")
        end = max(end, offsets[1])
    have = size - 8 - n
    if have < end:
        raise CheckpointError(f"{file}: truncated: tensor data needs {end} bytes after the "
                              f"header, the file has {have} ({size} bytes in all)")
    if have > end:
        raise CheckpointError(f"{file}: damaged: {have - end} unexpected bytes after the "
                              "tensor data")
    return header


def _read(path: str | Path) -> tuple[str, bytes, dict[str, str]]:
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{file}: no such checkpoint file") from None
    except IsADirectoryError:
        raise CheckpointError(f"{file}: is a directory, not a checkpoint file") from None
    except OSError as e:
        raise CheckpointError(f"{file}: cannot read: {e.strerror}") from None
    meta = _header(raw, file).get("__metadata__") or {}
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{file}: a safetensors file but not a steepest checkpoint (no "
                              f"'format': {FORMAT!r} in its metadata)")
    version = meta.get("format_version", "")
    if not version.isdigit() or int(version) > FORMAT_VERSION:
        raise CheckpointError(f"{file}: checkpoint format version {version!r}; this steepest "
                              f"reads versions up to {FORMAT_VERSION}")
    for key in ("state", "sha256"):
        if not isinstance(meta.get(key), str):
            raise CheckpointError(f"{file}: damaged metadata: {key!r} is missing")
    return file, raw, meta


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and verify a checkpoint; returns the nested state as saved (arrays as NumPy).

    Tuples come back as tuples, dicts with non-string keys with their keys; raises
    ``CheckpointError`` naming the file and the problem for any damage.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load

    file, raw, meta = _read(path)
    try:
        arrays = st_load(raw)
    except (SafetensorError, ValueError) as e:
        raise CheckpointError(f"{file}: damaged tensor data: {e}") from None
    actual = _digest(meta["state"], arrays)
    if actual != meta["sha256"]:
        raise CheckpointError(f"{file}: integrity check failed: SHA-256 {actual[:16]}... does "
                              f"not match the recorded {meta['sha256'][:16]}... (the content "
                              "changed after it was written)")
    try:
        tree = json.loads(meta["state"])
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{file}: damaged metadata: the state is not JSON ({e})") from None
    return _decode(tree, arrays, file)


def checkpoint_info(path: str | Path) -> dict[str, Any]:
    """The JSON part of a checkpoint (arrays shown as ``{"__ndarray__": name}``) without
    verifying the tensor bytes: a quick look at epoch, step, config and version."""
    _, _, meta = _read(path)
    try:
        return json.loads(meta["state"])
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path}: damaged metadata: the state is not JSON ({e})") from None


def is_finite_state(state: Mapping[str, Any]) -> bool:
    """True if every float array in ``state`` is finite (what ``save_checkpoint`` checks)."""
    arrays: dict[str, np.ndarray] = {}
    _encode(dict(state), [], arrays)
    return not _nonfinite(arrays)
