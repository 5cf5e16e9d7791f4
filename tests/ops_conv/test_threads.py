"""The threaded kernels (ops/threads.py): every split of conv2d and pooling work gives the
loop references' results, in float64 and float32, and BLAS gets its thread count back."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
from references import (
    conv_inputs,
    draw,
    ref_avg_pool2d,
    ref_conv2d,
    ref_conv2d_input_grad,
    ref_conv2d_weight_grad,
    ref_max_pool2d,
)
from test_conv import CONFIGS, IDS

import steepest as st
from steepest.ops import _im2col, threads
from steepest.ops.conv import conv2d, conv2d_input_grad, conv2d_weight_grad
from steepest.ops.pool import avg_pool2d, max_pool2d


@pytest.fixture
def split(monkeypatch):
    """Every kernel cut into as many blocks as it allows (up to 3), each block's rows in chunks
    of one row (test_conv.py covers the unchunked kernels), the task counts recorded."""
    counts: list[int] = []
    real_run = threads.run

    def spy(tasks):
        counts.append(len(tasks))
        return real_run(tasks)

    monkeypatch.setattr(threads, "MIN_ELEMENTS_PER_BLOCK", 1)
    monkeypatch.setattr(_im2col, "CHUNK_BYTES", 1)
    monkeypatch.setattr(threads, "run", spy)
    before = threads.get_num_threads()
    threads.set_num_threads(3)
    yield counts
    threads.set_num_threads(before)


def _conv_all(x, w, b, groups, kwargs):
    """conv2d, its input gradient and its weight gradient, each through its own op."""
    y = conv2d(st.Tensor(x), st.Tensor(w), st.Tensor(b), groups=groups, **kwargs).numpy()
    g = draw(*y.shape).astype(x.dtype)
    dx = conv2d_input_grad(st.Tensor(g), st.Tensor(w), x.shape, groups=groups, **kwargs)
    dw = conv2d_weight_grad(st.Tensor(x), st.Tensor(g), w.shape[2:], groups=groups, **kwargs)
    return y, g, dx.numpy(), dw.numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("label", "shape", "kwargs"), CONFIGS, ids=IDS)
def test_split_conv_matches_references(split, label, shape, kwargs, dtype):
    groups = shape[-1]
    x, w, b = (a.astype(dtype) for a in conv_inputs(*shape))
    y, g, dx, dw = _conv_all(x, w, b, groups, kwargs)
    assert y.dtype == dx.dtype == dw.dtype == dtype
    assert max(split) > 1  # the work really was cut (rows of the output, or channels)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-5)
    args = [a.astype(np.float64) for a in (x, w, b, g)]
    np.testing.assert_allclose(y, ref_conv2d(*args[:3], groups=groups, **kwargs), **tol)
    if isinstance(kwargs.get("padding"), str):  # the gradient references take numbers only:
        threads.set_num_threads(1)  # compare with the unsplit kernels instead
        g64 = st.Tensor(args[3])
        want_dx = conv2d_input_grad(g64, st.Tensor(args[1]), x.shape, groups=groups, **kwargs)
        want_dw = conv2d_weight_grad(st.Tensor(args[0]), g64, w.shape[2:], groups=groups, **kwargs)
        want_dx, want_dw = want_dx.numpy(), want_dw.numpy()
        threads.set_num_threads(3)
    else:
        want_dx = ref_conv2d_input_grad(args[3], args[1], x.shape, groups=groups, **kwargs)
        want_dw = ref_conv2d_weight_grad(args[0], args[3], w.shape[2:], groups=groups, **kwargs)
    np.testing.assert_allclose(dx, want_dx, **tol)
    np.testing.assert_allclose(dw, want_dw, **tol)


def test_split_conv_gradcheck(split):
    """conv2d's rule through the split kernels, in float64 (bias, strides, dilation, groups)."""
    x, w, b = conv_inputs(2, 4, 6, 7, 6, 3, 2, groups=2)
    kw = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    inputs = [st.Tensor(a, requires_grad=True) for a in (x, w, b)]
    assert st.gradcheck(lambda x_, w_, b_: conv2d(x_, w_, b_, **kw), inputs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("pool", "ref", "kwargs"),
    [(max_pool2d, ref_max_pool2d, dict(kernel_size=2)),
     (max_pool2d, ref_max_pool2d, dict(kernel_size=3, stride=2, padding=1, dilation=(1, 2))),
     (avg_pool2d, ref_avg_pool2d, dict(kernel_size=3, stride=1, padding=1))],
    ids=["max2", "max-overlap-dilated", "avg-overlap"],
)  # fmt: skip
def test_split_pooling_matches_unsplit(split, pool, ref, kwargs, dtype):
    """Forward against the loop reference; gradients (through the scatter and, for max, the
    mask) against the same op run on one thread; in a conv's batch-innermost layout too."""
    x = draw(3, 5, 7, 8).astype(dtype)
    g = draw(*ref(x, **kwargs).shape).astype(dtype)
    for layout in (x, np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)):
        xt = st.Tensor(layout, requires_grad=True)
        y = pool(xt, **kwargs)
        y.backward(st.Tensor(g))
        assert max(split) > 1
        tol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(y.numpy(), ref(x, **kwargs), rtol=tol, atol=tol)
        threads.set_num_threads(1)
        x1 = st.Tensor(layout, requires_grad=True)
        pool(x1, **kwargs).backward(st.Tensor(g))
        threads.set_num_threads(3)
        np.testing.assert_allclose(xt.grad.numpy(), x1.grad.numpy(), rtol=tol, atol=tol)


