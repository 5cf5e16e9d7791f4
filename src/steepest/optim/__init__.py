r"""Optimizers, learning-rate schedules and gradient transforms.

Every optimizer is state set-up plus one update rule (its docstring gives the equations,
identical to PyTorch's so trajectories match); weight decay, the L1 penalty and clipping are
composable ``transforms``. Parameters, gradients and state live in flat buffers, so a step
costs a handful of NumPy calls however many tensors the model has (``optimizer.py``).

Gradient descent, stochastic gradient descent and mini-batch gradient descent are one
optimizer, ``SGD``; they differ only in the batch that the loss is computed on:

* full-batch gradient descent: the whole training set each step, :math:`p \leftarrow p -
  \eta \nabla \frac1N \sum_{i=1}^N \ell_i(p)` (exact gradient, one step per epoch);
* stochastic gradient descent: one example :math:`i` drawn at random each step,
  :math:`p \leftarrow p - \eta \nabla \ell_i(p)` (noisy, N steps per epoch);
* mini-batch gradient descent: a random batch :math:`B` of a few examples,
  :math:`p \leftarrow p - \eta \nabla \frac1{|B|} \sum_{i \in B} \ell_i(p)`.

``examples/gradient_descent_variants.py`` runs all three on one regression problem, and
``docs/optimizers.md`` explains the design and every rule.

>>> opt = st.optim.SGD([w, b], lr=0.1)
>>> for xb, yb in batches:          # all of X, one row, or a few rows
...     opt.zero_grad(); (((xb @ w + b) - yb) ** 2).mean().backward(); opt.step()
"""

from . import kernels, lr_scheduler, parallel, registry, transforms
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lion import Lion
from .nadam import NAdam
from .optimizer import Optimizer
from .registry import OptimizerSpec, create, names, register, spec
from .rmsprop import RMSprop
from .sgd import SGD
from .transforms import (
    ClipGradNorm,
    ClipGradValue,
    DecoupledWeightDecay,
    L1Penalty,
    Transform,
    WeightDecay,
)

__all__ = [
    "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "ClipGradNorm", "ClipGradValue",
    "DecoupledWeightDecay", "L1Penalty", "Lion", "NAdam", "Optimizer", "OptimizerSpec", "RMSprop",
    "Transform", "WeightDecay", "create", "kernels", "lr_scheduler", "names", "parallel",
    "register", "registry", "spec", "transforms",
]  # fmt: skip
