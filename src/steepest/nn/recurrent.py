"""Recurrent layers: RNN (Elman), GRU and LSTM, multi-layer, optionally batch-first.

With ``fused=False`` backpropagation through time needs no rule of its own: the
loop over time steps is written with ordinary Tensor ops, and the engine
differentiates through it. GRU and LSTM default to ``fused=True``: one node per
layer (``ops.recurrent``) with BPTT written by hand, faster but once
differentiable. Either way the input projection ``x W_ih^T + b_ih`` is one matrix
product for all time steps; only ``h W_hh^T`` runs inside the loop.

Parameters are named and shaped as in PyTorch (``weight_ih_l0`` of shape
(gates * hidden, input), ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, then
``..._l1``), with the gates stacked in PyTorch's order (GRU: r, z, n; LSTM: i, f,
g, o), so state dicts match.

``bidirectional=True`` adds a reverse direction per layer (``weight_ih_l0_reverse``, ...):
the same layer code runs on ``x[::-1]`` (a GetItem, so gradients flow) and its output is
flipped back, ``out_t = [h_t^fwd, h_t^rev]`` of width 2H; layers l > 0 read those 2H
features, and states stack as (num_layers * 2, N, H): l0 forward, l0 reverse, l1 forward...
"""

from __future__ import annotations

import math
from typing import Any

from .. import ops
from ..creation import zeros
from ..ops.recurrent import gru_layer, lstm_layer
from ..random import Generator
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import empty_parameter


def _rnn_step(x_t: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None, act: Any) -> Tensor:
    hh = h @ w_hh_t
    return act(x_t + hh if b_hh is None else x_t + hh + b_hh)


def _gru_step(x_t: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None, n_h: int) -> Tensor:
    hh = h @ w_hh_t
    if b_hh is not None:
        hh = hh + b_hh  # b_hn stays inside r * (...): GRU's one asymmetry
    rz = ops.sigmoid(x_t[:, : 2 * n_h] + hh[:, : 2 * n_h])
    r, z = rz[:, :n_h], rz[:, n_h:]
    n = ops.tanh(x_t[:, 2 * n_h :] + r * hh[:, 2 * n_h :])
    return n + z * (h - n)  # (1 - z) n + z h


def _lstm_step(
    x_t: Tensor, state: tuple[Tensor, Tensor], w_hh_t: Tensor, b_hh: Tensor | None, n_h: int
) -> tuple[Tensor, Tensor]:
    h, c = state
    gates = x_t + h @ w_hh_t
    if b_hh is not None:
        gates = gates + b_hh
    s = ops.sigmoid(gates)  # i, f and o; the g quarter is replaced by tanh below
    i, f, o = s[:, :n_h], s[:, n_h : 2 * n_h], s[:, 3 * n_h :]
    g = ops.tanh(gates[:, 2 * n_h : 3 * n_h])
    c = f * c + i * g
    return o * ops.tanh(c), c