def test_split_max_pool_gradgradcheck(split):
    x = st.Tensor(draw(2, 4, 5, 5), requires_grad=True)
    assert st.gradgradcheck(lambda a: max_pool2d(a, 3, stride=2, padding=1), [x])


def test_blas_threads_are_restored_and_tasks_run_on_other_threads():
    controls = threads._blas_controls()
    assert controls is not None, "NumPy's OpenBLAS not found: kernels would never be split"
    _, get = controls
    before = get()
    seen = []
    threads.set_num_threads(2)
    try:
        out = threads.run([lambda: seen.append((threading.get_ident(), get())) or 1] * 2)
    finally:
        threads.set_num_threads(threads.default_threads())
    assert out == [1, 1]
    assert {blas for _, blas in seen} == {1}  # one BLAS thread inside every block
    assert len({ident for ident, _ in seen}) == 2
    assert get() == before


def test_a_failing_block_raises_after_all_blocks_finish():
    done = []

    def fail():
        raise RuntimeError("block 0 failed")

    threads.set_num_threads(2)
    try:
        with pytest.raises(RuntimeError, match="block 0 failed"):
            threads.run([fail, lambda: done.append(1)])
    finally:
        threads.set_num_threads(threads.default_threads())
    assert done == [1]


def test_ranges_and_parts():
    assert threads.ranges(7, 3) == [(0, 2), (2, 4), (4, 7)]
    assert threads.ranges(2, 3) == [(0, 1), (1, 2)]
    threads.set_num_threads(1)
    assert threads.parts(10**9, 100) == 1
    threads.set_num_threads(4)
    try:
        assert threads.parts(10**9, 3) == 3  # no more blocks than rows
        assert threads.parts(threads.MIN_ELEMENTS_PER_BLOCK - 1, 100) == 1  # too small
    finally:
        threads.set_num_threads(threads.default_threads())
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match=r"ops\.set_num_threads"):
            threads.set_num_threads(bad)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_split_batch_norm_matches_the_formula(split, dtype):
    """Forward and the three gradients of training-mode batch norm, channel blocks on threads,
    in NCHW and in a conv's batch-innermost layout, against the formula in NumPy float64."""
    x = draw(4, 5, 3, 6)
    w, b, g = draw(5), draw(5), draw(4, 5, 3, 6)
    axes = (0, 2, 3)
    mu = x.mean(axes, keepdims=True)
    r = 1.0 / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    xhat = (x - mu) * r
    wc = w.reshape(1, -1, 1, 1)
    want_db, want_dw = g.sum(axes), (g * xhat).sum(axes)
    dxhat = g * wc  # dL/dx-hat; the textbook form of the rule, not the op's own arrangement
    mean = lambda a: a.mean(axes, keepdims=True)  # noqa: E731
    want_dx = r * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)
    inner = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    for layout in (x, inner):
        ts = [st.Tensor(a.astype(dtype), requires_grad=True) for a in (layout, w, b)]
        y = st.batch_norm(ts[0], weight=ts[1], bias=ts[2], training=True)
        y.backward(st.Tensor(g.astype(dtype)))
        assert max(split) > 1 and y.dtype == dtype
        np.testing.assert_allclose(y.numpy(), xhat * wc + b.reshape(1, -1, 1, 1), **tol)
        np.testing.assert_allclose(ts[0].grad.numpy(), want_dx, **tol)
        np.testing.assert_allclose(ts[1].grad.numpy(), want_dw, **tol)
        np.testing.assert_allclose(ts[2].grad.numpy(), want_db, **tol)


