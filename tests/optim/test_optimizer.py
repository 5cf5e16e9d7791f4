"""The Optimizer machinery: validation, param groups, zero_grad, state_dict, flat buffers."""

from __future__ import annotations

import json

import _optim_reference as ref
import numpy as np
import pytest
from _optim_problems import MLP, Quadratic, leaves, reference, train

import steepest as st
from steepest.optim import parallel

ALL = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam", "Lion"]


def _param():
    return st.tensor(np.ones(3), dtype=np.float64, requires_grad=True)


# ----- hyperparameter validation -------------------------------------------------------------
BAD = [
    ("SGD", dict(lr=-0.1), "lr must be in \\[0"),
    ("SGD", dict(lr=float("nan")), "lr"),
    ("SGD", dict(lr="0.1"), "lr must be a real number"),
    ("SGD", dict(momentum=-0.5), "momentum"),
    ("SGD", dict(weight_decay=-1e-4), "weight_decay"),
    ("SGD", dict(nesterov=True), "nesterov=True needs momentum > 0"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), "dampening = 0"),
    ("Adagrad", dict(lr_decay=-1), "lr_decay"),
    ("Adagrad", dict(eps=0.0), "eps must be in \\(0"),
    ("Adagrad", dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    ("RMSprop", dict(alpha=1.5), "alpha"),
    ("RMSprop", dict(eps=-1e-8), "eps"),
    ("RMSprop", dict(momentum=-0.1), "momentum"),
    ("Adadelta", dict(rho=1.1), "rho"),
    ("Adadelta", dict(eps=0), "eps"),
    ("Adam", dict(betas=(1.0, 0.999)), "betas\\[0\\] must be in \\[0.0, 1.0\\)"),
    ("Adam", dict(betas=(0.9, -0.1)), "betas\\[1\\]"),
    ("Adam", dict(betas=(0.9,)), "betas must be a pair"),
    ("Adam", dict(eps=0.0), "eps"),
    ("Adam", dict(weight_decay=-0.1), "weight_decay"),
    ("AdamW", dict(lr=-1e-3), "lr"),
    ("NAdam", dict(momentum_decay=-1), "momentum_decay"),
    ("Lion", dict(betas=(0.9, 1.0)), "betas\\[1\\]"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kwargs", "match"), BAD, ids=[f"{b[0]}-{b[1]}" for b in BAD])
def test_invalid_hyperparameters_raise(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(st.optim, name)([_param()], **kwargs)


def test_invalid_group_hyperparameter_names_the_optimizer():
    with pytest.raises(ValueError, match="Adam: lr"):
        st.optim.Adam([{"params": [_param()]}, {"params": [_param()], "lr": -1.0}])


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ([], ValueError, "empty parameter list"),
        (st.tensor([1.0], requires_grad=True), TypeError, "wrap a single tensor"),
        ([np.ones(3)], TypeError, "not a Tensor"),
        ([st.tensor([1, 2])], TypeError, "not a float"),
    ],
)
def test_bad_params_raise(params, error, match):
    with pytest.raises(error, match=match):
        st.optim.SGD(params, lr=0.1)


def test_non_leaf_duplicate_and_set_params_raise():
    p = _param()
    with pytest.raises(ValueError, match="not a leaf"):
        st.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        st.optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        st.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        st.optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="Transform"):
        st.optim.SGD([p], lr=0.1, transforms=[lambda g: g])


# ----- param groups ---------------------------------------------------------------------------
def test_per_group_hyperparameters_follow_their_own_rules():
    problem = MLP()
    params = leaves(problem.init)
    opt = st.optim.Adam(
        [{"params": params[:2], "lr": 0.01, "weight_decay": 0.1}, {"params": params[2:]}],
        lr=0.003,
    )
    assert opt.param_groups[1]["lr"] == 0.003 and opt.param_groups[1]["weight_decay"] == 0.0
    train(opt, params, problem, 100)
    arrays = [a.copy() for a in problem.init]
    first, second = ref.adam(0.01, weight_decay=0.1), ref.adam(0.003)
    s1: dict = {}
    s2: dict = {}
    for t in range(1, 101):
        grads = problem.grads(arrays)
        first(arrays[:2], grads[:2], s1, t)
        second(arrays[2:], grads[2:], s2, t)
    for p, e in zip(params, arrays, strict=True):
        np.testing.assert_allclose(p.data, e, rtol=0, atol=1e-10)


