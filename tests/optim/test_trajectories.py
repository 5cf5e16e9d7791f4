"""Every optimizer, with its options, follows the published equations for >= 100 steps.

The reference (``_optim_reference``) is plain NumPy with hand-written gradients; steepest
computes gradients by backprop and updates flat buffers. They agree to 1e-10 in float64.
"""

from __future__ import annotations

import _optim_reference as ref
import numpy as np
import pytest
from _optim_problems import PROBLEMS, leaves, reference, train

import steepest as st

STEPS = 120

# (optimizer, its keyword arguments, the reference rule with the same hyperparameters)
CASES = [
    ("SGD", dict(lr=0.05), ref.sgd(0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9), ref.sgd(0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3), ref.sgd(0.05, 0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), ref.sgd(0.05, 0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1),
     ref.sgd(0.05, 0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1), ref.adagrad(0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.05),
     ref.adagrad(0.1, 0.01, 0.05, 0.1)),
    ("RMSprop", dict(lr=0.003), ref.rmsprop(0.003)),
    ("RMSprop", dict(lr=0.003, centered=True), ref.rmsprop(0.003, centered=True)),
    ("RMSprop", dict(lr=0.003, momentum=0.5), ref.rmsprop(0.003, momentum=0.5)),
    ("RMSprop", dict(lr=0.003, alpha=0.95, centered=True, momentum=0.5, weight_decay=0.1),
     ref.rmsprop(0.003, 0.95, weight_decay=0.1, momentum=0.5, centered=True)),
    ("Adadelta", dict(), ref.adadelta()),
    ("Adadelta", dict(lr=0.5, rho=0.95, weight_decay=0.1),
     ref.adadelta(0.5, 0.95, weight_decay=0.1)),
    ("Adam", dict(lr=0.005), ref.adam(0.005)),
    ("Adam", dict(lr=0.005, amsgrad=True), ref.adam(0.005, amsgrad=True)),
    ("Adam", dict(lr=0.005, betas=(0.8, 0.99), weight_decay=0.1),
     ref.adam(0.005, (0.8, 0.99), weight_decay=0.1)),
    ("Adam", dict(lr=0.005, weight_decay=0.1, amsgrad=True),
     ref.adam(0.005, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.005), ref.adam(0.005, weight_decay=0.01, decoupled=True)),
    ("AdamW", dict(lr=0.005, weight_decay=0.2, amsgrad=True),
     ref.adam(0.005, weight_decay=0.2, amsgrad=True, decoupled=True)),
    ("NAdam", dict(lr=0.002), ref.nadam(0.002)),
    ("NAdam", dict(lr=0.002, weight_decay=0.05, momentum_decay=0.01),
     ref.nadam(0.002, weight_decay=0.05, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.002, weight_decay=0.05, decoupled_weight_decay=True),
     ref.nadam(0.002, weight_decay=0.05, decoupled=True)),
    ("Lion", dict(lr=1e-3), ref.lion(1e-3)),
    ("Lion", dict(lr=1e-3, betas=(0.95, 0.98), weight_decay=0.5),
     ref.lion(1e-3, (0.95, 0.98), weight_decay=0.5)),
]  # fmt: skip


def _id(case):
    name, kwargs, _ = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("problem_name", sorted(PROBLEMS))
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_published_equations(case, problem_name):
    name, kwargs, rule = case
    problem = PROBLEMS[problem_name]()
    params = leaves(problem.init)
    opt = getattr(st.optim, name)(params, **kwargs)
    train(opt, params, problem, STEPS)
    expected = reference(rule, problem, STEPS)
    for p, e, start in zip(params, expected, problem.init, strict=True):
        assert not np.allclose(e, start, atol=1e-3), "the reference did not move: a weak test"
        np.testing.assert_allclose(p.data, e, rtol=0, atol=1e-10)


def test_every_optimizer_is_covered():
    names = {c[0] for c in CASES}
    classes = [getattr(st.optim, n) for n in st.optim.__all__]
    optimizers = {
        c.__name__ for c in classes if isinstance(c, type) and issubclass(c, st.optim.Optimizer)
    }
    assert names == optimizers - {"Optimizer"}


def test_float32_follows_the_float64_reference_closely():
    problem = PROBLEMS["mlp"]()
    params = [st.tensor(a.astype(np.float32), requires_grad=True) for a in problem.init]
    X, Y = st.tensor(problem.X.astype(np.float32)), st.tensor(problem.Y.astype(np.float32))
    opt = st.optim.Adam(params, lr=0.005)
    for _ in range(STEPS):
        opt.zero_grad()
        w1, b1, w2, b2 = params
        (((X @ w1 + b1).tanh() @ w2 + b2 - Y) ** 2).mean().backward()
        opt.step()
    expected = reference(ref.adam(0.005), problem, STEPS)
    for p, e in zip(params, expected, strict=True):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.data, e, atol=2e-4)
