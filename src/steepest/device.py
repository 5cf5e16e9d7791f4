"""``st.device``: PyTorch's device object, accepted wherever a device string is.

A device *is* its type string (``'cpu'`` or ``'cuda'``), so every function that takes
``device='cpu'`` takes ``st.device('cpu')`` unchanged, and ``x.device == 'cpu'`` still holds.
The index of ``'cuda:0'`` is kept in ``.index``; steepest drives one GPU, so it is not used.

>>> dev = st.device("cuda" if st.is_gpu_available() else "cpu")
>>> st.zeros(3, device=dev).device.type in ("cpu", "cuda")
True
"""

from __future__ import annotations

from typing import Any

_TYPES = ("cpu", "cuda")


class device(str):
    """A device: ``device('cpu')``, ``device('cuda')``, ``device('cuda:0')``, ``device('cuda', 0)``.
    """

    type: str
    index: int | None

    def __new__(cls, spec: Any, index: int | None = None) -> device:
        if isinstance(spec, device) and index is None:
            return spec
        kind, _, number = str(spec).partition(":")
        if kind not in _TYPES:
            raise RuntimeError(f"device: expected one of {', '.join(_TYPES)}, got {spec!r}")
        if number:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"device: invalid device string {spec!r}")
            index = int(number)
        if kind == "cpu" and index not in (None, 0):
            raise RuntimeError(f"device: cpu has no index {index}")
        obj = super().__new__(cls, kind)
        obj.type, obj.index = kind, index
        return obj

    def __repr__(self) -> str:
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{extra})"

    def __reduce__(self) -> Any:
        return (device, (self.type, self.index))