def test_the_environment_sets_the_thread_count(monkeypatch):
    monkeypatch.setenv("STEEPEST_NUM_THREADS", "3")
    assert threads.default_threads() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("STEEPEST_NUM_THREADS", bad)
        with pytest.raises(ValueError, match="STEEPEST_NUM_THREADS must be a positive integer"):
            threads.default_threads()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_splits_work_with_threads_of_its_own():
    threads.set_num_threads(2)
    try:
        threads.run([lambda: None, lambda: None])  # the parent's pool now has a thread
        pid = os.fork()
        if pid == 0:  # child: a hang here would be the pool's dead threads
            ok = threads.run([lambda: 1, lambda: 2]) == [1, 2]
            os._exit(0 if ok else 1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child's split work never finished")
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        threads.set_num_threads(threads.default_threads())


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((7, 5), (5, 3)),  # more rows than columns: cut by rows
     ((3, 5), (5, 9)),  # cut by columns
     ((4, 6, 5), (4, 5, 3)),  # batched
     ((2, 1, 6, 5), (3, 5, 4)),  # batch dimensions broadcast
     ((6, 5), (2, 5, 7))],
    ids=["rows", "columns", "batched", "broadcast", "broadcast-a"],
)  # fmt: skip
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_split_matmul_matches_numpy(monkeypatch, a_shape, b_shape, dtype):
    """Every cut of threads.matmul gives np.matmul's product, shape and dtype, with BLAS on
    one thread inside each block and back to its own count afterwards."""
    _, get = threads._blas_controls()
    before, seen = get(), []
    real = np.matmul

    def spy(*args, **kwargs):
        seen.append(get())
        return real(*args, **kwargs)

    monkeypatch.setattr(threads, "MIN_MACS_PER_BLOCK", 1)
    monkeypatch.setattr(threads, "BLAS_SPIN_S", float("inf"))  # as if a conv had just split
    monkeypatch.setattr(threads.np, "matmul", spy)
    a, b = draw(*a_shape).astype(dtype), draw(*b_shape).astype(dtype)
    threads.set_num_threads(3)
    try:
        got = threads.matmul(a, b)
    finally:
        threads.set_num_threads(threads.default_threads())
    want = real(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-14)
    assert len(seen) == 3 and set(seen) == {1}  # three blocks, BLAS on one thread in each
    assert get() == before


def test_matmul_keeps_to_blas_threads_unless_ours_just_ran(monkeypatch):
    """A product long after the last split runs on BLAS's own threads (an MLP's case); one
    right after a split runs on ours (a CNN's): mixing the two would make them spin at once."""
    _, get = threads._blas_controls()
    seen = []
    real = np.matmul
    monkeypatch.setattr(threads, "MIN_MACS_PER_BLOCK", 1)
    monkeypatch.setattr(threads.np, "matmul", lambda *a, **k: seen.append(get()) or real(*a, **k))
    a, c = draw(4, 3), draw(3, 2)
    threads.set_num_threads(2)
    try:
        monkeypatch.setattr(threads, "_last_split", -1e9)
        threads.matmul(a, c, out=np.empty((4, 2)))
        assert seen == [get()]  # one call, BLAS as configured
        threads.run([lambda: None, lambda: None])  # a split: now ours
        seen.clear()
        threads.matmul(a, c)
        assert seen == [1, 1]
    finally:
        threads.set_num_threads(threads.default_threads())


def test_matmul_leaves_other_operands_to_numpy():
    """One configured thread, or a 1-D operand: plain ``a @ b``, NumPy's own result."""
    a, b, c = draw(4, 3), draw(3), draw(3, 2)
    np.testing.assert_array_equal(threads.matmul(a, b), a @ b)
    threads.set_num_threads(1)
    try:
        np.testing.assert_array_equal(threads.matmul(a, c), a @ c)
    finally:
        threads.set_num_threads(threads.default_threads())


@pytest.mark.parametrize("f", [np.add, np.subtract, np.multiply, np.maximum])
def test_split_ufunc_matches_numpy_in_any_layout(monkeypatch, f):
    """Blocks along the outermost memory axis give the whole op's values and keep the
    layout (NCHW, batch-innermost, a transposed view), with an array or a scalar second operand."""
    monkeypatch.setattr(threads, "MIN_ELEMENTS_PER_UFUNC_BLOCK", 1)
    calls = []
    real_run = threads.run
    monkeypatch.setattr(threads, "run", lambda tasks: calls.append(len(tasks)) or real_run(tasks))
    x, y = draw(4, 3, 5, 6).astype(np.float32), draw(4, 3, 5, 6).astype(np.float32)
    inner = lambda a: np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)  # noqa: E731
    threads.set_num_threads(3)
    try:
        for a, b in ((x, y), (inner(x), inner(y)), (x.transpose(0, 1, 3, 2), 0.5)):
            got = threads.ufunc(f, a, b)
            np.testing.assert_array_equal(got, f(a, b))
            assert got.dtype == np.float32 and got.strides == np.empty_like(a).strides
        assert calls == [3, 3, 3]
        calls.clear()
        np.testing.assert_array_equal(threads.ufunc(f, x, y[:1]), f(x, y[:1]))  # broadcasting
        np.testing.assert_array_equal(threads.ufunc(f, x, y.astype(np.float64)),
                                      f(x, y.astype(np.float64)))  # a wider result dtype
        assert calls == []  # neither was split
    finally:
        threads.set_num_threads(threads.default_threads())
