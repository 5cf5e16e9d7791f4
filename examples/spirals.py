"""Backpropagation end to end: a 2-layer network learns three interleaved spirals.

Nothing but the core: tensors, ops, loss.backward(), and a gradient-descent step written out.
Run: python examples/spirals.py
"""

import time

import numpy as np

import steepest as st


def spirals(n_per_class: int = 200, classes: int = 3, seed: int = 0):
    """Points on ``classes`` noisy spiral arms (the CS231n toy set)."""
    rng = np.random.default_rng(seed)
    x, y = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + rng.normal(0, 0.2, n_per_class)
        x.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        y.append(np.full(n_per_class, c))
    return np.concatenate(x).astype(np.float32), np.concatenate(y)


def main() -> None:
    st.manual_seed(0)
    x, y = spirals()
    hidden, lr, steps = 100, 1.0, 2000
    w1 = (st.randn(2, hidden) * np.sqrt(2 / 2)).requires_grad_()  # He initialization
    b1 = st.zeros(hidden, requires_grad=True)
    w2 = (st.randn(hidden, 3) * np.sqrt(1 / hidden)).requires_grad_()
    b2 = st.zeros(3, requires_grad=True)
    params = [w1, b1, w2, b2]

    start = time.perf_counter()
    for step in range(steps + 1):
        logits = st.relu(st.Tensor(x) @ w1 + b1) @ w2 + b2  # forward: builds the graph
        loss = st.cross_entropy(logits, y)
        for p in params:
            p.grad = None  # gradients accumulate, so clear them before each backward
        loss.backward()  # backpropagation: d loss / d p for every parameter
        with st.no_grad():  # full-batch gradient descent: p <- p - lr * grad
            for p in params:
                p.data -= lr * p.grad.data
        if step % 200 == 0:
            accuracy = (logits.argmax(axis=1).numpy() == y).mean()
            print(f"step {step:5d}  loss {loss.item():.4f}  train accuracy {accuracy:.3f}")
    print(f"{steps} steps of full-batch gradient descent in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
