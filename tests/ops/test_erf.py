"""st.erf against math.erf: within 2 ulp over a dense grid, tiny arguments, and the tails."""

from __future__ import annotations

import math

import numpy as np

import steepest as st


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.abs(want))


def test_erf_within_two_ulps_of_math_erf():
    x = np.concatenate([
        np.linspace(-7.0, 7.0, 200_001),  # every Taylor interval and both region borders
        np.geomspace(1e-300, 7.0, 5001),  # tiny arguments: relative accuracy near 0
        -np.geomspace(1e-12, 7.0, 501),
        [0.5, 6.0, np.nextafter(0.5, 0), np.nextafter(6.0, 0), 5.999999],
    ])  # fmt: skip
    want = np.array([math.erf(v) for v in x])
    got = st.erf(st.tensor(x)).numpy()
    assert _ulps(got, want).max() <= 2.0


def test_erf_special_values_and_dtype():
    got = st.erf(st.tensor([np.inf, -np.inf, np.nan, 0.0, -0.0])).numpy()
    np.testing.assert_array_equal(got[:2], [1.0, -1.0])
    assert np.isnan(got[2]) and got[3] == 0.0
    x32 = st.tensor(np.linspace(-3, 3, 101, dtype=np.float32))
    y32 = st.erf(x32)
    assert y32.dtype == np.float32
    want = np.array([math.erf(v) for v in x32.numpy().astype(np.float64)])
    np.testing.assert_allclose(y32.numpy(), want.astype(np.float32), rtol=0, atol=6e-8)
    assert st.erf(st.tensor(0.5)).shape == ()


def test_erf_gradient_is_two_over_sqrt_pi_exp():
    x = st.tensor(np.linspace(-3, 3, 13), requires_grad=True)
    st.erf(x).sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy(), 2 / math.sqrt(math.pi) * np.exp(-np.linspace(-3, 3, 13) ** 2), rtol=1e-15
    )
