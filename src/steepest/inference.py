"""``st.inference_mode()``: PyTorch's faster-no-grad context, here the same as ``no_grad``.

PyTorch's inference mode also skips version counting and marks the results so they can never
enter a graph; steepest's ``no_grad`` already records nothing, which is the part that matters.
"""

from __future__ import annotations

import contextlib
from typing import Any

from .autograd import no_grad


class inference_mode(contextlib.ContextDecorator):
    """Run without recording a graph; ``inference_mode(False)`` changes nothing.

    >>> with st.inference_mode():
    ...     y = model(x)  # y.requires_grad is False
    """

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self._inner = no_grad() if self.mode else contextlib.nullcontext()
        self._inner.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)
