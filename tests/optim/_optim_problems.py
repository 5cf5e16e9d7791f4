"""Two fixed problems, each with a steepest loss and an independent NumPy gradient."""

from __future__ import annotations

import numpy as np

import steepest as st


class Quadratic:
    """f(z) = 1/2 z^T A z - b^T z with z = [x1 (2x3) flattened, x2 (4,)]; grad = A z - b."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        m = rng.standard_normal((10, 10))
        self.A = m @ m.T / 10 + np.eye(10)
        self.b = rng.standard_normal(10)
        self.init = [rng.standard_normal((2, 3)), rng.standard_normal(4)]
        self._A, self._b = st.tensor(self.A, dtype=np.float64), st.tensor(self.b, dtype=np.float64)

    def loss(self, params):
        z = st.cat([params[0].reshape(6), params[1]])
        return 0.5 * (z @ (self._A @ z)) - self._b @ z

    def grads(self, arrays):
        g = self.A @ np.concatenate([arrays[0].ravel(), arrays[1]]) - self.b
        return [g[:6].reshape(2, 3), g[6:]]


class MLP:
    """A 4-8-3 tanh network with a mean squared error on 16 fixed examples, from raw tensors."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((16, 4))
        self.Y = rng.standard_normal((16, 3))
        self.init = [rng.standard_normal((4, 8)) * 0.5, rng.standard_normal(8) * 0.1,
                     rng.standard_normal((8, 3)) * 0.5, rng.standard_normal(3) * 0.1]  # fmt: skip
        self._X = st.tensor(self.X, dtype=np.float64)
        self._Y = st.tensor(self.Y, dtype=np.float64)

    def loss(self, params):
        w1, b1, w2, b2 = params
        return (((self._X @ w1 + b1).tanh() @ w2 + b2 - self._Y) ** 2).mean()

    def grads(self, arrays):
        w1, b1, w2, b2 = arrays
        h = np.tanh(self.X @ w1 + b1)
        dout = 2 * (h @ w2 + b2 - self.Y) / self.Y.size
        dh = dout @ w2.T * (1 - h**2)
        return [self.X.T @ dh, dh.sum(0), h.T @ dout, dout.sum(0)]


PROBLEMS = {"quadratic": Quadratic, "mlp": MLP}


def leaves(arrays):
    return [st.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]


def train(opt, params, problem, steps):
    for _ in range(steps):
        opt.zero_grad()
        problem.loss(params).backward()
        opt.step()


def reference(rule, problem, steps):
    arrays = [a.copy() for a in problem.init]
    state: dict = {}
    for t in range(1, steps + 1):
        rule(arrays, problem.grads(arrays), state, t)
    return arrays