def test_add_param_group_mid_training():
    problem = Quadratic()
    x1, x2 = leaves(problem.init)
    opt = st.optim.SGD([x1], lr=0.05, momentum=0.9)
    train(opt, [x1, x2], problem, 10)
    frozen = x2.data.copy()
    np.testing.assert_array_equal(x2.data, problem.init[1])  # not optimized yet
    opt.add_param_group({"params": [x2], "lr": 0.01})
    train(opt, [x1, x2], problem, 10)
    assert not np.allclose(x2.data, frozen)
    assert opt.param_groups[1]["momentum"] == 0.9


def test_learning_rate_is_read_at_every_step():
    p = _param()
    opt = st.optim.SGD([p], lr=0.1)
    for lr in (0.1, 0.0, 0.5):
        opt.param_groups[0]["lr"] = lr
        before = p.data.copy()
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        np.testing.assert_allclose(p.data, before - lr * 2 * before)


# ----- zero_grad and the flat buffers ---------------------------------------------------------
def test_gradients_land_in_one_flat_buffer_and_zero_grad_in_place_keeps_it():
    problem = MLP()
    params = leaves(problem.init)
    opt = st.optim.SGD(params, lr=0.1)
    problem.loss(params).backward()
    opt.step()
    grads = [p.grad for p in params]
    base = grads[0].data.base
    assert base is not None and all(np.shares_memory(g.data, base) for g in grads)
    assert all(np.shares_memory(p.data, params[0].data.base) for p in params)
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is g for p, g in zip(params, grads, strict=True))
    assert all(not g.data.any() for g in grads)
    problem.loss(params).backward()  # accumulates in place into the same buffer
    assert all(p.grad is g for p, g in zip(params, grads, strict=True))
    np.testing.assert_allclose(params[0].grad.data, problem.grads([p.data for p in params])[0])


def test_zero_grad_sets_to_none_by_default_as_pytorch_2_and_still_trains_exactly():
    problem = MLP()
    params = leaves(problem.init)
    opt = st.optim.Adam(params, lr=0.005)
    for _ in range(100):
        opt.zero_grad()
        assert all(p.grad is None for p in params)
        problem.loss(params).backward()
        opt.step()
    for p, e in zip(params, reference(ref.adam(0.005), problem, 100), strict=True):
        np.testing.assert_allclose(p.data, e, rtol=0, atol=1e-10)


def test_without_zero_grad_gradients_accumulate_as_in_pytorch():
    p = st.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    opt = st.optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    opt.step()
    (p * 3).sum().backward()
    np.testing.assert_array_equal(p.grad.data, [6.0, 6.0])


def test_weight_decay_and_transforms_leave_grad_untouched():
    problem = Quadratic()
    params = leaves(problem.init)
    opt = st.optim.SGD(params, lr=0.1, weight_decay=0.5, transforms=[st.optim.ClipGradNorm(0.1)])
    problem.loss(params).backward()
    raw = [p.grad.data.copy() for p in params]
    opt.step()
    for p, g in zip(params, raw, strict=True):
        np.testing.assert_array_equal(p.grad.data, g)


def test_replacing_data_mid_training_is_picked_up():
    problem = MLP()
    params = leaves(problem.init)
    opt = st.optim.Adam(params, lr=0.005)
    train(opt, params, problem, 50)
    arrays = [p.data.copy() for p in params]
    arrays[0] = arrays[0] * 0.5  # e.g. a user re-initializing a layer
    params[0].data = arrays[0].copy()
    state = {i: (s["exp_avg"].copy(), s["exp_avg_sq"].copy(), None) for i, s in
             enumerate(opt.state[p] for p in params)}  # fmt: skip
    train(opt, params, problem, 50)
    rule = ref.adam(0.005)
    for t in range(51, 101):
        rule(arrays, problem.grads(arrays), state, t)
    for p, e in zip(params, arrays, strict=True):
        np.testing.assert_allclose(p.data, e, rtol=0, atol=1e-10)
    assert np.shares_memory(params[0].data, params[1].data.base)  # back in the flat buffer


