"""Grad mode: per thread, and set_grad_enabled as a call, a ``with`` block and a decorator."""

from __future__ import annotations

import threading

import steepest as st


def _records() -> bool:
    x = st.tensor([1.0], requires_grad=True)
    return (x * 2).requires_grad


def test_set_grad_enabled_as_a_plain_call():
    try:
        st.set_grad_enabled(False)
        assert not st.is_grad_enabled() and not _records()
        st.set_grad_enabled(True)
        assert st.is_grad_enabled() and _records()
    finally:
        st.set_grad_enabled(True)


def test_set_grad_enabled_as_context_manager_restores_previous_mode():
    with st.no_grad():
        with st.set_grad_enabled(True):
            assert _records()
        assert not _records()
    with st.set_grad_enabled(False):
        assert not _records()
    assert _records()


def test_set_grad_enabled_as_decorator_applies_per_call_only():
    @st.set_grad_enabled(False)
    def f():
        return _records()

    assert st.is_grad_enabled()  # decorating did not switch the mode
    assert f() is False
    assert st.is_grad_enabled() and _records()


def test_no_grad_and_enable_grad_as_decorators():
    @st.no_grad()
    def off():
        return _records()

    @st.enable_grad()
    def on():
        return _records()

    assert off() is False
    with st.no_grad():
        assert on() is True
    assert _records()


def test_no_grad_in_one_thread_leaves_another_threads_recording_alone():
    inside = threading.Event()
    done = threading.Event()
    seen = {}

    def worker():
        with st.no_grad():
            inside.set()
            done.wait(10)
            seen["worker"] = _records()

    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(10)
    seen["main"] = _records()  # the worker sits in no_grad right now
    done.set()
    t.join(10)
    assert seen == {"main": True, "worker": False}
    assert _records()


def test_a_new_thread_starts_with_grad_enabled_whatever_the_caller_mode():
    seen = []
    with st.no_grad():
        t = threading.Thread(target=lambda: seen.append(_records()))
        t.start()
        t.join(10)
        assert not _records()
    assert seen == [True]


def test_backward_in_one_thread_does_not_turn_off_recording_in_another():
    """The engine runs rules under grad mode off; other threads keep recording meanwhile."""
    errors = []

    def train():
        try:
            for _ in range(200):
                x = st.randn(8, requires_grad=True)
                (x * x).tanh().sum().backward()
        except Exception as e:  # reported in the main thread
            errors.append(e)

    t = threading.Thread(target=train)
    t.start()
    for _ in range(200):
        assert _records()
    t.join(30)
    assert errors == []


def test_a_recursive_no_grad_function_restores_grad_mode():
    @st.no_grad()
    def depth(n):
        return _records() if n == 0 else depth(n - 1)

    assert depth(3) is False
    assert st.is_grad_enabled() and _records()
