"""Text from a character language model: temperature and top-k sampling, one id at a time."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import no_grad
from ..random import Generator, generator_or_default
from ..tensor import Tensor


def sample_next(
    logits: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
    generator: Generator | None = None,
) -> np.ndarray:
    """One id per row of ``logits`` (N, V), drawn from ``softmax(logits / temperature)``
    restricted to the ``top_k`` largest logits; ``temperature == 0`` takes the argmax.

    >>> sample_next(np.array([[0.0, 5.0, 1.0]]), temperature=0.0)
    array([1])
    """
    if not (isinstance(temperature, int | float) and temperature >= 0):
        raise ValueError(f"sample_next: temperature must be a number >= 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"sample_next: top_k must be an int >= 1 or None, got {top_k!r}")
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return logits.argmax(axis=1)
    z = logits / temperature
    if top_k is not None and top_k < z.shape[1]:
        kth = np.partition(z, -top_k, axis=1)[:, -top_k][:, None]
        z = np.where(z >= kth, z, -np.inf)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    u = generator_or_default(generator).np.random((p.shape[0], 1))
    # inverse CDF; the min() guards against u landing past a cumulative sum of 1 - 1e-16
    return np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)


def generate(
    model: Any, prompt: str, length: int = 200, temperature: float = 1.0,
    top_k: int | None = None, generator: Generator | None = None,
) -> str:
    """``prompt`` followed by ``length`` characters sampled from ``model`` (a ``CharModel``).

    >>> text = generate(lm, "Beautiful is ", length=100, temperature=0.8, generator=st.Generator(0))
    """
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError(f"generate: length must be an int >= 0, got {length!r}")
    if not prompt:
        raise ValueError("generate: the prompt must hold at least one character")
    ids = list(model.encode(prompt))
    was_training = model.training
    model.eval()
    state = None
    try:
        with no_grad():
            for _ in range(length):
                logits, state = model.next_logits(Tensor(np.array([ids], np.int64)), state)
                ids.append(int(sample_next(logits.numpy(), temperature, top_k, generator)[0]))
    finally:
        model.train(was_training)
    return model.decode(ids)
