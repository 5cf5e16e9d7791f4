"""Module: attribute walking, names, state dicts, modes, hooks, printing."""

import copy

import numpy as np
import pytest

import steepest as st
from steepest import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(3, 4)
        self.layers = [nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4)]
        self.heads = {"a": nn.Linear(4, 2), "b": nn.Linear(4, 1, bias=False)}
        self.scale = nn.Parameter(st.ones(1))
        self.norm = nn.BatchNorm1d(4)
        self.not_a_param = st.zeros(3)  # a plain tensor attribute: neither parameter nor buffer
        self.config = [1, 2, 3]

    def forward(self, x):
        h = self.stem(x)
        for layer in self.layers:
            h = layer(h)
        h = self.norm(h) * self.scale
        return self.heads["a"](h), self.heads["b"](h)


def test_named_parameters_walk_lists_dicts_and_nesting():
    names = [n for n, _ in Net().named_parameters()]
    # a module's own parameters first, then its children's, in attribute order (as PyTorch)
    assert names == [
        "scale", "stem.weight", "stem.bias", "layers.0.weight", "layers.0.bias", "layers.2.weight",
        "layers.2.bias", "heads.a.weight", "heads.a.bias", "heads.b.weight",
        "norm.weight", "norm.bias",
    ]  # fmt: skip
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in Net().parameters())


def test_containers_name_parameters_by_index_and_key():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    md = nn.ModuleDict({"enc": nn.Linear(2, 2)})
    assert [n for n, _ in md.named_parameters()] == ["enc.weight", "enc.bias"]

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

    assert [n for n, _ in Outer().named_parameters()][2] == "blocks.1.weight"
    assert len(seq) == 3 and isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    with pytest.raises(TypeError, match="expected a Module"):
        nn.ModuleList([nn.Linear(2, 2), 3])


def test_tied_parameter_listed_once_but_saved_under_every_name():
    a = nn.Linear(3, 3)
    b = nn.Linear(3, 3)
    b.weight = a.weight
    seq = nn.Sequential(a, b)
    assert len(list(seq.parameters())) == 3
    assert set(seq.state_dict()) == {"0.weight", "0.bias", "1.weight", "1.bias"}


def test_buffers_are_saved_but_not_trained():
    net = Net()
    param_names = {n for n, _ in net.named_parameters()}
    state = net.state_dict()
    assert {"norm.running_mean", "norm.running_var", "norm.num_batches_tracked"} <= set(state)
    assert not {n for n in state if "running" in n} & param_names
    assert "not_a_param" not in state
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["norm.num_batches_tracked"].dtype == np.int64


def test_state_dict_round_trip_copies_and_loads_in_place():
    st.manual_seed(0)
    src = Net()
    src(st.randn(8, 3))  # moves the running statistics away from their initial values
    state = src.state_dict()
    state["stem.weight"][...] += 0  # arrays are copies: touching them leaves the model alone
    dst = Net()
    before = dst.stem.weight.data
    dst.load_state_dict(state)
    assert dst.stem.weight.data is before  # loaded in place
    for key, value in src.state_dict().items():
        np.testing.assert_array_equal(dst.state_dict()[key], value)
    x = st.randn(5, 3)
    src.eval(), dst.eval()
    np.testing.assert_array_equal(src(x)[0].data, dst(x)[0].data)
    saved = src.state_dict()
    src.stem.weight.data += 1.0
    assert not np.array_equal(saved["stem.weight"], src.stem.weight.data)


def test_strict_load_reports_missing_unexpected_and_shape_mismatch_together():
    net = Net()
    state = net.state_dict()
    del state["stem.bias"]
    state["extra.weight"] = np.zeros(2)
    state["heads.a.weight"] = np.zeros((3, 4))
    with pytest.raises(ValueError) as err:
        net.load_state_dict(state)
    message = str(err.value)
    assert "missing keys: stem.bias" in message
    assert "unexpected keys: extra.weight" in message
    assert "heads.a.weight: checkpoint (3, 4) vs model (2, 4)" in message


def test_non_strict_load_skips_and_reports_keys_but_rejects_shape_mismatch():
    net = Net()
    state = {"stem.weight": np.full((4, 3), 2.0), "bogus": np.zeros(1)}
    result = net.load_state_dict(state, strict=False)
    assert result.unexpected_keys == ["bogus"]
    assert "stem.bias" in result.missing_keys
    np.testing.assert_array_equal(net.stem.weight.data, 2.0)
    with pytest.raises(ValueError, match="shape mismatches"):
        net.load_state_dict({"stem.weight": np.zeros((3, 3))}, strict=False)


def test_load_accepts_nested_dicts_and_casts_dtype():
    lin = nn.Linear(2, 2)
    lin.load_state_dict({"weight": np.eye(2, dtype=np.float64), "bias": [1.0, 2.0]})
    assert lin.weight.dtype == np.float32
    np.testing.assert_array_equal(lin.weight.data, np.eye(2))
    seq = nn.Sequential(nn.Linear(2, 2))
    seq.load_state_dict({"0": {"weight": np.ones((2, 2)), "bias": np.zeros(2)}})
    np.testing.assert_array_equal(seq[0].weight.data, 1.0)


def test_train_eval_propagates_and_returns_self():
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_sets_to_none_by_default_or_zeroes_in_place():
    lin = nn.Linear(3, 2)
    lin(st.randn(4, 3)).sum().backward()
    buffer = lin.weight.grad.data
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad.data is buffer and not buffer.any()
    lin.zero_grad()  # PyTorch 2's default
    assert lin.weight.grad is None


def test_children_modules_and_apply_order():
    net = Net()
    assert [n for n, _ in net.named_children()] == [
        "stem",
        "layers.0",
        "layers.1",
        "layers.2",
        "heads.a",
        "heads.b",
        "norm",
    ]
    names = [n for n, _ in net.named_modules()]
    assert names[0] == "" and len(names) == 8
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"  # children first, then the module


def test_repr_is_nested_like_pytorch():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.1)))
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1)\n"
        "  )\n"
        ")"
    )


def test_forward_hook_sees_output_and_can_be_removed():
    lin = nn.Linear(2, 2)
    shapes = []
    handle = lin.register_forward_hook(lambda m, inputs, out: shapes.append(out.shape))
    lin(st.randn(3, 2))
    handle.remove()
    lin(st.randn(3, 2))
    assert shapes == [(3, 2)]


def test_module_without_super_init_still_works():
    class Bare(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x)

    bare = Bare()
    assert bare.training and len(list(bare.parameters())) == 2
    bare.eval()
    assert not bare.lin.training


def test_deepcopy_gives_independent_parameters():
    net = Net()
    twin = copy.deepcopy(net)
    twin.stem.weight.data += 1.0
    assert not np.array_equal(net.stem.weight.data, twin.stem.weight.data)
    assert isinstance(twin.stem.weight, nn.Parameter)


def test_to_dtype_and_requires_grad_toggle():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    net.to(dtype=np.float64)
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net[1].running_mean.dtype == np.float64
    assert net[1].num_batches_tracked.dtype == np.int64
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.num_parameters() == 10 and net.num_parameters(trainable_only=True) == 0


def test_parameter_rejects_integers_and_forward_missing_is_clear():
    with pytest.raises(TypeError, match="float"):
        nn.Parameter(np.arange(3))
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(st.ones(1))
    with pytest.raises(TypeError, match="Parameter"):
        nn.Module().register_buffer("w", nn.Parameter(st.ones(1)))
