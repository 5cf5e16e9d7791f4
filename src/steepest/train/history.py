"""History: what ``fit`` returns, one list per logged quantity, one entry per epoch.

>>> history = st.train.fit(model, loss_fn, optimizer, train_loader, val_loader, epochs=3)
>>> history.history["val_loss"]          # [0.41, 0.33, 0.30]
>>> history.to_json("runs/a/history.json")
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def _plain(value: Any) -> Any:
    """A JSON value: NumPy scalars and arrays become Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


class History:
    """Per-epoch logs: ``history.history[key]`` is a list aligned with ``history.epoch``.

    A key that first appears in a later epoch (or is missing in one, e.g. validation every
    other epoch) is padded with ``None`` so that all lists keep the same length.
    """

    def __init__(self) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[Any]] = {}

    def append(self, epoch: int, logs: dict[str, Any]) -> None:
        """Add the logs of ``epoch``; logs for the same epoch as the last entry replace it (an
        epoch cut short by ``max_steps`` and finished later by a resumed run)."""
        if self.epoch and self.epoch[-1] == epoch:
            self.epoch.pop()
            for values in self.history.values():
                values.pop()
        n = len(self.epoch)
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            self.history.setdefault(key, [None] * n).append(_plain(value))
        for values in self.history.values():
            if len(values) == n:
                values.append(None)

    def __getitem__(self, key: str) -> list[Any]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def last(self) -> dict[str, Any]:
        """The logs of the last epoch (``{}`` before the first)."""
        return {k: v[-1] for k, v in self.history.items()} if self.epoch else {}

    def best(self, key: str, mode: str = "min") -> tuple[int, float]:
        """``(epoch, value)`` of the best finite value of ``key`` (``mode`` 'min' or 'max')."""
        if key not in self.history:
            raise KeyError(f"History has no {key!r}; it has {sorted(self.history)}")
        points = [(e, v) for e, v in zip(self.epoch, self.history[key], strict=True)
                  if isinstance(v, int | float) and math.isfinite(v)]
        if not points:
            raise ValueError(f"History: no finite value of {key!r}")
        pick = min if mode == "min" else max
        return pick(points, key=lambda p: p[1])

    # ----- serialization ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in self.history.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch = [int(e) for e in state["epoch"]]
        self.history = {k: list(v) for k, v in state["history"].items()}

    def to_json(self, path: str | Path | None = None) -> str:
        """The history as JSON text (NaN and infinities as ``NaN``/``Infinity``, as Python
        writes them); also written to ``path`` when given."""
        text = json.dumps(self.state_dict(), indent=1)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> History:
        text = str(text_or_path)
        if isinstance(text_or_path, Path) or not text.lstrip().startswith("{"):
            text = Path(text_or_path).read_text()
        history = cls()
        history.load_state_dict(json.loads(text))
        return history

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"
