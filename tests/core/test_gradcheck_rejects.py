"""st.gradcheck must reject wrong rules, one kind of wrongness each; and the engine refuses a
gradient whose shape a rule got wrong instead of reshaping it to fit."""

from __future__ import annotations

import re

import numpy as np
import pytest

import steepest as st
from steepest.autograd import Function


def _x(*shape, seed=0):
    return st.randn(*shape, generator=st.Generator(seed), dtype=np.float64, requires_grad=True)


def _op(forward, backward):
    """A one-input op with the given forward (on arrays) and rule (on Tensors)."""
    cls = type(
        "Op",
        (Function,),
        {
            "forward": lambda self, a: forward(a),
            "backward": lambda self, out, g: backward(self.parents[0], out, g),
        },
    )
    return cls.apply


square = _op(lambda a: a * a, lambda x, out, g: g * 2 * x)
roll = _op(lambda a: np.roll(a, 1), lambda x, out, g: st.tensor(np.roll(g.data, -1)))


def test_correct_rules_pass():
    assert st.gradcheck(square, [_x(3, 4)])
    assert st.gradcheck(roll, [_x(5)])


@pytest.mark.parametrize(
    ("kind", "op", "shape"),
    [
        ("sign", _op(lambda a: a * a, lambda x, out, g: -(g * 2 * x)), (3, 4)),
        ("scale", _op(lambda a: a * a, lambda x, out, g: g * 3 * x), (3, 4)),
        ("off by a constant", _op(lambda a: a * a, lambda x, out, g: g * 2 * x + 1e-3), (3, 4)),
        # the gradient of each element sent to its neighbour: a plain sum of the output
        # cannot see this; gradcheck's random weighting of the output does
        ("wrong element", _op(lambda a: np.roll(a, 1), lambda x, out, g: g), (5,)),
        ("missing", _op(lambda a: a * a, lambda x, out, g: None), (3,)),
        (
            "extra broadcast axis",
            _op(lambda a: a * a, lambda x, out, g: (g * 2 * x).broadcast_to((2, 3))),
            (3,),
        ),
        ("uses the output for the input", _op(lambda a: a**3, lambda x, out, g: g * 3 * out), (4,)),
    ],
)
def test_gradcheck_rejects_a_wrong_rule(kind, op, shape):
    with pytest.raises(st.GradcheckError, match="gradcheck failed for input 0"):
        st.gradcheck(op, [_x(*shape)])
    assert st.gradcheck(op, [_x(*shape)], raise_exception=False) is False


def test_gradcheck_rejects_gradients_swapped_between_inputs():
    class SwappedMul(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, out, g):
            a, b = self.parents
            return g * a, g * b  # each input gets the other's gradient

    with pytest.raises(st.GradcheckError):
        st.gradcheck(SwappedMul.apply, [_x(3, seed=1), _x(3, seed=2)])


@pytest.mark.parametrize(
    ("shape", "wrong", "rule"),
    [
        ((3, 4), (4, 3), lambda g: g.reshape(4, 3)),  # the old engine reshaped this to fit
        ((3, 4), (12,), lambda g: g.reshape(12)),
        ((3, 4), (1, 4), lambda g: g[:1]),
        ((2, 3), (2, 3, 1), lambda g: g.reshape(2, 3, 1)),
    ],
)
def test_engine_refuses_a_gradient_of_the_wrong_shape(shape, wrong, rule):
    bad = _op(lambda a: a * 1.0, lambda x, out, g: rule(g))
    x = _x(*shape)
    message = re.escape(
        f"backward of Op: the rule returned a gradient of shape {wrong} "
        f"for input 0 of shape {shape}"
    )
    with pytest.raises(RuntimeError, match=message):
        bad(x).sum().backward()
    with pytest.raises(RuntimeError, match="rule is wrong"):
        st.gradcheck(bad, [x])


def test_engine_still_sums_a_broadcast_gradient():
    x = _x(3, 1)
    y = _x(2, 3, 4, seed=1)
    (x * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.numpy().sum(axis=(0, 2))[:, None])
