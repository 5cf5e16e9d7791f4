"""Tensor basics and factories."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st


def test_factories_and_dtypes():
    assert st.tensor([1.0, 2.0]).dtype == np.float32
    assert st.tensor([1, 2]).dtype == np.int64
    assert st.tensor(np.arange(3.0)).dtype == np.float64  # NumPy arrays keep their dtype
    assert st.zeros(2, 3).shape == (2, 3) and st.zeros((2, 3)).shape == (2, 3)
    assert st.ones(2, dtype=np.float64).dtype == np.float64
    assert st.full((2, 2), 7.0).numpy().tolist() == [[7, 7], [7, 7]]
    assert st.arange(4).dtype == np.int64 and st.arange(0.0, 1.0, 0.5).dtype == np.float32
    assert st.zeros_like(st.ones(3)).numpy().sum() == 0
    assert st.ones_like(st.zeros(2, 2)).shape == (2, 2)
    with pytest.raises(ValueError, match="negative dimension"):
        st.zeros(-1)


def test_st_tensor_copies_and_Tensor_wraps():
    a = np.zeros(3, dtype=np.float32)
    copied, wrapped = st.tensor(a), st.Tensor(a)
    a[0] = 5
    assert copied.numpy()[0] == 0 and wrapped.numpy()[0] == 5


def test_seeded_randomness_is_bit_identical():
    st.manual_seed(42)
    a = st.randn(100).numpy()
    st.manual_seed(42)
    b = st.randn(100).numpy()
    assert a.tobytes() == b.tobytes()
    g = st.Generator(3)
    state = g.get_state()
    c = st.rand(5, generator=g).numpy()
    g.set_state(state)
    assert st.rand(5, generator=g).numpy().tobytes() == c.tobytes()


def test_properties_and_conversions():
    x = st.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert (x.shape, x.ndim, x.numel(), len(x)) == ((2, 2), 2, 4, 2)
    assert x.sum().item() == 10.0
    assert x.detach().requires_grad is False
    assert x.T.numpy().tolist() == [[1, 3], [2, 4]]
    assert [row.numpy().tolist() for row in x] == [[1, 2], [3, 4]]
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=Mul" in repr(x * 2)
    with pytest.raises(ValueError, match="4 elements"):
        x.item()


def test_indexing_and_comparisons():
    x = st.arange(6.0).reshape(2, 3)
    assert x[1, 2].item() == 5.0
    assert x[:, [0, 2]].numpy().tolist() == [[0, 2], [3, 5]]
    assert (x > 2).numpy().tolist() == [[False, False, False], [True, True, True]]
    assert x[x > 2].numpy().tolist() == [3, 4, 5]
    assert st.argmax(x, axis=1).numpy().tolist() == [2, 2]


def test_reverse_operators_with_numpy_arrays_keep_the_graph():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, st.Tensor) and y.requires_grad


def test_import_is_fast_enough_to_measure():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import steepest"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "steepest" in out.stderr
    assert "steepest.nn" not in out.stderr  # subpackages load lazily
