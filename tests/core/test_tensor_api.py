"""PyTorch-shaped Tensor API beyond the golden cases: NumPy aliases, errors, factories, devices,
inference mode, and the regressions of issue 12 stated directly."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st


def test_transpose_swaps_two_dims_and_permute_keeps_numpys_meaning():
    x = st.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), x.numpy().T)  # was x unchanged
    y = st.randn(2, 3, 4)
    assert y.permute(2, 0, 1).shape == (4, 2, 3)
    with pytest.raises(TypeError, match="permute"):
        y.transpose((2, 0, 1))


def test_permute_gradient_with_negative_dims():
    x = st.randn(2, 3, 4, dtype=np.float64, requires_grad=True)
    w = st.randn(4, 2, 3, dtype=np.float64)
    (x.permute(-1, 0, 1) * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.transpose(w.numpy(), (1, 2, 0)))


def test_max_with_dim_is_a_named_pair_and_index_0_is_the_values():
    x = st.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    out = x.max(1)
    assert type(out).__name__ == "max" and out._fields == ("values", "indices")
    np.testing.assert_array_equal(out[0].numpy(), [5.0, 7.0])  # was row 0 of x
    np.testing.assert_array_equal(out.indices.numpy(), [1, 0])
    values, indices = x.min(dim=0, keepdim=True)
    assert values.shape == indices.shape == (1, 3)


def test_numpy_spellings_are_aliases():
    x = st.randn(2, 3, 4)
    np.testing.assert_allclose(x.sum(axis=1, keepdims=True).numpy(), x.sum(1, keepdim=True).numpy())
    np.testing.assert_allclose(x.mean(axis=(0, 2)).numpy(), x.mean(dim=(0, 2)).numpy())
    assert x.max(axis=1).shape == (2, 4)  # NumPy's spelling, NumPy's meaning: the values
    np.testing.assert_array_equal(x.argmax(axis=-1).numpy(), x.argmax(dim=-1).numpy())
    assert x.squeeze(axis=0).shape == x.shape and x.unsqueeze(axis=0).shape == (1, 2, 3, 4)
    assert st.cat([x, x], axis=1).shape == (2, 6, 4)
    with pytest.raises(TypeError, match="both dim"):
        x.sum(dim=0, axis=1)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.unsqueeze(77),
        lambda x: x.squeeze(7),
        lambda x: x.sum(5),
        lambda x: x.var(-5),
        lambda x: x.max(4),
        lambda x: x.flatten(0, 4),
        lambda x: x.transpose(0, 4),
        lambda x: x.softmax(4),
        lambda x: x.size(4),
        lambda x: x.argmax(-5),
        lambda x: st.stack([x, x], 6),
        lambda x: x.split(1, 4),
        lambda x: x.gather(4, st.zeros(1, 1, 1, 1, dtype=np.int64)),
    ],
)
def test_out_of_range_dims_raise_index_error(call):
    x = st.zeros(2, 1, 3, 1)
    with pytest.raises(IndexError, match=r"out of range|\[-4, 3\]|\[-5, 4\]"):
        call(x)


def test_var_of_one_element_is_nan_with_a_warning():
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(st.tensor([3.0]).var().item())
    assert st.tensor([3.0]).var(correction=0).item() == 0.0
    with pytest.raises(TypeError, match="only one"):
        st.tensor([1.0, 2.0]).var(unbiased=True, correction=1)
    assert st.tensor([1.0, 3.0]).var(False).item() == 1.0  # var(unbiased) as PyTorch's overload


def test_size_is_a_method_and_numel_counts():
    x = st.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(-1) == 3 and x.size().numel() == 6
    assert x.numel() == 6 and x.dim() == 2 and repr(x.size()) == "Size([2, 3])"


def test_prod_gradient_with_zeros_is_exact_and_refuses_second_order():
    x = st.tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0]], dtype=np.float64, requires_grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])
    (g,) = st.grad(x.prod(), x, create_graph=False)
    assert g.shape == x.shape
    with pytest.raises(NotImplementedError, match="second derivatives"):
        st.grad(x.prod(1).sum(), x, create_graph=True)


def test_sort_and_topk_send_the_gradient_to_the_picked_element():
    x = st.tensor([3.0, 1.0, 2.0], dtype=np.float64, requires_grad=True)
    values, indices = x.topk(2)
    np.testing.assert_array_equal(indices.numpy(), [0, 2])
    (values * st.tensor([10.0, 1.0], dtype=np.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 0.0, 1.0])
    assert st.gradcheck(lambda t: t.sort(descending=True).values, [x])


def test_errors_name_the_op_and_the_fix():
    x = st.randn(2, 3)
    with pytest.raises(RuntimeError, match=r"split: sizes \[1, 1\] must .* add up to 3"):
        x.split([1, 1], 1)
    with pytest.raises(TypeError, match="masked_fill: mask must be a bool"):
        x.masked_fill(st.zeros(2, 3), 1.0)
    with pytest.raises(TypeError, match="~ needs a bool or integer"):
        _ = ~x
    with pytest.raises(RuntimeError, match="repeat: 1 repeats"):
        x.repeat(2)
    with pytest.raises(IndexError, match=r"gather: index values must be in \[0, 2\]"):
        x.gather(1, st.tensor([[3]]))
    with pytest.raises(TypeError, match=r"to\(\): expected a device, a dtype or a tensor"):
        x.to(object())


def test_dtype_objects_work_wherever_a_dtype_does():
    assert st.zeros(2, dtype=st.float64).dtype == st.float64 == st.double
    assert st.tensor([1, 2]).to(st.float32).dtype == st.float32
    assert st.arange(3).dtype == st.int64 == st.long and st.int32 == np.int32
    assert (st.zeros(2) > 0).dtype == st.bool
    assert st.randn(2, dtype=st.float64).dtype == st.float64
    assert np.zeros(2, dtype=st.float16).dtype == st.half


def test_device_objects_are_accepted_wherever_a_device_string_is():
    cpu = st.device("cpu")
    assert cpu == "cpu" and cpu.type == "cpu" and repr(cpu) == "device(type='cpu')"
    assert st.device("cuda:0").index == 0 and st.device("cuda", 1).type == "cuda"
    x = st.zeros(2, device=cpu)
    assert x.device == cpu and x.device.type == "cpu" and x.to(cpu) is x and x.cpu() is x
    model = st.nn.Linear(2, 2).to(st.device("cpu"))
    assert model.weight.device == "cpu"
    with pytest.raises(RuntimeError, match="expected one of cpu, cuda"):
        st.device("tpu")


def test_inference_mode_records_no_graph_and_false_changes_nothing():
    w = st.randn(3, requires_grad=True)
    with st.inference_mode():
        assert not (w * 2).requires_grad
    with st.inference_mode(False):
        assert (w * 2).requires_grad

    @st.inference_mode()
    def predict(x):
        return x * 2

    assert not predict(w).requires_grad


def test_factories_follow_the_global_seed_and_take_generators():
    st.manual_seed(5)
    a = st.randint(0, 10, (50,))
    st.manual_seed(5)
    assert (st.randint(0, 10, (50,)).numpy() == a.numpy()).all()
    assert a.dtype == st.int64 and int(a.numpy().min()) >= 0 and int(a.numpy().max()) < 10
    assert st.randint(3, (4,)).shape == (4,)  # randint(high, size)
    p = st.randperm(8, generator=st.Generator(1))
    assert sorted(p.tolist()) == list(range(8))
    like = st.randn_like(st.zeros(2, 3, dtype=st.float64))
    assert like.shape == (2, 3) and like.dtype == st.float64
    assert (
        0
        <= st.rand_like(st.zeros(100)).numpy().min()
        < st.rand_like(st.zeros(100)).numpy().max()
        < 1
    )
    arr = np.arange(3.0)
    t = st.from_numpy(arr)
    arr[0] = 9.0
    assert t.dtype == st.float64 and t.numpy()[0] == 9.0  # shares memory, as PyTorch
    assert st.empty(2, 3).shape == (2, 3) and st.full_like(t, 2.0).numpy().tolist() == [2.0] * 3


def test_new_factories_and_conversions_keep_dtype():
    x = st.zeros(2, dtype=st.float64)
    assert x.new_zeros(3).dtype == st.float64 and x.new_ones((2, 2)).shape == (2, 2)
    assert x.new_full((2,), 4.0).tolist() == [4.0, 4.0]
    assert x.new_zeros(2, dtype=st.int64).dtype == st.int64
    y = st.tensor([1.5, -2.5], requires_grad=True)
    assert y.double().requires_grad and y.long().tolist() == [1, -2]
    assert y.int().dtype == st.int32 and y.bool().dtype == st.bool


def test_clone_copies_and_contiguous_is_itself():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.data is not x.data and not np.shares_memory(c.data, x.data)
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert x.contiguous() is x
