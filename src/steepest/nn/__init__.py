"""``st.nn``: modules, layers, initializers, losses and the model summary.

>>> import steepest as st
>>> model = st.nn.Sequential(st.nn.Linear(4, 16), st.nn.ReLU(), st.nn.Linear(16, 3))
>>> logits = model(st.randn(8, 4))
>>> loss = st.nn.functional.cross_entropy(logits, st.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
>>> loss.backward()
"""

from . import functional, init, utils
from .activation import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv2d
from .dropout import Dropout, Dropout2d
from .embedding import Embedding
from .linear import Identity, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import IncompatibleKeys, Module
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .padding import (
    CircularPad2d,
    ConstantPad2d,
    ReflectionPad2d,
    ReplicationPad2d,
    ZeroPad2d,
)
from .parameter import Parameter
from .pooling import AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d, MaxUnpool2d, Upsample
from .recurrent import GRU, LSTM, RNN
from .regularization import l1_penalty, l2_penalty
from .residual import ResidualBlock
from .summary import LayerInfo, Summary, summary

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "GRU",
    "LSTM",
    "RNN",
    "SELU",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "CircularPad2d",
    "ConstantPad2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout2d",
    "Embedding",
    "Flatten",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "HuberLoss",
    "Identity",
    "IncompatibleKeys",
    "KLDivLoss",
    "L1Loss",
    "LayerInfo",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "MaxUnpool2d",
    "Mish",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "ReLU6",
    "ReflectionPad2d",
    "ReplicationPad2d",
    "ResidualBlock",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Summary",
    "Tanh",
    "Upsample",
    "ZeroPad2d",
    "functional",
    "init",
    "l1_penalty",
    "l2_penalty",
    "summary",
    "utils",
]  # fmt: skip
