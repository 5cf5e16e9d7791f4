"""Learning-rate schedules against their closed forms, and their state_dicts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import steepest as st
from steepest.optim import lr_scheduler as S


def _opt(lrs=(0.1,), cls=st.optim.SGD, **kwargs):
    groups = [{"params": [st.tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return cls(groups, **kwargs)


def _lrs(opt, sched, n):
    """The lr of every group before each of ``n`` epochs (epoch 0 included)."""
    out = []
    for _ in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == out[-1]
        if not isinstance(sched, S.SequentialLR):
            assert sched.get_lr() == out[-1]
        opt.step()
        sched.step()
    return np.array(out)


def _cos(base, eta_min, t, period):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


CLOSED_FORMS = [
    ("StepLR", dict(step_size=3, gamma=0.5), lambda b, t: b * 0.5 ** (t // 3)),
    ("MultiStepLR", dict(milestones=[7, 2, 7], gamma=0.1),
     lambda b, t: b * 0.1 ** ((t >= 2) + 2 * (t >= 7))),
    ("ExponentialLR", dict(gamma=0.9), lambda b, t: b * 0.9**t),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001), lambda b, t: _cos(b, 0.001, t, 10)),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.75, total_iters=4),
     lambda b, t: b * (0.25 + 0.5 * min(t, 4) / 4)),
    ("LambdaLR", dict(lr_lambda=lambda t: 1 / (1 + t)), lambda b, t: b / (1 + t)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kwargs", "form"), CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_schedule_equals_closed_form(name, kwargs, form):
    opt = _opt((0.1, 0.02))
    got = _lrs(opt, getattr(S, name)(opt, **kwargs), 25)
    expected = [[form(b, t) for b in (0.1, 0.02)] for t in range(25)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def _sgdr(base, eta_min, t, t0, mult):
    """SGDR by walking the restart periods: T_0, T_0 m, T_0 m^2, ..."""
    period = t0
    while t >= period:
        t -= period
        period *= mult
    return _cos(base, eta_min, t, period)


@pytest.mark.parametrize("mult", [1, 2])
def test_warm_restarts(mult):
    opt = _opt()
    got = _lrs(opt, S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=mult, eta_min=0.01), 30)
    expected = [[_sgdr(0.1, 0.01, t, 3, mult)] for t in range(30)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_warm_restarts_fractional_epochs():
    opt = _opt()
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0)
    for epoch in (0.5, 1.75, 2.0, 4.5, 7.25, 13.0):
        sched.step(epoch)
        assert opt.param_groups[0]["lr"] == pytest.approx(_sgdr(0.1, 0.0, epoch, 2, 2), rel=1e-12)
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        sched.step(-1)


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


def test_one_cycle_lr_and_momentum():
    opt = _opt(cls=st.optim.SGD, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=20, pct_start=0.25)
    lrs, moms = [], []
    for _ in range(20):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    initial, low = 1.0 / 25, 1.0 / 25 / 1e4
    up = 0.25 * 20 - 1  # the last step of the rising phase
    for t in range(20):
        if t <= up:
            pct = t / up
            lr, mom = _anneal_cos(initial, 1.0, pct), _anneal_cos(0.95, 0.85, pct)
        else:
            pct = (t - up) / (19 - up)
            lr, mom = _anneal_cos(1.0, low, pct), _anneal_cos(0.85, 0.95, pct)
        assert lrs[t] == pytest.approx(lr, rel=1e-12)
        assert moms[t] == pytest.approx(mom, rel=1e-12)
    assert lrs[0] == pytest.approx(initial) and max(lrs) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="more than total_steps"):
        sched.step()


def test_one_cycle_three_phase_linear_cycles_adam_beta1():
    opt = _opt(cls=st.optim.Adam, betas=(0.9, 0.99))
    sched = S.OneCycleLR(opt, max_lr=0.5, epochs=2, steps_per_epoch=10, pct_start=0.3,
                         anneal_strategy="linear", three_phase=True)  # fmt: skip
    got = []
    for _ in range(20):
        got.append((opt.param_groups[0]["lr"], opt.param_groups[0]["betas"]))
        opt.step()
        sched.step()
    initial = 0.5 / 25
    ends = [5.0, 10.0, 19.0]
    for t, (lr, betas) in enumerate(got):
        if t <= ends[0]:
            pct, a, b, ma, mb = t / ends[0], initial, 0.5, 0.95, 0.85
        elif t <= ends[1]:
            pct, a, b, ma, mb = (t - 5) / 5, 0.5, initial, 0.85, 0.95
        else:
            pct, a, b, ma, mb = (t - 10) / 9, initial, initial / 1e4, 0.95, 0.95
        assert lr == pytest.approx(a + (b - a) * pct, rel=1e-12)
        assert betas[0] == pytest.approx(ma + (mb - ma) * pct, rel=1e-12) and betas[1] == 0.99


def test_one_cycle_needs_momentum_to_cycle():
    with pytest.raises(ValueError, match="cycle_momentum"):
        S.OneCycleLR(_opt(cls=st.optim.Adagrad), max_lr=0.1, total_steps=10)
    S.OneCycleLR(_opt(cls=st.optim.Adagrad), max_lr=0.1, total_steps=10, cycle_momentum=False)
    with pytest.raises(ValueError, match="total_steps, or both"):
        S.OneCycleLR(_opt(), max_lr=0.1)


def test_sequential_warmup_then_cosine():
    opt = _opt()
    warm = S.LinearLR(opt, start_factor=0.1, total_iters=4)
    cos = S.CosineAnnealingLR(opt, T_max=10)
    got = _lrs(opt, S.SequentialLR(opt, [warm, cos], milestones=[4]), 16)[:, 0]
    expected = [0.1 * (0.1 + 0.9 * t / 4) for t in range(4)]
    expected += [_cos(0.1, 0.0, t - 4, 10) for t in range(4, 16)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_sequential_validates():
    opt = _opt()
    a = S.StepLR(opt, 2)
    with pytest.raises(ValueError, match="need 0 milestones"):
        S.SequentialLR(opt, [a], milestones=[3])
    with pytest.raises(ValueError, match="another optimizer"):
        S.SequentialLR(opt, [a, S.StepLR(_opt(), 2)], milestones=[3])
    with pytest.raises(TypeError, match="not a plain LRScheduler"):
        S.SequentialLR(opt, [a, S.ReduceLROnPlateau(opt)], milestones=[3])


def test_reduce_on_plateau():
    opt = _opt((1.0, 0.5))
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=[0.3, 0.0])
    metrics = [10, 9, 9, 9, 9, 9, 9, 9, 8, 8, 8, 8]
    # epochs 3-5 are bad (3 > patience 2): halve at 5; the cooldown forgives epoch 6; 7, 8 bad;
    # 9 improves; 10-12 bad: halve at 12, the first group stopping at its min_lr 0.3
    got = []
    for m in metrics:
        sched.step(m)
        got.append(sched.get_last_lr())
    expected_first = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3]
    np.testing.assert_allclose([g[0] for g in got], expected_first)
    np.testing.assert_allclose([g[1] for g in got], [e / 2 for e in expected_first[:11]] + [0.125])


def test_reduce_on_plateau_max_mode_and_thresholds():
    opt = _opt((1.0,))
    sched = S.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.5,
                                threshold_mode="abs")  # fmt: skip
    sched.step(1.0)  # first metric: best
    sched.step(1.4)  # not better by 0.5: reduce
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    sched.step(2.0)  # better
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="mode must be"):
        S.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match="factor must be in"):
        S.ReduceLROnPlateau(opt, factor=1.0)


SCHEDULERS = [
    lambda o: S.StepLR(o, 3, 0.5),
    lambda o: S.MultiStepLR(o, [2, 5]),
    lambda o: S.ExponentialLR(o, 0.9),
    lambda o: S.CosineAnnealingLR(o, 7),
    lambda o: S.CosineAnnealingWarmRestarts(o, 2, 2),
    lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=30),
    lambda o: S.LinearLR(o, 0.1, total_iters=5),
    lambda o: S.LambdaLR(o, lambda t: 0.9**t),
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=3), S.ExponentialLR(o, 0.8)], [3]),
    lambda o: S.ReduceLROnPlateau(o, patience=1),
]


@pytest.mark.parametrize("make", SCHEDULERS)
def test_state_dict_round_trip(make):
    def advance(opt, sched, n, start):
        out = []
        for i in range(start, start + n):
            opt.step()
            sched.step(5.0 - 0.1 * (i % 3)) if isinstance(
                sched, S.ReduceLROnPlateau
            ) else sched.step()
            out.append(sched.get_last_lr())
        return out

    opt = _opt(cls=st.optim.SGD, momentum=0.9)
    sched = make(opt)
    advance(opt, sched, 8, 0)
    saved_opt = json.loads(json.dumps(opt.state_dict()["param_groups"]))
    saved = json.loads(json.dumps(sched.state_dict()))  # plain JSON: no arrays, no functions
    expected = advance(opt, sched, 8, 8)

    opt2 = _opt(cls=st.optim.SGD, momentum=0.9)
    sched2 = make(opt2)
    sd = opt2.state_dict()
    sd["param_groups"] = saved_opt
    opt2.load_state_dict(sd)
    sched2.load_state_dict(saved)
    assert advance(opt2, sched2, 8, 8) == expected


def test_lambda_state_dict_leaves_out_the_functions():
    sched = S.LambdaLR(_opt(), lambda t: 1.0)
    assert "lr_lambdas" not in sched.state_dict()
    with pytest.raises(ValueError, match="unknown keys"):
        sched.load_state_dict({"bogus": 1})


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda o: S.StepLR(o, 0), "step_size"),
        (lambda o: S.StepLR(o, 2, gamma=0), "gamma"),
        (lambda o: S.ExponentialLR(o, -0.5), "gamma"),
        (lambda o: S.LinearLR(o, start_factor=0), "start_factor"),
        (lambda o: S.LinearLR(o, end_factor=1.5), "end_factor"),
        (lambda o: S.CosineAnnealingLR(o, 0), "T_max"),
        (lambda o: S.CosineAnnealingWarmRestarts(o, 0), "T_0"),
        (lambda o: S.CosineAnnealingWarmRestarts(o, 2, T_mult=0), "T_mult"),
        (lambda o: S.LambdaLR(o, [lambda t: 1.0] * 2), "2 lambdas for 1 param groups"),
        (lambda o: S.StepLR(o, 2, last_epoch=5), "initial_lr"),
    ],
)
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make(_opt())


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="expected an Optimizer"):
        S.StepLR([1, 2], 3)
