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
        self._device: Any = None  # a CuPy generator, made on the first draw on the GPU
        return self

    def for_array(self, xp: Any) -> Any:
        """The generator that draws on ``xp``'s device (``xp`` from ``backend.array_module``):
        ``self.np`` on the host; on the GPU a CuPy generator seeded from this one's state, so
        ``st.manual_seed`` fixes device draws too and the host stream is left untouched."""
        if xp is np:
            return self.np
        if self._device is None:
            probe = np.random.Generator(np.random.PCG64())
            probe.bit_generator.state = self.np.bit_generator.state  # a copy: no host draw used
            self._device = xp.random.default_rng(int(probe.integers(2**63)))
        return self._device

    def get_state(self) -> dict[str, Any]:
        return self.np.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore the host stream; a device generator is re-seeded from it on its next draw."""
        self.np.bit_generator.state = state
        self._device = None


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
