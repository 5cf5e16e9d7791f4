"""Parity cases for the core: arithmetic, broadcasting, dtype promotion, gradient conventions."""

from _harness import Case, arg

CASES = [
    Case("mul_broadcast", lambda m, x, y: x * y, [arg((3, 1, 4)), arg((2, 1))]),
    Case("sub_div_chain", lambda m, x, y: (x - y) / (y * y + 1), [arg((2, 3)), arg((3,))]),
    Case("matmul_float32", lambda m, x, y: x @ y, [arg((3, 4), "float32"), arg((4, 2), "float32")]),
    Case("noncontiguous_mul", lambda m, x, y: x * y, [arg((3, 4), noncontiguous=True), arg((4,))]),
    Case("tanh_sum_dim", lambda m, x: x.tanh().sum(1), [arg((3, 4))]),
]
