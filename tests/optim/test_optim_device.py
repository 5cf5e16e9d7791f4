"""Every optimizer on every device (cpu, fake_cuda, cuda). On the host the fused C loops run
(kernels.c) where they apply; on the device the same update rules run as array-module ufuncs.
Both must follow the same trajectory, and optimizer state must stay on the parameters' device."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import steepest as st
from steepest import optim

T = optim.transforms
CONFIGS = {
    "SGD": dict(lr=0.05),
    "SGD-momentum": dict(lr=0.05, momentum=0.9, weight_decay=1e-3),
    "SGD-nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "Adam": dict(lr=0.01),
    "Adam-amsgrad": dict(lr=0.01, amsgrad=True, weight_decay=1e-3),
    "AdamW": dict(lr=0.01),
    "NAdam": dict(lr=0.01),
    "RMSprop": dict(lr=0.01, momentum=0.5),
    "Adagrad": dict(lr=0.1),
    "Adadelta": dict(lr=1.0),
    "Lion": dict(lr=1e-3),
    "SGD-transforms": dict(lr=0.05, transforms=[T.ClipGradNorm(1.0), T.ClipGradValue(0.5),
                                                 T.L1Penalty(1e-3)]),
}


def _classes() -> set[str]:
    return {n for n in optim.__all__ if inspect.isclass(getattr(optim, n))
            and issubclass(getattr(optim, n), optim.Optimizer) and n != "Optimizer"}


def test_every_optimizer_has_a_device_config():
    assert _classes() == {k.split("-")[0] for k in CONFIGS}


def _problem(device: str):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((16, 4)), rng.standard_normal((16, 3))
    # float64: a GPU's sums round differently from the host's, and Adam's m / sqrt(v) would
    # magnify float32's differences on near-zero gradients; the fused C loops cover float64 too
    on = lambda a: st.Tensor(st.backend.to_device(a.astype(np.float64), device))  # noqa: E731
    params = [on(rng.standard_normal((4, 8)) * 0.5), on(np.zeros(8)),
              on(rng.standard_normal((8, 3)) * 0.5), on(np.zeros(3))]  # fmt: skip
    for p in params:
        p.requires_grad_()
    return params, on(X), on(Y)


def _steps(opt, params, x, y, steps: int) -> None:
    for _ in range(steps):
        opt.zero_grad()
        h = (x @ params[0] + params[1]).tanh()
        ((h @ params[2] + params[3] - y) ** 2).mean().backward()
        opt.step()


def _make(name: str, params):
    return getattr(optim, name.split("-")[0])(params, **CONFIGS[name])


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_optimizer_on_device_matches_host(name, device):
    want, x, y = _problem("cpu")
    _steps(_make(name, want), want, x, y, 6)
    got, x, y = _problem(device)
    opt = _make(name, got)
    _steps(opt, got, x, y, 6)
    for g, w in zip(got, want, strict=True):
        assert g.device == device and g.grad.device == device
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD-momentum", "Adam-amsgrad", "Lion"])
def test_optimizer_state_is_saved_on_host_and_resumes_on_device(name, device):
    params, x, y = _problem(device)
    opt = _make(name, params)
    _steps(opt, params, x, y, 3)
    state = opt.state_dict()  # host arrays: a checkpoint written from the GPU loads anywhere
    arrays = [v for e in state["state"].values() for v in e.values() if hasattr(v, "shape")]
    assert arrays and all(type(v) is np.ndarray for v in arrays)
    copy, _, _ = _problem(device)
    for c, p in zip(copy, params, strict=True):
        c.data[...] = p.data
    resumed = _make(name, copy)
    resumed.load_state_dict(state)
    _steps(opt, params, x, y, 2)
    _steps(resumed, copy, x, y, 2)
    for c, p in zip(copy, params, strict=True):
        assert c.device == device
        np.testing.assert_array_equal(c.numpy(), p.numpy())
