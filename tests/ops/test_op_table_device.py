"""The op table on every device (the ``device`` fixture: cpu, fake_cuda, cuda): forward against
NumPy and gradcheck, with every array argument on the device, as a user's data would be."""

from __future__ import annotations

import numpy as np
import pytest
from op_table import CASES, Case, Sample

import steepest as st
from steepest import backend

# two samples per op on each device (the scalar/broadcast and a larger one): the full table runs
# on cpu in test_op_table.py; here the question is whether the device path works at all
DEVICE_SAMPLES = [
    pytest.param(c, s, id=f"{c.name}-{i}-{s.label}")
    for c in CASES
    for i, s in enumerate(c.samples)
    if i in (1, 3)
]


# ops whose random draws come from the device's own generator (seeded from the same
# st.Generator, but another algorithm): their masks differ from the host reference's
DEVICE_DRAWS = {"dropout"}


def _check_dropout(out, sample: Sample) -> None:
    x, p = sample.args[0], sample.kwargs["p"]
    got = out.numpy()
    kept = np.isclose(got, x / (1 - p), rtol=1e-12, atol=0)
    assert (kept | (got == 0)).all(), "dropout: an element neither dropped nor scaled"


def _on(device: str, value, requires_grad: bool):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        data = backend.to_device(np.ascontiguousarray(value), device)
        return st.Tensor(data, requires_grad=requires_grad)
    if isinstance(value, np.ndarray):
        return backend.to_device(value, device)
    return value


def _floats(sample: Sample) -> list[np.ndarray]:
    return [a for a in sample.args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


def _args(sample: Sample, device: str, requires_grad: bool):
    args = [_on(device, a, requires_grad) for a in sample.args]
    kwargs = {k: _on(device, v, False) for k, v in sample.kwargs.items()}
    return args, kwargs


@pytest.mark.parametrize(("case", "sample"), DEVICE_SAMPLES)
def test_forward_on_device(case: Case, sample: Sample, device):
    args, kwargs = _args(sample, device, False)
    out = case.fn(*args, **kwargs)
    outs = list(out) if isinstance(out, list | tuple) else [out]
    if case.name in DEVICE_DRAWS and device != "cpu":
        _check_dropout(outs[0], sample)
        return
    want = case.ref(*sample.args, **sample.kwargs)
    want = list(want) if isinstance(want, list | tuple) else [want]
    for got, w in zip(outs, want, strict=True):
        assert got.device == device, f"{case.name}: output left the device"
        np.testing.assert_allclose(got.numpy(), w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("case", "sample"), DEVICE_SAMPLES)
def test_gradcheck_on_device(case: Case, sample: Sample, device):
    args, kwargs = _args(sample, device, True)
    assert st.gradcheck(lambda *xs: case.fn(*xs, **kwargs), args, **case.tolerances)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float32_backward_on_device(case: Case, device):
    """float32, as models run: NumPy float32 scalars made inside a rule are not Python floats,
    and must not turn into host arrays (float64 samples above cannot show that)."""
    sample = next(s for s in case.samples if all(a.size > 1 for a in _floats(s)))
    f32 = Sample(tuple(a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                       else a for a in sample.args), sample.kwargs, sample.label)
    args, kwargs = _args(f32, device, True)
    out = case.fn(*args, **kwargs)
    outs = list(out) if isinstance(out, list | tuple) else [out]
    total = sum((o * o).sum() for o in outs if o.dtype.kind == "f")
    if not getattr(total, "requires_grad", False):
        return  # nothing differentiable reaches the output (e.g. sign)
    total.backward()
    for a in args:
        if isinstance(a, st.Tensor) and a.requires_grad and a.grad is not None:
            assert a.grad.device == device and a.grad.dtype == np.float32, case.name
