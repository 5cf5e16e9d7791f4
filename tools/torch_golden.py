"""Write the PyTorch golden values that tests/parity/test_parity.py compares steepest against.

    python tools/torch_golden.py            # every area: tests/parity/cases_*.py
    python tools/torch_golden.py tensor nn  # only these areas

Needs PyTorch (the only place besides bench/ that imports it); the tests read the committed
.npz files and never need PyTorch. A case declared with ``raises=`` is checked to raise in
PyTorch too, and stores nothing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

PARITY = Path(__file__).resolve().parent.parent / "tests" / "parity"
sys.path.insert(0, str(PARITY))

from _harness import Adapter, load_cases, run_case  # noqa: E402

TORCH = Adapter(
    tensor=lambda x, rg: torch.tensor(x, requires_grad=rg),
    is_tensor=lambda o: isinstance(o, torch.Tensor),
    to_numpy=lambda o: o.detach().cpu().resolve_conj().numpy().copy(),
    grad_of=lambda leaf: None if leaf.grad is None else leaf.grad.numpy().copy(),
)


def golden(cases: list) -> dict[str, np.ndarray]:
    arrays = {}
    for case in cases:
        torch.manual_seed(0)
        if case.raises is not None:
            try:
                run_case(case, torch, TORCH)
            except Exception:  # any error: PyTorch's class names differ from ours by design
                continue
            raise SystemExit(f"{case.name}: declared raises={case.raises.__name__}, PyTorch ran")
        for key, value in run_case(case, torch, TORCH).items():
            arrays[f"{case.name}|{key}"] = value
    return arrays


def main(argv: list[str]) -> None:
    areas = load_cases(PARITY)
    unknown = set(argv) - set(areas)
    if unknown:
        raise SystemExit(
            f"no tests/parity/cases_<area>.py for {sorted(unknown)}; have {sorted(areas)}"
        )
    torch.set_default_dtype(torch.float32)
    for area in argv or sorted(areas):
        arrays = golden(areas[area])
        target = PARITY / f"golden_{area}.npz"
        with tempfile.NamedTemporaryFile(dir=PARITY, suffix=".npz", delete=False) as f:
            np.savez_compressed(f, **arrays)  # atomic: a half-written golden file never lands
        Path(f.name).replace(target)
        where = target.relative_to(PARITY.parent.parent)
        print(f"{where}: {len(areas[area])} cases, torch {torch.__version__}")


if __name__ == "__main__":
    main(sys.argv[1:])
