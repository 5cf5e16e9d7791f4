"""steepest against PyTorch's golden values (tools/torch_golden.py wrote them; see _harness.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _harness import Adapter, load_cases, run_case, tolerance

import steepest as st

HERE = Path(__file__).resolve().parent
AREAS = load_cases(HERE)
STEEPEST = Adapter(
    tensor=lambda x, rg: st.tensor(x, dtype=x.dtype, requires_grad=rg),
    is_tensor=lambda o: isinstance(o, st.Tensor),
    to_numpy=lambda o: np.array(o.detach().numpy()),
    grad_of=lambda leaf: None if leaf.grad is None else np.array(leaf.grad.numpy()),
)


def _golden(area: str) -> dict[str, np.ndarray]:
    path = HERE / f"golden_{area}.npz"
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


GOLDEN = {area: _golden(area) for area in AREAS}
PARAMS = [
    pytest.param(area, case, id=f"{area}-{case.name}") for area in AREAS for case in AREAS[area]
]


@pytest.mark.parametrize("area, case", PARAMS)
def test_matches_pytorch(area, case):
    if case.raises is not None:
        with pytest.raises(case.raises):
            run_case(case, st, STEEPEST)
        return
    expected = {
        k.split("|", 1)[1]: v for k, v in GOLDEN[area].items() if k.split("|", 1)[0] == case.name
    }
    assert expected, f"no golden values for {case.name}: run tools/torch_golden.py {area}"
    got = run_case(case, st, STEEPEST)
    assert sorted(got) == sorted(expected), f"{case.name}: outputs/gradients differ in number"
    for key, want in expected.items():
        have = got[key]
        assert have.shape == want.shape, (
            f"{case.name} {key}: shape {have.shape}, PyTorch {want.shape}"
        )
        assert have.dtype == want.dtype, (
            f"{case.name} {key}: dtype {have.dtype}, PyTorch {want.dtype}"
        )
        rtol, atol = tolerance(case, want.dtype)
        np.testing.assert_allclose(have, want, rtol=rtol, atol=atol, err_msg=f"{case.name} {key}")
