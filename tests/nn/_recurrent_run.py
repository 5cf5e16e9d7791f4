"""Shared by the recurrent-layer tests: run a layer, backpropagate a loss of every output."""

from __future__ import annotations

import numpy as np

import steepest as st
from steepest import nn


def run_and_collect(module, x, state):
    """Outputs and every gradient after one backward of a loss that uses all the outputs."""
    x = st.Tensor(x.copy(), requires_grad=True)
    lstm = isinstance(module, nn.LSTM)
    if state is not None:
        state = [st.Tensor(s.copy(), requires_grad=True) for s in state]
    out, final = module(x, None if state is None else tuple(state) if lstm else state[0])
    h_n, c_n = final if lstm else (final, final)
    weights = np.linspace(-1, 1, out.numel()).reshape(out.shape)
    loss = (out * st.Tensor(weights)).sum() + (h_n * h_n).sum() + (c_n * c_n * c_n).sum()
    loss.backward()
    results = {"out": out.data, "h_n": h_n.data, "c_n": c_n.data, "x.grad": x.grad.data}
    results.update({f"state{i}.grad": s.grad.data for i, s in enumerate(state or [])})
    results.update({f"{k}.grad": p.grad.data for k, p in module.named_parameters()})
    return results