def test_parameters_without_gradient_are_skipped_with_their_own_step_count():
    problem = MLP()
    params = leaves(problem.init)
    opt = st.optim.Adam(params, lr=0.005)
    counts = [0, 0, 0, 0]
    arrays = [a.copy() for a in problem.init]
    states: list[dict] = [{}, {}, {}, {}]
    rule = ref.adam(0.005)
    for step in range(60):
        opt.zero_grad()
        problem.loss(params).backward()
        skip = {1, 2} if 20 <= step < 35 else ({3} if step >= 50 else set())
        for i in skip:
            params[i].grad = None
        opt.step()
        grads = problem.grads(arrays)
        for i in range(4):
            if i not in skip:
                counts[i] += 1
                rule([arrays[i]], [grads[i]], states[i], counts[i])
    assert [opt.state[p]["step"] for p in params] == counts == [60, 45, 45, 50]
    for p, e in zip(params, arrays, strict=True):
        np.testing.assert_allclose(p.data, e, rtol=0, atol=1e-10)


def test_frozen_parameter_is_never_moved():
    w = st.tensor(np.ones(3), dtype=np.float64, requires_grad=True)
    frozen = st.tensor(np.ones(3), dtype=np.float64)  # requires_grad=False: grad stays None
    opt = st.optim.AdamW([w, frozen], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        opt.zero_grad()
        (w * frozen).sum().backward()
        opt.step()
    np.testing.assert_array_equal(frozen.data, np.ones(3))
    assert opt.state[frozen]["step"] == 0 and opt.state[w]["step"] == 3


def test_new_dtype_rebuilds_buffers_and_keeps_state():
    problem = Quadratic()
    params = leaves(problem.init)
    opt = st.optim.Adam(params, lr=0.01)
    train(opt, params, problem, 5)
    moments = opt.state[params[0]]["exp_avg"].copy()
    params[0].data = params[0].data.astype(np.float32)  # e.g. module.to(dtype)
    params[0].grad = None
    train(opt, params, problem, 1)
    assert params[0].dtype == np.float32 and opt.state[params[0]]["exp_avg"].dtype == np.float32
    assert opt.state[params[0]]["step"] == 6
    assert not np.allclose(opt.state[params[0]]["exp_avg"], moments)
    np.testing.assert_allclose(opt.state[params[1]]["step"], 6)


def test_new_shape_raises():
    p = _param()
    opt = st.optim.SGD([p], lr=0.1)
    p.data = np.ones(4)
    (p * p).sum().backward()
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(4,\)"):
        opt.step()


def test_mixed_dtypes_in_one_group():
    a = st.tensor(np.ones(3), dtype=np.float64, requires_grad=True)
    b = st.tensor(np.ones(2), dtype=np.float32, requires_grad=True)
    opt = st.optim.SGD([a, b], lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        ((a * a).sum() + (b * b).sum().astype(np.float64)).backward()
        opt.step()
    assert a.dtype == np.float64 and b.dtype == np.float32
    expected = ref.sgd(0.1, 0.9)
    arrays, state = [np.ones(3), np.ones(2)], {}
    for t in range(1, 4):
        expected(arrays, [2 * x for x in arrays], state, t)
    np.testing.assert_allclose(a.data, arrays[0], atol=1e-12)
    np.testing.assert_allclose(b.data, arrays[1], atol=1e-6)


def test_editing_the_group_params_list_is_picked_up():
    problem = Quadratic()
    x1, x2 = leaves(problem.init)
    opt = st.optim.SGD([x1], lr=0.05)
    opt.param_groups[0]["params"].append(x2)
    train(opt, [x1, x2], problem, 3)
    assert not np.allclose(x2.data, problem.init[1])


def test_closure_returns_the_loss():
    problem = Quadratic()
    params = leaves(problem.init)
    opt = st.optim.SGD(params, lr=0.05)

    def closure():
        opt.zero_grad()
        loss = problem.loss(params)
        loss.backward()
        return loss

    first = float(opt.step(closure))
    assert float(opt.step(closure)) < first


def test_state_property_exposes_views():
    p = _param()
    opt = st.optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    state = opt.state[p]
    assert state["step"] == 1 and set(state) == {"step", "exp_avg", "exp_avg_sq"}
    np.testing.assert_allclose(state["exp_avg"], 0.1 * 2 * np.ones(3))


def test_repr_lists_groups_and_transforms():
    opt = st.optim.SGD([_param()], lr=0.1, transforms=[st.optim.ClipGradNorm(1.0)])
    text = repr(opt)
    assert "Parameter Group 0" in text and "lr: 0.1" in text and "ClipGradNorm" in text


# ----- state_dict ----------------------------------------------------------------------------
def _through_json(sd):
    """What a checkpoint does: arrays to one file, everything else through JSON."""
    arrays = {}

    def strip(x, path):
        if isinstance(x, np.ndarray):
            arrays[path] = x.copy()
            return {"__array__": path}
        if isinstance(x, dict):
            return {k: strip(v, f"{path}/{k}") for k, v in x.items()}
        if isinstance(x, list):
            return [strip(v, f"{path}/{i}") for i, v in enumerate(x)]
        return x

    def put(x):
        if isinstance(x, dict) and set(x) == {"__array__"}:
            return arrays[x["__array__"]]
        if isinstance(x, dict):
            return {k: put(v) for k, v in x.items()}
        if isinstance(x, list):
            return [put(v) for v in x]
        return x

    return put(json.loads(json.dumps(strip(sd, ""))))


OPTIONS = {
    "SGD": dict(lr=0.05, momentum=0.9, dampening=0.1), "Adagrad": dict(lr=0.1, lr_decay=0.01),
    "RMSprop": dict(lr=0.003, centered=True, momentum=0.5), "Adadelta": dict(),
    "Adam": dict(lr=0.005, amsgrad=True), "AdamW": dict(lr=0.005), "NAdam": dict(lr=0.002),
    "Lion": dict(lr=1e-3, weight_decay=0.1),
}  # fmt: skip


@pytest.mark.parametrize("name", ALL)
def test_state_dict_round_trip_continues_bit_identically(name):
    problem = MLP()
    params = leaves(problem.init)
    opt = getattr(st.optim, name)(params, **OPTIONS[name])
    train(opt, params, problem, 30)
    saved_params = [p.data.copy() for p in params]
    saved = _through_json(opt.state_dict())
    train(opt, params, problem, 30)

    resumed = leaves(saved_params)
    opt2 = getattr(st.optim, name)(resumed, lr=0.123)  # hyperparameters come from the dict
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    train(opt2, resumed, problem, 30)
    for p, q in zip(params, resumed, strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    assert opt2.state_dict()["state"]["0"]["step"] == 60


def test_state_dict_is_plain_data():
    p = _param()
    opt = st.optim.NAdam([p], lr=0.01)
    (p * p).sum().backward()
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["betas"] == [0.9, 0.999] and sd["param_groups"][0]["params"] == [0]
    assert isinstance(sd["state"]["0"]["exp_avg"], np.ndarray)
    json.dumps({"groups": sd["param_groups"], "step": sd["state"]["0"]["step"],
                "mu": sd["state"]["0"]["mu_product"]})  # fmt: skip
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)  # a tuple again


def _trained_sgd():
    p, q = _param(), _param()
    opt = st.optim.SGD([p, q], lr=0.1, momentum=0.9)
    ((p * q).sum()).backward()
    opt.step()
    return opt


@pytest.mark.parametrize(
    ("corrupt", "match"),
    [
        (lambda sd: sd.pop("state"), "expected keys 'state' and 'param_groups'"),
        (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])), "2 param groups"),
        (lambda sd: sd["param_groups"][0]["params"].pop(), "1 parameters in the state dict, 2"),
        (lambda sd: sd["param_groups"][0].pop("momentum"), "lacks \\['momentum'\\]"),
        (lambda sd: sd["param_groups"][0].update(lr=-1.0), "lr must be in"),
        (lambda sd: sd["state"].update({"7": {}}), "unknown parameters \\['7'\\]"),
        (lambda sd: sd["state"]["1"].pop("step"), "parameter 1 lacks 'step'"),
        (lambda sd: sd["state"]["1"].update(step=1.5), "'step' should be like 0"),
        (lambda sd: sd["state"]["0"].pop("momentum_buffer"), "lacks \\['momentum_buffer'\\]"),
        (lambda sd: sd["state"]["0"].update(exp_avg=np.ones(3)), "unknown state \\['exp_avg'\\]"),
        (lambda sd: sd["state"]["0"].update(momentum_buffer=np.ones(4)), "shape \\(4,\\)"),
    ],
)
def test_load_state_dict_validates_and_changes_nothing_on_error(corrupt, match):
    opt = _trained_sgd()
    before = opt.state_dict()
    sd = opt.state_dict()
    corrupt(sd)
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(sd)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for k, entry in before["state"].items():
        for name, v in entry.items():
            np.testing.assert_array_equal(after["state"][k][name], v)


