"""Independent NumPy implementations of the published update rules, written from the papers
and the algorithm boxes of the PyTorch documentation; they never call steepest.

Each optimizer is a function ``step(params, grads, state, t)`` over lists of float64 arrays,
updating ``params`` in place; ``state`` is a dict it owns, ``t`` the 1-based step number.
"""

from __future__ import annotations

import numpy as np


def sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, l1=0.0):
    def step(params, grads, state, t):
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            g = g + weight_decay * p + l1 * np.sign(p)
            if momentum != 0:
                b = g.copy() if t == 1 else momentum * state[i] + (1 - dampening) * g
                state[i] = b
                g = g + momentum * b if nesterov else b
            p -= lr * g

    return step


def adagrad(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    def step(params, grads, state, t):
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            g = g + weight_decay * p
            clr = lr / (1 + (t - 1) * lr_decay)
            s = state.get(i, np.full_like(p, initial_accumulator_value)) + g * g
            state[i] = s
            p -= clr * g / (np.sqrt(s) + eps)

    return step


def rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    def step(params, grads, state, t):
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            g = g + weight_decay * p
            v, gbar, b = state.get(i, (0.0 * p, 0.0 * p, 0.0 * p))
            v = alpha * v + (1 - alpha) * g**2
            if centered:
                gbar = alpha * gbar + (1 - alpha) * g
                denom = np.sqrt(v - gbar**2) + eps
            else:
                denom = np.sqrt(v) + eps
            if momentum > 0:
                b = momentum * b + g / denom
                p -= lr * b
            else:
                p -= lr * g / denom
            state[i] = (v, gbar, b)

    return step


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    def step(params, grads, state, t):
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            g = g + weight_decay * p
            v, u = state.get(i, (0.0 * p, 0.0 * p))
            v = rho * v + (1 - rho) * g**2
            delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
            u = rho * u + (1 - rho) * delta**2
            p -= lr * delta
            state[i] = (v, u)

    return step


def adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
         decoupled=False, clip_norm=None):  # fmt: skip
    b1, b2 = betas

    def step(params, grads, state, t):
        if clip_norm is not None:
            total = np.sqrt(sum(float((g**2).sum()) for g in grads))
            coef = min(1.0, clip_norm / (total + 1e-6))
            grads = [g * coef for g in grads]
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if decoupled:
                p *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * p
            m, v, vmax = state.get(i, (0.0 * p, 0.0 * p, 0.0 * p))
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            m_hat = m / (1 - b1**t)
            if amsgrad:
                vmax = np.maximum(vmax, v)
                v_hat = vmax / (1 - b2**t)
            else:
                v_hat = v / (1 - b2**t)
            p -= lr * m_hat / (np.sqrt(v_hat) + eps)
            state[i] = (m, v, vmax)

    return step


def nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
          decoupled=False):  # fmt: skip
    b1, b2 = betas

    def step(params, grads, state, t):
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod = state.get("mu_product", 1.0) * mu
        state["mu_product"] = prod
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if decoupled:
                p *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * p
            m, v = state.get(i, (0.0 * p, 0.0 * p))
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            v_hat = v / (1 - b2**t)
            update = (1 - mu) * g / (1 - prod) + mu_next * m / (1 - prod * mu_next)
            p -= lr * update / (np.sqrt(v_hat) + eps)
            state[i] = (m, v)

    return step


def lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
    b1, b2 = betas

    def step(params, grads, state, t):
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            m = state.get(i, 0.0 * p)
            c = b1 * m + (1 - b1) * g
            p -= lr * (np.sign(c) + weight_decay * p)
            state[i] = b2 * m + (1 - b2) * g

    return step
