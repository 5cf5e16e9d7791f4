"""The optimizer registry: one table that the CLI and the studies derive from."""

import numpy as np
import pytest

import steepest as st
from steepest import optim
from steepest.cli import config


def _params():
    return [st.Tensor(np.ones((2, 3), np.float32), requires_grad=True)]


def test_names_are_the_cli_choices_and_defaults():
    assert tuple(optim.names()) == config.OPTIMIZERS
    assert {n: optim.spec(n).default_lr for n in optim.names()} == config.DEFAULT_LR
    assert set(config.BETA_OPTIMIZERS) == {"adam", "adamw", "nadam", "lion"}


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                                  "adadelta", "adam", "adamw", "nadam", "lion"])
def test_create_builds_each_with_its_default_lr(name):
    opt = optim.create(name, _params())
    entry = optim.spec(name)
    assert isinstance(opt, entry.cls)
    assert opt.param_groups[0]["lr"] == entry.default_lr


def test_presets_and_overrides():
    opt = optim.create("nesterov", _params(), lr=0.5, weight_decay=1e-3)
    group = opt.param_groups[0]
    assert (group["lr"], group["momentum"], group["nesterov"], group["weight_decay"]) == \
        (0.5, 0.9, True, 1e-3)
    assert optim.create("momentum", _params(), momentum=0.5).param_groups[0]["momentum"] == 0.5
    assert optim.create("sgd", _params()).param_groups[0]["momentum"] == 0.0


def test_unknown_name_and_argument_name_the_choices():
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamx'.*adam"):
        optim.create("adamx", _params())
    with pytest.raises(TypeError, match=r"'sgd'.*betas.*momentum"):
        optim.create("sgd", _params(), betas=(0.9, 0.99))


def test_register_adds_a_name_that_create_builds():
    name = "test_heavyball"
    if name not in optim.names():
        optim.register(name, optim.SGD, 0.02, {"momentum": 0.99}, "SGD, momentum 0.99")
    try:
        opt = optim.create(name, _params())
        assert (opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]) == (0.02, 0.99)
        assert not optim.spec(name).takes_betas and optim.spec("lion").takes_betas
        with pytest.raises(ValueError, match="new non-empty string"):
            optim.register(name, optim.SGD, 0.1)
    finally:
        optim.registry._REGISTRY.pop(name, None)


def test_register_rejects_bad_entries():
    with pytest.raises(TypeError, match="Optimizer subclass"):
        optim.register("test_bad", dict, 0.1)
    with pytest.raises(ValueError, match="default_lr"):
        optim.register("test_bad", optim.SGD, 0.0)
    with pytest.raises(TypeError, match=r"no argument.*betas"):
        optim.register("test_bad", optim.SGD, 0.1, {"betas": (0.9, 0.9)})
    assert "test_bad" not in optim.names()


def test_a_step_moves_the_parameters():
    p = _params()
    opt = optim.create("adam", p, lr=0.1)
    (p[0] * p[0]).sum().backward()
    opt.step()
    assert np.all(p[0].data < 1.0)


def test_the_docs_table_lists_every_registered_name_with_its_lr():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "optimizers.md").read_text()
    table = doc.split("## By name: the registry", 1)[1].split("\n\n")[2]
    rows = [line.split("|")[1:-1] for line in table.splitlines()[2:]]
    listed = {cells[0].strip(): float(cells[2]) for cells in rows}
    builtin = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
               "nadam", "lion"]
    assert listed == {n: optim.spec(n).default_lr for n in builtin}
