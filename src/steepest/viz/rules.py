"""Each op's derivative rule in words, as ``st.viz.trace`` prints it beside the numbers.

``g`` is the upstream gradient dL/d(output), ``y`` the op's output. An op can state its own
rule with a class attribute ``rule = "..."``; this table covers the built-in ones, and a
test fails when a public op has neither.
"""

from __future__ import annotations

from typing import Any

RULES: dict[str, str] = {
    # elementwise arithmetic (broadcasting is undone by the engine: summed back to each shape)
    "Add": "d(a + b)/da = 1, d(a + b)/db = 1",
    "Sub": "d(a - b)/da = 1, d(a - b)/db = -1",
    "Mul": "d(a b)/da = b, d(a b)/db = a",
    "Div": "d(a / b)/da = 1 / b, d(a / b)/db = -a / b^2",
    "Neg": "d(-x)/dx = -1",
    "Pow": "d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a",
    "Exp": "d exp(x)/dx = exp(x) = y",
    "Log": "d log(x)/dx = 1 / x",
    "Sqrt": "d sqrt(x)/dx = 1 / (2 sqrt(x)) = 1 / (2y)",
    "Abs": "d |x|/dx = sign(x) (0 at x = 0)",
    "Sign": "d sign(x)/dx = 0",
    "Maximum": "d max(a, b) = 1 to the larger input (split equally on a tie)",
    "Minimum": "d min(a, b) = 1 to the smaller input (split equally on a tie)",
    "Clip": "d clip(x, lo, hi)/dx = 1 where lo <= x <= hi, else 0",
    "Where": "d where(c, a, b) = g to a where c, to b elsewhere",
    # activations
    "ReLU": "d relu(x)/dx = 1 if x > 0 else 0",
    "ReLUGrad": "relu's rule, dx = g * (x > 0): linear in g, so its own rule is itself",
    "Sigmoid": "d sigmoid(x)/dx = y (1 - y)",
    "Tanh": "d tanh(x)/dx = 1 - tanh(x)^2 = 1 - y^2",
    "Softplus": "d log(1 + e^x)/dx = sigmoid(x)",
    "Erf": "d erf(x)/dx = 2 / sqrt(pi) exp(-x^2)",
    "Softmax": "dx = y * (g - sum(g * y)) along the softmax axis",
    "LogSoftmax": "dx = g - softmax(x) * sum(g) along the axis",
    # reductions and shapes: they move gradients, they do not scale them
    "Sum": "d sum(x)/dx_i = 1: g is copied to every summed element",
    "_Extreme": "d max(x)/dx_i = 1 for the maximal element (ties share), 0 elsewhere",
    "Max": "d max(x)/dx_i = 1 for the maximal element (ties share), 0 elsewhere",
    "Min": "d min(x)/dx_i = 1 for the minimal element (ties share), 0 elsewhere",
    "Reshape": "dx = g reshaped back to x's shape",
    "Permute": "dx = g with the dims put back in their order (the inverse permutation)",
    "Flip": "dx = g flipped back along the same dims",
    "Roll": "dx = g rolled back by the opposite shift",
    "Clone": "d clone(x)/dx = 1: dx = g",
    "Prod": "d prod(x)/dx_i = the product of all the other elements",
    "Norm2": "d ||x||/dx = x / ||x||",
    "Cumsum": "dx_i = sum of g_j over j >= i (a reversed cumulative sum)",
    "Gather": "dx = zeros with g added back at the gathered positions",
    "ScatterAdd": "d scatter_add(x, idx, src): dx = g, dsrc = g gathered at idx",
    "Transpose": "dx = g with the axes permuted back",
    "BroadcastTo": "dx = g summed over the broadcast axes",
    "Cast": "dx = g cast back to x's dtype",
    "ToDevice": "dx = g moved back to x's device",
    "GetItem": "dx = zeros with g added at the indexed positions",
    "IndexAdd": "dg = the gradient read back at the indexed positions",
    "Concatenate": "dx_k = the slice of g that x_k filled",
    "Pad": "dx = g with the padding cut off",
    "Embedding": "dW[i] = sum of g over the positions that looked up row i",
    # linear algebra, layers and losses
    "MatMul": "d(A B)/dA = g B^T, d(A B)/dB = A^T g",
    "Linear": "y = x W^T + b: dx = g W, dW = g^T x, db = sum_n g",
    "Conv2d": "dx = transposed convolution of g with W, dW = correlation of x with g, db = sum g",
    "Conv2dInputGrad": "the input gradient of a convolution, itself differentiable",
    "Conv2dWeightGrad": "the weight gradient of a convolution, itself differentiable",
    "BatchInnermost": "identity (a memory-layout copy): dx = g",
    "BatchNorm": "dx = (r/M)(M g~ - sum g~ - x^ sum g~ x^), g~ = w g; dw = sum g x^; db = sum g",
    "BinaryCrossEntropy": "d BCE(p, t)/dp = (p - t) / (p (1 - p))",
    "CrossEntropy": "d CE(z, t)/dz = softmax(z) - onehot(t) (with weights and smoothing folded in)",
    # pooling
    "MaxPool2d": "dx = g routed to the maximal element of each window",
    "WindowGather": "dx = g scattered back over each window (x scale)",
    "WindowScatter": "dg = the windows of the upstream gradient, gathered (x scale)",
    "MaxPoolScatter": "as WindowScatter to each window's maxima (shared when tied), in one pass",
    # recurrent layers: whole sequences as one op, backpropagation through time inside
    "LSTMSequence": "backpropagation through time over the gates i, f, g, o and the cell state",
    "GRUSequence": "backpropagation through time over the gates r, z and the candidate n",
}


def rule_of(fn: Any) -> str:
    """The rule in words of the op ``fn`` (a Function instance or class)."""
    cls = fn if isinstance(fn, type) else type(fn)
    own = cls.__dict__.get("rule")
    if isinstance(own, str):
        return own
    for klass in cls.__mro__:  # a subclass (Max of _Extreme) falls back on its family's rule
        if klass.__name__ in RULES:
            return RULES[klass.__name__]
    return f"see {cls.__module__}.{cls.__qualname__}.backward"
