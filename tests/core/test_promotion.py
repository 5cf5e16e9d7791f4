"""dtype promotion as PyTorch's (promotion.py) and the power rule's corner gradients."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st
from steepest.promotion import result_type


def a(dtype, shape=(3,)):
    return np.zeros(shape, dtype)


@pytest.mark.parametrize(
    ("arrays", "want"),
    [
        ((a("int64"), a("float32")), "float32"),  # NumPy: float64
        ((a("float32"), a("float64", ())), "float32"),  # a 0-d tensor does not widen a batch
        ((a("float64", ()), a("float32")), "float32"),
        ((a("int64"), a("float64", ())), "float64"),  # a 0-d of a higher category decides
        ((a("float32", ()), a("float64", ())), "float64"),
        ((a("int32"), a("int64", ())), "int32"),
        ((a("bool"), a("int8")), "int8"),
        ((a("float16"), a("float64")), "float64"),
        ((a("uint8"), a("int8")), "int16"),
    ],
)
def test_result_type_follows_pytorch_categories(arrays, want):
    assert result_type(*arrays) == np.dtype(want)


def test_python_numbers_take_the_tensor_dtype_or_the_default_float():
    f32 = st.tensor([1.0, 2.0])
    i64 = st.tensor([1, 2])
    assert (f32 * 2).dtype == np.float32 and (f32 + 2.5).dtype == np.float32
    assert (i64 + 2).dtype == np.int64
    assert (i64 * 2.5).dtype == np.float32  # the default float, not float64
    st.set_default_dtype("float64")
    try:
        assert (i64 * 2.5).dtype == np.float64 and (i64 / i64).dtype == np.float64
    finally:
        st.set_default_dtype("float32")


def test_float_functions_of_ints_are_float32():
    i = st.tensor([1, 4, 9])
    for y in (i.exp(), i.log(), i.sqrt(), i.sigmoid(), i.tanh(), i / i, i / 2):
        assert y.dtype == np.float32
    np.testing.assert_allclose(i.sqrt().numpy(), [1, 2, 3])


def test_gradient_of_a_0d_float64_scalar_mixed_with_float32_is_float64():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    s = st.tensor(3.0, dtype=np.float64, requires_grad=True)
    y = x * s
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float64
    assert s.grad.item() == pytest.approx(3.0)


def test_mean_of_an_int_tensor_raises_as_in_pytorch():
    with pytest.raises(RuntimeError, match=r"int64.*x\.float"):
        st.tensor([1, 2, 3]).mean()
    assert st.tensor([1, 2, 3]).float().mean().item() == 2.0


def f64(values, requires_grad=True):
    return st.tensor(values, dtype=np.float64, requires_grad=requires_grad)


def test_x_to_the_zero_has_zero_gradient_at_zero():
    x = f64([0.0, 2.0])
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_exponent_gradient_at_zero_base():
    b = f64([0.0, 1.0, 2.0])
    (0.0**b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0, 0.0])


def test_power_gradients_away_from_corners_pass_gradcheck_twice():
    x = f64([0.5, 1.5, 2.0])
    y = f64([0.0, 2.0, -1.5])
    assert st.gradcheck(lambda x, y: x**y, [x, y])
    assert st.gradgradcheck(lambda x, y: x**y, [x, y])
    assert st.gradgradcheck(lambda x: x**3, [f64([-2.0, 0.5])])