def test_load_state_dict_without_entries_resets_state():
    opt = _trained_sgd()
    sd = opt.state_dict()
    del sd["state"]["1"]
    opt.load_state_dict(sd)
    assert opt.state_dict()["state"]["1"]["step"] == 0
    assert opt.state_dict()["state"]["0"]["step"] == 1


# ----- threads -----------------------------------------------------------------------------
def test_threaded_update_is_bit_identical(monkeypatch):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(3000), rng.standard_normal((40, 50))]
    target = rng.standard_normal(5000)

    def run():
        params = leaves(init)
        opt = st.optim.Adam(params, lr=0.01, weight_decay=0.1,
                            transforms=[st.optim.ClipGradNorm(1.0)])  # fmt: skip
        for _ in range(5):
            opt.zero_grad()
            z = st.cat([params[0], params[1].reshape(2000)])
            ((z - st.tensor(target)) ** 2).sum().backward()
            opt.step()
        return [p.data.copy() for p in params]

    monkeypatch.setattr(parallel, "MIN_ELEMENTS_PER_THREAD", 1000)
    before = parallel.get_num_threads()
    try:
        parallel.set_num_threads(1)
        one = run()
        parallel.set_num_threads(3)
        assert len(parallel.split(0, 5000)) == 3
        three = run()
    finally:
        parallel.set_num_threads(before)
    for a, b in zip(one, three, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="set_num_threads"):
        parallel.set_num_threads(0)


