"""Generic tests driven by op_table.CASES: forward vs NumPy, gradients, second derivatives."""

from __future__ import annotations

import numpy as np
import pytest
from op_table import CASES, Case, Sample

import steepest as st
from steepest import ops

SAMPLES = [
    pytest.param(c, s, id=f"{c.name}-{i}-{s.label}") for c in CASES for i, s in enumerate(c.samples)
]


def _floats(sample: Sample) -> list[np.ndarray]:
    return [a for a in sample.args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


def _tensors(sample: Sample, requires_grad: bool) -> list:
    return [
        st.Tensor(a.copy() if a.flags.c_contiguous else a, requires_grad=requires_grad)
        if isinstance(a, np.ndarray) and a.dtype.kind == "f"
        else a
        for a in sample.args
    ]


SECOND = [
    pytest.param(c, s, id=f"{c.name}-{i}")
    for c in CASES
    if c.second_order
    for i, s in enumerate([s for s in c.samples if all(a.size > 0 for a in _floats(s))][:3])
]


def _outputs(result) -> list[np.ndarray]:
    items = result if isinstance(result, list | tuple) else [result]
    return [t.numpy() for t in items]


def test_every_public_op_has_an_entry():
    public = set(ops.__all__) - ops.NON_DIFFERENTIABLE - set(ops.ALIASES)
    covered = {c.name for c in CASES}
    assert public - covered == set(), "public differentiable ops without a table entry"
    assert covered - public == set(), "table entries for names that are not public ops"


def test_every_case_has_enough_samples():
    for case in CASES:
        assert len(case.samples) >= 6, case.name


@pytest.mark.parametrize(("case", "sample"), SAMPLES)
def test_forward_matches_numpy(case: Case, sample: Sample):
    got = _outputs(case.fn(*_tensors(sample, False), **sample.kwargs))
    want = case.ref(*sample.args, **sample.kwargs)
    want = list(want) if isinstance(want, list | tuple) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
        assert g.shape == np.shape(w)


@pytest.mark.parametrize(("case", "sample"), SAMPLES)
def test_gradcheck(case: Case, sample: Sample):
    inputs = _tensors(sample, True)
    assert st.gradcheck(lambda *xs: case.fn(*xs, **sample.kwargs), inputs, **case.tolerances)


@pytest.mark.parametrize(("case", "sample"), SECOND)
def test_second_derivatives(case: Case, sample: Sample):
    inputs = _tensors(sample, True)
    assert st.gradgradcheck(lambda *xs: case.fn(*xs, **sample.kwargs), inputs, atol=1e-4)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float32_in_float32_out(case: Case):
    sample = next(s for s in case.samples if all(a.size > 1 for a in _floats(s)))
    args = [
        st.Tensor(a.astype(np.float32)) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
        for a in sample.args
    ]
    for out in _outputs(case.fn(*args, **sample.kwargs)):
        if case.name != "cast":
            assert out.dtype == np.float32, case.name
