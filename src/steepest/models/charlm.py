"""Character-level language models: the alphabet they carry, and an LSTM/GRU model.

A language model reads ids ``(N, T)`` and returns next-character logits ``(N, T, V)``:
position ``t`` predicts character ``t + 1``. Each model keeps its alphabet (the Unicode code
points of its ``V`` characters) as a buffer, so a checkpoint alone is enough to generate text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import nn
from ..random import Generator
from ..tensor import Tensor
from ._common import positive_int, probability

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


def check_ids(ids: Any, vocab_size: int, where: str) -> Tensor:
    """``ids`` as an integer Tensor (N, T) with every id in ``[0, vocab_size)``."""
    ids = ids if isinstance(ids, Tensor) else Tensor(np.asarray(ids))
    if ids.ndim != 2 or ids.dtype.kind not in "iu":
        raise ValueError(f"{where}: expected integer character ids of shape (N, T), got "
                         f"{ids.dtype} array of shape {ids.shape}")
    if ids.data.size and (int(ids.data.min()) < 0 or int(ids.data.max()) >= vocab_size):
        raise ValueError(f"{where}: ids must lie in [0, {vocab_size}), got "
                         f"[{int(ids.data.min())}, {int(ids.data.max())}]")
    return ids


class CharModel(nn.Module):
    """Base of the character models: the ``alphabet`` buffer and text <-> ids."""

    vocab_size: int

    def _init_alphabet(self, vocab_size: int) -> None:
        self.vocab_size = vocab_size
        self.register_buffer("alphabet", Tensor(np.zeros(vocab_size, np.int64)))

    def set_alphabet(self, chars: Sequence[str]) -> None:
        """Record the characters of ids ``0 .. V-1`` (e.g. ``sorted(set(text))``)."""
        if len(chars) != self.vocab_size or len(set(chars)) != len(chars):
            raise ValueError(f"{type(self).__name__}: the alphabet must hold {self.vocab_size} "
                             f"distinct characters, got {len(chars)} ({len(set(chars))} distinct)")
        self.alphabet.data[...] = [ord(c) for c in chars]

    @property
    def chars(self) -> str:
        """The alphabet as a string (id ``i`` is ``chars[i]``)."""
        return "".join(map(chr, self.alphabet.data.tolist()))

    def encode(self, text: str) -> np.ndarray:
        """Character ids (int64) of ``text``; ValueError naming a character not in the alphabet."""
        index = {c: i for i, c in enumerate(self.chars)}
        missing = sorted({c for c in text if c not in index})
        if missing:
            raise ValueError(f"{type(self).__name__}: characters not in the model's alphabet: "
                             f"{''.join(missing)!r}")
        return np.fromiter((index[c] for c in text), np.int64, count=len(text))

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        chars = self.chars
        return "".join(chars[int(i)] for i in ids)

    def next_logits(self, ids: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """Logits (N, V) of the character after ``ids`` (N, T), and a state for the next call
        (which then passes the sequence grown by one)."""
        raise NotImplementedError


class CharRNN(CharModel):
    """``Embedding -> LSTM|GRU (num_layers) -> Dropout -> Linear`` over characters.

    ``logits[:, t] = W h_t + b`` where ``h_t`` is the recurrent state after reading characters
    ``0..t``; trained with cross-entropy against the next character, backpropagating through
    time over each chunk. Parameters: ``V E + cell(E, H, layers) + (H + 1) V``.

    ``stateful=True`` (truncated backpropagation through time across chunks, as char-rnn
    does): in training mode each call starts from the state the previous call ended with,
    detached, so the gradient stops at the chunk boundary while the state carries on. Row
    ``i`` of a batch must then continue row ``i`` of the previous batch (see
    ``st.data.text.stream_order``); ``reset_state()`` starts over (at each epoch), and a batch
    of another size starts from zero. In eval mode every call starts from zero.

    >>> lm = st.models.CharRNN(vocab_size=40, hidden_size=64)
    >>> lm(st.tensor(np.zeros((2, 16), np.int64))).shape
    (2, 16, 40)
    """

    def __init__(
        self, vocab_size: int = 96, embed_dim: int = 32, hidden_size: int = 256,
        num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0, dtype: Any = None,
        generator: Generator | None = None, stateful: bool = False,
    ) -> None:
        super().__init__()
        where = "CharRNN"
        if cell not in _CELLS:
            raise ValueError(f"{where}: cell must be 'lstm' or 'gru', got {cell!r}")
        self._init_alphabet(positive_int(vocab_size, "vocab_size", where))
        self.cell = cell
        p = probability(dropout, "dropout", where)
        kw = {"dtype": dtype, "generator": generator}
        self.embedding = nn.Embedding(vocab_size, positive_int(embed_dim, "embed_dim", where), **kw)
        self.rnn = _CELLS[cell](embed_dim, positive_int(hidden_size, "hidden_size", where),
                                positive_int(num_layers, "num_layers", where), batch_first=True,
                                dropout=p, **kw)
        self.dropout = nn.Dropout(p, generator=generator)
        self.head = nn.Linear(hidden_size, vocab_size, **kw)
        if not isinstance(stateful, bool):
            raise TypeError(f"{where}: stateful must be True or False, got {stateful!r}")
        self.stateful = stateful
        self._carry: Any = None

    def reset_state(self) -> None:
        """Forget the carried state: the next training call starts from zero."""
        self._carry = None

    def _run(self, ids: Tensor, state: Any) -> tuple[Tensor, Any]:
        out, state = self.rnn(self.embedding(ids), state)
        return self.head(self.dropout(out)), state

    def forward(self, ids: Any) -> Tensor:
        ids = check_ids(ids, self.vocab_size, "CharRNN")
        if not (self.stateful and self.training):
            return self._run(ids, None)[0]
        carry = self._carry
        if carry is not None and _rows(carry) != ids.shape[0]:
            carry = None  # another batch size: these rows continue nothing
        logits, state = self._run(ids, carry)
        # detached: backpropagation stops at the chunk boundary, the state goes on
        self._carry = tuple(s.detach() for s in state) if isinstance(state, tuple) \
            else state.detach()
        return logits

    def next_logits(self, ids: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        # the state holds everything read so far: feed only what is new
        fresh = ids if state is None else ids[:, -1:]
        logits, state = self._run(check_ids(fresh, self.vocab_size, "CharRNN"), state)
        return logits[:, -1], state

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, cell={self.cell!r}" + (
            ", stateful=True" if self.stateful else "")


def _rows(state: Any) -> int:
    """The batch size of a recurrent state ``h`` or ``(h, c)`` (layers, N, H)."""
    h = state[0] if isinstance(state, tuple) else state
    return int(h.shape[1])
