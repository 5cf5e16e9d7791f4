"""The op library: every differentiable primitive and the composites built from them.

Each primitive is a ``Function`` (forward + derivative rule, side by side); each
composite is a plain function of other ops and needs no rule of its own.
"""

from .activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .conv import conv2d
from .elementwise import (
    abs,
    add,
    clip,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    sign,
    sqrt,
    sub,
    where,
)
from .layers import dropout, embedding
from .linalg import linear, matmul
from .loss import binary_cross_entropy_with_logits, cross_entropy
from .normalization import batch_norm
from .pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .reduce import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from .shape import (
    broadcast_to,
    cast,
    cat,
    concatenate,
    flatten,
    getitem,
    index_add,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
    unsqueeze,
)

# Public ops that have no gradient (their results are integers or booleans).
NON_DIFFERENTIABLE = frozenset({"argmax", "argmin", "eq", "ne", "lt", "le", "gt", "ge"})
# Second names for the same op; tests cover the first name.
ALIASES = {"cat": "concatenate", "permute": "transpose"}

__all__ = [
    "abs",
    "adaptive_avg_pool2d",
    "add",
    "argmax",
    "argmin",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "broadcast_to",
    "cast",
    "cat",
    "clip",
    "concatenate",
    "conv2d",
    "cross_entropy",
    "div",
    "dropout",
    "elu",
    "embedding",
    "eq",
    "exp",
    "flatten",
    "ge",
    "gelu",
    "getitem",
    "gt",
    "index_add",
    "le",
    "leaky_relu",
    "linear",
    "log",
    "log_softmax",
    "logsumexp",
    "lt",
    "matmul",
    "max",
    "max_pool2d",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mul",
    "ne",
    "neg",
    "pad",
    "permute",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "sign",
    "softmax",
    "softplus",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sub",
    "sum",
    "swapaxes",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
    "where",
]  # fmt: skip
