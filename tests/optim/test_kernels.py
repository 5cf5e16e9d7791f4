"""Fused update loops (steepest.optim.kernels): the same bits as the ufunc rules they replace."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import steepest as st
from steepest.optim import kernels


@pytest.fixture
def fused_state():
    """Restore the module's switches after a test flips them."""
    saved = kernels._enabled, kernels._kernels, kernels._import_failed
    yield
    kernels._enabled, kernels._kernels, kernels._import_failed = saved


def train(opt_factory, dtype, fused: bool, steps: int = 25, big: bool = False):
    """Parameters after ``steps`` steps of a small MLP, with fused loops on or off."""
    kernels.set_enabled(fused)
    try:
        st.manual_seed(0)
        width = 400 if big else 24  # big: 160k weights, so the thread pool splits the buffer
        model = st.nn.Sequential(st.nn.Linear(width, width), st.nn.Tanh(), st.nn.Linear(width, 3))
        model.to(dtype=dtype)
        opt = opt_factory(list(model.parameters()))
        rng = np.random.default_rng(1)
        for _ in range(steps):
            x = st.tensor(rng.normal(size=(8, width)), dtype=dtype)
            y = st.tensor(rng.integers(0, 3, 8))
            opt.zero_grad()
            st.cross_entropy(model(x), y).backward()
            opt.step()
        return [p.data.copy() for p in model.parameters()]
    finally:
        kernels.set_enabled(True)


OPTIMIZERS = {
    "adam": lambda ps: st.optim.Adam(ps, lr=1e-2),
    "adam-l2": lambda ps: st.optim.Adam(ps, lr=1e-2, weight_decay=0.1),
    "adamw": lambda ps: st.optim.AdamW(ps, lr=1e-2),
    "adam-clipped": lambda ps: st.optim.Adam(ps, lr=1e-2, transforms=[st.optim.ClipGradNorm(0.5)]),
    "sgd-momentum": lambda ps: st.optim.SGD(ps, lr=0.1, momentum=0.9),
    "sgd-nesterov": lambda ps: st.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_fused_rule_is_bit_identical_to_ufunc_rule(name, dtype, fused_state):
    pytest.importorskip("numba")
    assert kernels.is_enabled()
    fused = train(OPTIMIZERS[name], dtype, fused=True)
    plain = train(OPTIMIZERS[name], dtype, fused=False)
    for a, b in zip(fused, plain, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fused_rule_on_threads_matches_one_thread(fused_state):
    pytest.importorskip("numba")
    threads = st.optim.parallel.get_num_threads()
    try:
        st.optim.parallel.set_num_threads(2)
        two = train(OPTIMIZERS["adam"], np.float32, fused=True, steps=3, big=True)
        st.optim.parallel.set_num_threads(1)
        one = train(OPTIMIZERS["adam"], np.float32, fused=False, steps=3, big=True)
    finally:
        st.optim.parallel.set_num_threads(threads)
    for a, b in zip(two, one, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("nesterov", [False, True])
def test_python_loops_match_the_ufunc_rules(nesterov):
    """The loops themselves (run as plain Python, no numba) compute what the rules compute."""
    rng = np.random.default_rng(0)
    n = 50
    p, d, m, v = (rng.normal(size=n).astype(np.float32) for _ in range(4))
    v = np.abs(v)
    b1, b2, bc2, eps, step = 0.9, 0.999, 0.3, 1e-8, 0.01
    expect = p.copy(), m.copy(), v.copy()
    pe, me, ve = expect
    me += (d - me) * np.float32(1 - b1)
    ve *= np.float32(b2)
    ve += d * d * np.float32(1 - b2)
    pe -= me / (np.sqrt(ve) / np.float32(bc2) + np.float32(eps)) * np.float32(step)
    s = np.float32
    kernels.adam(p, d, m, v, s(1 - b1), s(b2), s(1 - b2), s(bc2), s(eps), s(step))
    for got, want in zip((p, m, v), expect, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)

    p, d, buf = (rng.normal(size=n) for _ in range(3))
    pe, be = p.copy(), buf * 0.9 + d
    pe -= ((be * 0.9 + d) if nesterov else be) * 0.1
    kernels.sgd_momentum(p, d, buf, 0.9, 0.1, nesterov)
    np.testing.assert_allclose(buf, be, rtol=1e-12)
    np.testing.assert_allclose(p, pe, rtol=1e-12)


def test_without_numba_the_ufunc_rules_run(monkeypatch, fused_state):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba now raises ImportError
    kernels._kernels, kernels._import_failed = None, False
    assert not kernels.is_enabled()
    assert kernels.get("adam", np.zeros(3, np.float32)) is None
    params = train(OPTIMIZERS["adam"], np.float64, fused=True, steps=3)
    assert all(np.isfinite(p).all() for p in params)


def test_loops_only_for_float32_and_float64_numpy_arrays(fused_state):
    assert kernels.get("adam", np.zeros(3, np.float16)) is None
    assert kernels.get("adam", [0.0, 1.0]) is None  # not an ndarray (a CuPy array is not either)
    kernels.set_enabled(False)
    assert kernels.get("adam", np.zeros(3, np.float32)) is None
    assert not kernels.is_enabled()


def test_set_enabled_takes_a_bool(fused_state):
    with pytest.raises(TypeError, match="set_enabled"):
        kernels.set_enabled(1)
