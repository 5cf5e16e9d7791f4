"""Seeded randomness: ``st.manual_seed(n)`` and ``st.Generator``.

A Generator wraps NumPy's PCG64 bit generator. The same seed gives
bit-identical draws, and ``get_state()`` is plain JSON-serializable data, so a
checkpoint can store it and a resumed run continues the same random stream.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Generator:
    """A source of random numbers with its own state.

    >>> g = st.Generator(0)
    >>> x = st.randn(3, generator=g)
    >>> g.manual_seed(0)  # same draws again
    """

    def __init__(self, seed: int | None = None) -> None:
        self.manual_seed(seed)

    def manual_seed(self, seed: int | None) -> Generator:
        self.seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed))
        return self

    def get_state(self) -> dict[str, Any]:
        return self.np.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> None:
        self.np.bit_generator.state = state


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator: every random choice of the library that is not given its
    own generator or seed draws from it (initialization, dropout, random factories,
    ``normal_``/``uniform_``, DataLoader shuffling, ``random_split``), as in PyTorch."""
    return default_generator.manual_seed(seed)


def generator_or_default(generator: Generator | None) -> Generator:
    return default_generator if generator is None else generator


def numpy_generator(generator: Generator | np.random.Generator | None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s own, or the global one when None."""
    if generator is None:
        return default_generator.np
    return generator.np if isinstance(generator, Generator) else generator
