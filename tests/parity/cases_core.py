"""Parity cases for the core: arithmetic, broadcasting, dtype promotion, gradient conventions."""

from _harness import Case, arg

CASES = [
    Case("mul_broadcast", lambda m, x, y: x * y, [arg((3, 1, 4)), arg((2, 1))]),
    Case("sub_div_chain", lambda m, x, y: (x - y) / (y * y + 1), [arg((2, 3)), arg((3,))]),
    Case("matmul_float32", lambda m, x, y: x @ y, [arg((3, 4), "float32"), arg((4, 2), "float32")]),
    Case("noncontiguous_mul", lambda m, x, y: x * y, [arg((3, 4), noncontiguous=True), arg((4,))]),
    Case("tanh_sum_dim", lambda m, x: x.tanh().sum(1), [arg((3, 4))]),
]


def _inplace_chain(m, x, c):
    """In-place methods on a tensor outside the graph, then used by the graph (fid-core)."""
    k = c.clone()
    k.mul_(2).add_(1).sub_(c, alpha=0.5).div_(3).clamp_(-0.5, 0.8)
    k += 0.25
    k *= 2
    return x * k, k


CASES += [
    # power corners: d/dx x^0 = 0 at x = 0 (not NaN); d/dy 0^y = 0 for y >= 0; negative bases
    Case("pow_zero_exponent_at_zero", lambda m, x: x**0, [arg(values=[0.0, 1.5, -2.0])]),
    Case(
        "pow_tensor_exponent_zero_base",
        lambda m, x, y: x**y,
        [arg(values=[0.0, 0.0, 0.0, 1.5, 0.0]), arg(values=[0.0, 2.0, 1.0, 0.0, 3.0])],
    ),
    Case(
        "pow_negative_base_integer_exponent",
        lambda m, x, y: (x**3, x**2, x**-1, x**y),
        [arg(values=[-2.0, -1.5, -3.0]), arg(values=[2.0, 3.0, 4.0], requires_grad=False)],
    ),
    Case("rpow_exponent_grad", lambda m, y: (2.0**y, 0.0**y), [arg(values=[1.0, 0.0, 2.5])]),
    # kinks: abs'(0) = 0; clamp passes the gradient at its bounds; maximum splits ties
    Case("abs_at_zero", lambda m, x: x.abs(), [arg(values=[0.0, -1.0, 2.0])]),
    Case(
        "clamp_at_bounds",
        lambda m, x: (x.clamp(-1.0, 1.0), x.clamp(min=0.5), x.clamp(max=-1.0)),
        [arg(values=[-1.0, 1.0, 0.5, -2.0, 2.0, 0.0])],
    ),
    Case(
        "maximum_minimum_ties",
        lambda m, x, y: (m.maximum(x, y), m.minimum(x, y)),
        [arg(values=[1.0, 2.0, -1.0]), arg(values=[1.0, 0.0, -1.0])],
    ),
    Case("relu_at_zero", lambda m, x: m.relu(x), [arg(values=[0.0, -1.0, 1.0])]),
    # dtype promotion by category: ints meet floats as the float; 0-d and Python numbers are weak
    Case(
        "promote_int_times_float32",
        lambda m, i, x: i * x,
        [arg((3,), "int64", low=-3, high=3), arg((3,), "float32")],
    ),
    Case(
        "promote_int_div_int",
        lambda m, i, j: i / j,
        [arg((4,), "int64", low=-5, high=5), arg((4,), "int64", low=1, high=4)],
    ),
    Case(
        "promote_float_functions_of_int",
        lambda m, i: (i.exp(), i.sqrt(), i.sigmoid(), i.tanh(), i.log()),
        [arg((3,), "int64", low=1, high=5)],
    ),
    Case(  # the 0-d float64's gradient is a sum of float32 products: float32 rounding
        "promote_float32_with_0d_float64",
        lambda m, x, s: (x * s, s + x, x / s),
        [arg((3,), "float32"), arg((), "float64", low=0.5)],
        rtol=1e-6,
    ),
    Case(
        "promote_float32_with_python_numbers",
        lambda m, x: (x * 2.5, x + 2, 3 / (x + 3), x**2),
        [arg((3,), "float32")],
    ),
    Case(
        "promote_int_with_python_numbers",
        lambda m, i: (i * 2.5, i + 2, i - 1),
        [arg((3,), "int64", low=-3, high=3)],
    ),
    Case(
        "promote_int_with_float64_tensor",
        lambda m, i, x: i + x,
        [arg((3,), "int64", low=-3, high=3), arg((3,), "float64")],
    ),
    Case(
        "promote_float64_0d_with_float32",
        lambda m, s, x: m.maximum(s, x),
        [arg((), "float64"), arg((2, 2), "float32")],
    ),
    Case(
        "mean_of_int_raises",
        lambda m, i: i.mean(),
        [arg((3,), "int64", low=0, high=5)],
        raises=RuntimeError,
    ),
    # in-place methods on a tensor outside the graph
    Case("inplace_methods_chain", _inplace_chain, [arg((4,)), arg((4,), requires_grad=False)]),
]
