"""The CuPy stand-in is as strict as CuPy (else the fake_cuda suites would prove nothing), and
the backend says in one line why 'cuda' cannot be used."""

from __future__ import annotations

import numpy as np
import pytest

import _fake_cupy
import steepest as st
from steepest import backend

fcp = _fake_cupy.cupy


def test_device_arrays_refuse_implicit_conversion_and_host_mixing():
    a = fcp.asarray(np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError):
        np.exp(a)  # a NumPy ufunc on a device array
    with pytest.raises(TypeError):
        np.concatenate([a, a])
    with pytest.raises(TypeError, match="host array"):
        a + np.ones(3)
    with pytest.raises(TypeError, match="host array"):
        np.ones(3) * a
    with pytest.raises(TypeError, match="host array"):
        fcp.maximum(a, np.zeros(3))
    with pytest.raises(TypeError, match="host array"):
        a[...] = np.zeros(3)
    with pytest.raises(AttributeError, match="CuPy"):
        fcp.nanpercentile  # noqa: B018 - a NumPy function the stand-in (like CuPy) lacks


def test_device_arrays_work_like_cupy_within_the_device(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", fcp)
    a = fcp.asarray(np.arange(6.0).reshape(2, 3))
    assert backend.array_module(a) is fcp and "shape" in a.__cuda_array_interface__
    b = a * np.float32(2) + 1  # NumPy and Python scalars mix in, as in CuPy
    np.testing.assert_array_equal(b.get(), np.arange(6.0).reshape(2, 3) * 2 + 1)
    s = a.sum()
    assert isinstance(s, fcp.ndarray) and s.shape == ()  # a 0-d array, not a NumPy scalar
    v = a[0, 1]
    a[0, 1] = 10.0
    assert float(v) == 10.0  # scalar indexing gives a 0-d view, as CuPy's does
    out = fcp.empty((2, 3))
    assert fcp.add(a, a, out=out) is out
    acc = fcp.zeros(3)
    fcp.add.at(acc, fcp.asarray(np.array([0, 0, 2])), 1.0)
    np.testing.assert_array_equal(acc.get(), [2.0, 0.0, 1.0])
    assert fcp.may_share_memory(a, a.reshape(3, 2))


def test_tensor_round_trip_through_the_stand_in(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", fcp)
    t = st.tensor([[1.0, 2.0]]).to("cuda")
    assert t.device == "cuda" and isinstance(t.data, fcp.ndarray)
    assert t.to("cpu").device == "cpu"
    np.testing.assert_array_equal(t.numpy(), [[1.0, 2.0]])


def test_cuda_without_cupy_is_one_line(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", False)
    with pytest.raises(RuntimeError, match=r"needs CuPy.*steepest\[gpu\]") as e:
        st.zeros(2).to("cuda")
    assert "\n" not in str(e.value)


def test_cuda_without_a_gpu_is_one_line(monkeypatch):
    class NoDevice:
        class cuda:
            class runtime:
                @staticmethod
                def getDeviceCount():
                    raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    monkeypatch.setattr(backend, "_cupy", NoDevice)
    with pytest.raises(RuntimeError, match="finds no CUDA GPU") as e:
        st.nn.Linear(2, 2).to("cuda")
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        st.nn.Linear(2, 2).to("gpu")