class _RecurrentBase(Module):
    """Shared constructor, parameter layout and time loop of RNN, GRU and LSTM."""

    _gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        dtype: Any = None,
        generator: Generator | None = None,
        *,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if input_size <= 0 or hidden_size <= 0 or num_layers <= 0:
            raise ValueError(
                f"{name}: input_size, hidden_size and num_layers must be positive, got "
                f"{input_size}, {hidden_size}, {num_layers}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1), got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional = bool(bidirectional)
        rows = self._gates * hidden_size
        for layer in range(num_layers):  # PyTorch's order: l0, l0_reverse, l1, ...
            cols = input_size if layer == 0 else self._directions * hidden_size
            for sfx in self._suffixes():
                setattr(self, f"weight_ih_l{layer}{sfx}", empty_parameter((rows, cols), dtype))
                setattr(
                    self, f"weight_hh_l{layer}{sfx}", empty_parameter((rows, hidden_size), dtype)
                )
                if bias:
                    setattr(self, f"bias_ih_l{layer}{sfx}", empty_parameter((rows,), dtype))
                    setattr(self, f"bias_hh_l{layer}{sfx}", empty_parameter((rows,), dtype))
        self.reset_parameters(generator)

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) (PyTorch's)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform(p, -bound, bound, generator)

    def _layer_params(
        self, layer: int, suffix: str = ""
    ) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _prepare(self, x: Tensor) -> tuple[Tensor, bool]:
        """Input as time-major (T, N, F), and whether it came without a batch axis."""
        name = type(self).__name__
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(N, T, F)" if self.batch_first else "(T, N, F)"
            raise ValueError(
                f"{name}: expected input {layout} or (T, F) with F = {self.input_size}, got shape "
                f"{x.shape}"
            )
        unbatched = x.ndim == 2
        if unbatched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, unbatched

    def _initial(self, state: Tensor | None, x: Tensor, unbatched: bool) -> Tensor:
        batch, dtype = x.shape[1], x.dtype
        stacked = self.num_layers * self._directions
        expected = (stacked, self.hidden_size) if unbatched else (stacked, batch, self.hidden_size)
        if state is None:
            return zeros(stacked, batch, self.hidden_size, dtype=dtype, device=x.device)
        if state.shape != expected:
            layers = "num_layers * 2" if self.bidirectional else "num_layers"
            raise ValueError(
                f"{type(self).__name__}: initial state must have shape {expected} "
                f"({layers}, batch, hidden_size), got {state.shape}"
            )
        return state.unsqueeze(1) if unbatched else state

    def _run(self, x: Tensor, initial: list[Any], step: Any) -> tuple[Tensor, list[Any]]:
        """Every layer as a per-step graph; ``step(x_t W_ih^T + b_ih, state, W_hh^T, b_hh)``."""

        def layer_fn(
            x: Tensor, state: Any, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any
        ) -> tuple[Tensor, Any]:
            proj = x @ w_ih.T if b_ih is None else x @ w_ih.T + b_ih  # all steps at once
            w_hh_t = w_hh.T
            outputs = []
            for t in range(x.shape[0]):
                state = step(proj[t], state, w_hh_t, b_hh)
                outputs.append(state[0] if isinstance(state, tuple) else state)
            return ops.stack(outputs, axis=0), state

        return self._run_layers(x, initial, layer_fn)

    def _run_layers(self, x: Tensor, initial: list[Any], layer_fn: Any) -> tuple[Tensor, list[Any]]:
        """Every layer and direction: ``layer_fn(x, state, *params) -> (out, final)`` runs one.

        ``initial[k]`` is the state of layer ``k // D``, direction ``k % D`` (D directions).
        The reverse direction is the same layer run on ``x[::-1]``, its output flipped back.
        """
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(self._suffixes()):
                seq = x[::-1] if d else x
                out, final = layer_fn(
                    seq, initial[layer * self._directions + d], *self._layer_params(layer, suffix)
                )
                outs.append(out[::-1] if d else out)
                finals.append(final)
            x = ops.concatenate(outs, axis=2) if len(outs) > 1 else outs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = ops.dropout(x, self.dropout, training=True)
        return x, finals

    def _output(self, out: Tensor, unbatched: bool) -> Tensor:
        if unbatched:
            return out.squeeze(1)
        return out.transpose(0, 1) if self.batch_first else out

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


def _fused_lstm_layer(x: Tensor, state: tuple[Tensor, Tensor], *params: Any) -> tuple[Any, ...]:
    out, h_n, c_n = lstm_layer(x, state[0], state[1], *params)
    return out, (h_n, c_n)


class _Fusable(_RecurrentBase):
    """The ``fused`` switch of GRU and LSTM: one autograd node per layer, or a graph per step.

    Fused layers (``ops.recurrent``) backpropagate through time by hand and are about twice as
    fast to train, but are once differentiable: ``create_graph=True`` through them raises.
    ``fused=False`` records the per-step graph, which second derivatives can go through.
    Both compute the same function with the same parameters.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        dtype: Any = None,
        generator: Generator | None = None,
        fused: bool = True,
        *,
        bidirectional: bool = False,
    ) -> None:
        self.fused = bool(fused)
        args = (input_size, hidden_size, num_layers, bias, batch_first, dropout, dtype, generator)
        super().__init__(*args, bidirectional=bidirectional)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.fused else ", fused=False")


class _SingleStateRecurrent(_RecurrentBase):
    """RNN and GRU: the state is one tensor h; forward returns ``(output, h_n)``."""

    def _step(self, x_t: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        x, unbatched = self._prepare(x)
        h = self._initial(h0, x, unbatched)
        out, finals = self._run(x, [h[k] for k in range(h.shape[0])], self._step)
        h_n = ops.stack(finals, axis=0)
        return self._output(out, unbatched), (h_n.squeeze(1) if unbatched else h_n)


class RNN(_SingleStateRecurrent):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act tanh or relu.

    Input (T, N, F), or (N, T, F) with ``batch_first=True``, or (T, F); ``h0`` of shape
    (num_layers, N, H), zeros by default. Returns ``(output, h_n)``: the last layer's h at
    every step, and every layer's final h. ``dropout`` applies between layers in training.
    ``bidirectional=True`` (keyword): output (T, N, 2H), forward features first; ``h0`` and
    ``h_n`` (num_layers * 2, N, H), ordered l0 forward, l0 reverse, l1 forward, ...
    Default init (PyTorch's): every parameter ~ U(+-1/sqrt(hidden_size)); ``dtype`` defaults
    to ``st.default_dtype()``.

    >>> rnn = st.nn.RNN(8, 16, batch_first=True)
    >>> out, h_n = rnn(st.randn(4, 30, 8))   # out (4, 30, 16), h_n (1, 4, 16)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        **kwargs: Any,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, **kwargs)

    def _step(self, x_t: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
        act = ops.tanh if self.nonlinearity == "tanh" else ops.relu
        return _rnn_step(x_t, h, w_hh_t, b_hh, act)

    def extra_repr(self) -> str:
        extra = "" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}"
        return super().extra_repr() + extra


class GRU(_Fusable, _SingleStateRecurrent):
    """Gated recurrent unit (Cho et al., 2014), PyTorch's formulation:

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Shapes, ``h0``, the returned ``(output, h_n)`` and the defaults are as for ``RNN``.
    ``fused=True`` (default): one ``ops.recurrent.GRUSequence`` node per layer, once
    differentiable; ``fused=False``: the per-step graph (see ``_Fusable``).

    >>> gru = st.nn.GRU(8, 16, num_layers=2)
    >>> out, h_n = gru(st.randn(30, 4, 8))   # out (30, 4, 16), h_n (2, 4, 16)
    """

    _gates = 3

    def _step(self, x_t: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
        return _gru_step(x_t, h, w_hh_t, b_hh, self.hidden_size)

    def _run(self, x: Tensor, initial: list[Any], step: Any) -> tuple[Tensor, list[Any]]:
        if self.fused:
            return self._run_layers(x, initial, gru_layer)
        return super()._run(x, initial, step)


class LSTM(_Fusable, _RecurrentBase):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), PyTorch's formulation:

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)      f = sigmoid(W_if x + ... )
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)         o = sigmoid(W_io x + ... )
        c' = f * c + i * g                              h' = o * tanh(c')

    Input as for ``RNN``; the state is ``(h0, c0)``, each (num_layers, N, H), zeros by
    default. Returns ``(output, (h_n, c_n))``. Default init: U(+-1/sqrt(hidden_size)).
    ``bidirectional=True``: as for ``RNN``, with ``c0`` and ``c_n`` stacked like ``h0``.

    ``fused=True`` (default): one ``ops.recurrent.LSTMSequence`` node per layer, once
    differentiable; ``fused=False``: the per-step graph (see ``_Fusable``).

    >>> lstm = st.nn.LSTM(8, 16, batch_first=True)
    >>> out, (h_n, c_n) = lstm(st.randn(4, 30, 8))
    """

    _gates = 4

    def forward(
        self, x: Tensor, state: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        x, unbatched = self._prepare(x)
        if state is not None and not (isinstance(state, tuple | list) and len(state) == 2):
            raise TypeError("LSTM: the initial state must be a pair (h0, c0)")
        h0, c0 = (None, None) if state is None else state
        h = self._initial(h0, x, unbatched)
        c = self._initial(c0, x, unbatched)
        initial = [(h[k], c[k]) for k in range(h.shape[0])]
        if self.fused:
            out, finals = self._run_layers(x, initial, _fused_lstm_layer)
        else:
            n_h = self.hidden_size
            step = lambda x_t, s, w, b: _lstm_step(x_t, s, w, b, n_h)  # noqa: E731
            out, finals = self._run(x, initial, step)
        h_n = ops.stack([s[0] for s in finals], axis=0)
        c_n = ops.stack([s[1] for s in finals], axis=0)
        if unbatched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._output(out, unbatched), (h_n, c_n)
