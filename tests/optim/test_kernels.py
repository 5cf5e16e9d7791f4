"""Fused update loops (steepest.optim.kernels, C): the same bits as the ufunc rules they replace."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import steepest as st
from steepest.optim import kernels


@pytest.fixture
def fused_state():
    """Put the switch back and forget any library a test built (public switches only)."""
    previous = kernels.set_enabled(True)
    yield
    kernels.set_enabled(previous)
    kernels.reload()  # the next use loads the library of the restored CC and cache


def fresh(monkeypatch, tmp_path, cc: str | None = None) -> None:
    """Forget the loaded library; build into an empty cache under tmp_path (with ``cc``)."""
    monkeypatch.setenv("STEEPEST_CACHE", str(tmp_path))
    if cc is not None:
        monkeypatch.setenv("CC", cc)
    kernels.reload()


def needs_compiler() -> None:
    if not kernels.is_enabled():
        pytest.skip(f"no fused loops on this machine: {kernels.status()}")


def train(opt_factory, dtype, fused: bool, steps: int = 25, big: bool = False):
    """Parameters after ``steps`` steps of a small MLP, with fused loops on or off."""
    previous = kernels.set_enabled(fused)
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
        kernels.set_enabled(previous)


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
    needs_compiler()
    fused = train(OPTIMIZERS[name], dtype, fused=True)
    plain = train(OPTIMIZERS[name], dtype, fused=False)
    for a, b in zip(fused, plain, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fused_rule_on_threads_matches_one_thread(fused_state):
    needs_compiler()
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


def test_without_a_compiler_the_ufunc_rules_run(monkeypatch, tmp_path, fused_state):
    fresh(monkeypatch, tmp_path, cc=str(tmp_path / "no-such-compiler"))
    assert not kernels.is_enabled()
    assert kernels.status().startswith("ufunc rules: no fused loops (FileNotFoundError")
    assert kernels.get("adam", np.zeros(3, np.float32)) is None
    params = train(OPTIMIZERS["adam"], np.float64, fused=True, steps=3)
    assert all(np.isfinite(p).all() for p in params)


def test_a_failed_compile_is_reported_and_the_ufunc_rules_run(monkeypatch, tmp_path, fused_state):
    fake = tmp_path / "cc"
    fake.write_text("#!/bin/sh\necho 'kernels.c: broken compiler' >&2\nexit 1\n")
    fake.chmod(0o755)
    fresh(monkeypatch, tmp_path, cc=str(fake))
    assert not kernels.is_enabled()
    assert "compiling kernels.c failed: kernels.c: broken compiler" in kernels.status()


def test_a_compiler_without_march_native_still_builds(monkeypatch, tmp_path, fused_state):
    needs_compiler()
    fake = tmp_path / "cc"
    fake.write_text(
        '#!/bin/sh\nfor a in "$@"; do [ "$a" = -march=native ] && exit 1; done\nexec cc "$@"\n'
    )
    fake.chmod(0o755)
    fresh(monkeypatch, tmp_path, cc=str(fake))
    assert kernels.is_enabled(), kernels.status()
    fused = train(OPTIMIZERS["adam"], np.float32, fused=True, steps=5)
    plain = train(OPTIMIZERS["adam"], np.float32, fused=False, steps=5)
    for a, b in zip(fused, plain, strict=True):
        np.testing.assert_array_equal(a, b)


def test_threads_asking_at_once_build_once(monkeypatch, tmp_path, fused_state):
    needs_compiler()
    fresh(monkeypatch, tmp_path)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: kernels.get("adam", np.zeros(2, np.float32)), range(8)))
    assert all(g is got[0] and g is not None for g in got)
    assert len(list((tmp_path / "kernels").glob("kernels-*.so"))) == 1


def test_the_build_is_cached_and_reused(monkeypatch, tmp_path, fused_state):
    needs_compiler()
    fresh(monkeypatch, tmp_path)
    assert kernels.is_enabled()
    (built,) = (tmp_path / "kernels").glob("kernels-*.so")
    assert str(built) in kernels.status()

    def no_compiler(*args, **kwargs):
        raise AssertionError("compiled again although the cache holds the library")

    monkeypatch.setattr(subprocess, "run", no_compiler)
    fresh(monkeypatch, tmp_path)
    assert kernels.is_enabled() and str(built) in kernels.status()


def test_an_unwritable_cache_still_gives_fused_loops(monkeypatch, tmp_path, fused_state):
    needs_compiler()
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    fresh(monkeypatch, blocker)  # STEEPEST_CACHE is a file: the kernels directory cannot exist
    assert kernels.is_enabled()
    assert "fused loops:" in kernels.status()
    assert train(OPTIMIZERS["adam"], np.float32, fused=True, steps=2)


def test_arrays_that_do_not_fit_are_refused(fused_state):
    needs_compiler()
    adam = kernels.get("adam", np.zeros(4, np.float32))
    a, b = np.zeros(4, np.float32), np.zeros(8, np.float32)[::2]
    s = np.float32(0.5)
    with pytest.raises(ValueError, match=r"kernels\.adam: needs contiguous 1-D arrays"):
        adam(a, b, a.copy(), a.copy(), s, s, s, s, s, s)


def test_loops_only_for_float32_and_float64_numpy_arrays(fused_state):
    assert kernels.get("adam", np.zeros(3, np.float16)) is None
    assert kernels.get("adam", [0.0, 1.0]) is None  # not an ndarray (a CuPy array is not either)
    kernels.set_enabled(False)
    assert kernels.get("adam", np.zeros(3, np.float32)) is None
    assert not kernels.is_enabled()
    assert "disabled" in kernels.status()


def test_set_enabled_takes_a_bool(fused_state):
    with pytest.raises(TypeError, match="set_enabled"):
        kernels.set_enabled(1)


def test_set_enabled_returns_the_previous_setting(fused_state):
    kernels.set_enabled(False)
    assert kernels.set_enabled(True) is False
    assert kernels.set_enabled(True) is True