# ----- extending: transforms and new optimizers ------------------------------------------------
def test_l1_penalty_with_a_group_that_switches_it_off():
    problem = MLP()
    params = leaves(problem.init)
    groups = [{"params": params[0::2]}, {"params": params[1::2], "l1": 0.0}]  # weights, biases
    opt = st.optim.SGD(groups, lr=0.05, momentum=0.9, transforms=[st.optim.L1Penalty(0.01)])
    assert opt.param_groups[0]["l1"] == 0.01
    train(opt, params, problem, 100)
    arrays = [a.copy() for a in problem.init]
    with_l1, without = ref.sgd(0.05, 0.9, l1=0.01), ref.sgd(0.05, 0.9)
    s1: dict = {}
    s2: dict = {}
    for t in range(1, 101):
        grads = problem.grads(arrays)
        with_l1(arrays[0::2], grads[0::2], s1, t)
        without(arrays[1::2], grads[1::2], s2, t)
    for p, e in zip(params, arrays, strict=True):
        np.testing.assert_allclose(p.data, e, rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="l1 must be a number >= 0"):
        st.optim.SGD([_param()], lr=0.1, transforms=[st.optim.L1Penalty(-1.0)])


def test_clip_grad_norm_transform_matches_reference_and_records_the_norm():
    problem = MLP()
    params = leaves(problem.init)
    clip = st.optim.ClipGradNorm(0.05)
    opt = st.optim.Adam(params, lr=0.005, transforms=[clip])
    train(opt, params, problem, 100)
    expected = reference(ref.adam(0.005, clip_norm=0.05), problem, 100)
    for p, e in zip(params, expected, strict=True):
        np.testing.assert_allclose(p.data, e, rtol=0, atol=1e-10)
    assert clip.last_norm > 0.05 and np.isfinite(clip.last_norm)  # it did clip


def test_a_new_optimizer_is_one_method():
    class SignSGD(st.optim.Optimizer):
        def update(self, c, group, k):
            c.p -= group["lr"] * c.xp.sign(c.d)

    w = st.tensor([1.0, -2.0, 0.5], dtype=np.float64, requires_grad=True)
    opt = SignSGD([w], lr=0.25, transforms=[st.optim.WeightDecay()], weight_decay=0.0)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.data, [0.5, -1.5, 0.0])
    with pytest.raises(ValueError, match="SignSGD: lr"):
        SignSGD([w], lr=-1.0)


def test_gradients_of_one_bucket_merge_into_one_array_for_norms():
    problem = MLP()
    params = leaves(problem.init)
    opt = st.optim.SGD(params, lr=0.1)
    problem.loss(params).backward()
    opt.step()
    merged = st.optim.transforms.merge_adjacent([p.grad.data for p in params])
    assert len(merged) == 1 and merged[0].size == sum(p.numel() for p in params)
    shuffled = st.optim.transforms.merge_adjacent([params[1].grad.data, params[0].grad.data])
    assert len(shuffled) == 2
    expected = np.sqrt(sum((g**2).sum() for g in problem.grads(problem.init)))
    assert st.optim.transforms.global_norm(p.grad.data for p in params) == pytest.approx(expected)
