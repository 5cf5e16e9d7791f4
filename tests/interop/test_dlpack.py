"""DLPack both ways with NumPy: zero-copy where the layout allows, a copy for negative strides."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_numpy_to_steepest_shares_memory(dtype):
    a = np.arange(12).reshape(3, 4).astype(dtype)
    t = st.from_dlpack(a)
    assert t.dtype == a.dtype and t.shape == (3, 4)
    assert np.shares_memory(t.data, a)


@pytest.mark.parametrize(
    "view",
    [lambda a: a, lambda a: a.T, lambda a: a[:, ::2], lambda a: a[1:, 1:3]],
    ids=["contiguous", "transposed", "strided", "offset"],
)
def test_round_trip_keeps_values_and_memory(view):
    base = np.arange(24.0).reshape(4, 6)
    a = view(base)
    t = st.from_dlpack(a)
    back = np.from_dlpack(t)
    np.testing.assert_array_equal(back, a)
    assert np.shares_memory(back, base)  # no copy either way
    back[...] = -1.0
    assert (t.data == -1).all()


def test_negative_strides_are_exported_as_a_contiguous_copy():
    base = np.arange(6.0)
    t = st.from_dlpack(base)[::-1]  # a view with a negative stride
    assert t.data.strides[0] < 0
    out = np.from_dlpack(t)
    np.testing.assert_array_equal(out, base[::-1])
    assert out.strides[0] > 0 and not np.shares_memory(out, base)


def test_steepest_to_numpy_device_and_grad_rules():
    t = st.randn(3, 2)
    assert t.__dlpack_device__() == (1, 0)  # kDLCPU
    assert np.shares_memory(np.from_dlpack(t), t.data)
    w = st.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="require gradient"):
        np.from_dlpack(w)
    np.testing.assert_array_equal(np.from_dlpack(w.detach()), w.data)
    with pytest.raises(TypeError, match="no __dlpack__"):
        st.from_dlpack([1.0, 2.0])
