"""Full-batch, stochastic and mini-batch gradient descent: one optimizer, three batch sizes.

All three are ``st.optim.SGD``; they differ only in how many examples each gradient uses:
the whole training set (full batch: exact gradient, one step per epoch), one example
(stochastic: N noisy steps per epoch) or a few (mini-batch: the usual compromise).

Run: python examples/gradient_descent_variants.py
It fits y = X w + b on 512 noisy examples and prints the loss after each epoch.
"""

from __future__ import annotations

import numpy as np

import steepest as st


def make_problem(n: int = 512, d: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w_true, b_true = rng.standard_normal(d), 0.5
    y = X @ w_true + b_true + 0.1 * rng.standard_normal(n)
    return X.astype(np.float32), y.astype(np.float32)


def train(X: np.ndarray, y: np.ndarray, batch_size: int, lr: float, epochs: int, seed: int = 0):
    """Plain SGD on the mean squared error, ``batch_size`` examples per step."""
    rng = np.random.default_rng(seed)
    w = st.zeros(X.shape[1], requires_grad=True)
    b = st.zeros(1, requires_grad=True)
    opt = st.optim.SGD([w, b], lr=lr)
    Xt, yt = st.tensor(X), st.tensor(y)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))  # a fresh shuffle each epoch
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            xb, yb = st.Tensor(X[idx]), st.Tensor(y[idx])
            opt.zero_grad()
            ((xb @ w + b - yb) ** 2).mean().backward()
            opt.step()
        with st.no_grad():
            losses.append(float(((Xt @ w + b - yt) ** 2).mean()))
    return losses


def main() -> None:
    X, y = make_problem()
    runs = {
        "full-batch GD (512 per step)": dict(batch_size=len(X), lr=0.5),
        "stochastic GD (1 per step)": dict(batch_size=1, lr=0.01),
        "mini-batch GD (32 per step)": dict(batch_size=32, lr=0.1),
    }
    for name, kwargs in runs.items():
        losses = train(X, y, epochs=10, **kwargs)
        steps = -(-len(X) // kwargs["batch_size"]) * 10
        print(f"{name:30s} {steps:5d} steps  loss per epoch: "
              + " ".join(f"{loss:.4f}" for loss in losses))  # fmt: skip


if __name__ == "__main__":
    main()
