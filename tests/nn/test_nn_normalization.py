"""BatchNorm: training vs evaluation semantics and running statistics against NumPy."""

import numpy as np
import pytest

import steepest as st
from steepest import nn


def np_batch_norm_reference(batches, axes, momentum, eps=1e-5):
    """Outputs in training mode and the running statistics after each batch (PyTorch's rules)."""
    c = batches[0].shape[1]
    running_mean, running_var = np.zeros(c), np.ones(c)
    outputs = []
    for k, x in enumerate(batches, start=1):
        shape = [1] * x.ndim
        shape[1] = c
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        n = x.size // c
        outputs.append((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps))
        m = 1.0 / k if momentum is None else momentum
        running_mean = (1 - m) * running_mean + m * mean
        running_var = (1 - m) * running_var + m * var * n / (n - 1)
    return outputs, running_mean, running_var


@pytest.mark.parametrize(
    ("layer_cls", "shape", "axes"),
    [
        (nn.BatchNorm1d, (8, 3), (0,)),
        (nn.BatchNorm1d, (4, 3, 5), (0, 2)),
        (nn.BatchNorm2d, (4, 3, 2, 2), (0, 2, 3)),
    ],
)
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_training_outputs_and_running_stats_match_numpy(layer_cls, shape, axes, momentum, rng):
    bn = layer_cls(3, momentum=momentum, dtype=np.float64)
    batches = [rng.standard_normal(shape) * 2 + 1 for _ in range(4)]
    outputs, running_mean, running_var = np_batch_norm_reference(batches, axes, momentum)
    for x, expected in zip(batches, outputs, strict=True):
        np.testing.assert_allclose(bn(st.Tensor(x)).data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, running_mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, running_var, rtol=1e-12)
    assert int(bn.num_batches_tracked.data) == 4


def test_eval_uses_running_stats_and_does_not_update_them(rng):
    bn = nn.BatchNorm1d(2, dtype=np.float64)
    bn.weight.data[...] = [2.0, 0.5]
    bn.bias.data[...] = [1.0, -1.0]
    bn.running_mean.data[...] = [0.5, -0.5]
    bn.running_var.data[...] = [4.0, 0.25]
    bn.eval()
    x = rng.standard_normal((3, 2))
    expected = (x - [0.5, -0.5]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2.0, 0.5] + [1.0, -1.0]
    np.testing.assert_allclose(bn(st.Tensor(x)).data, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.data, [0.5, -0.5])
    assert int(bn.num_batches_tracked.data) == 0
    # one example is fine in evaluation, and each example's output depends on it alone
    single = bn(st.Tensor(x[:1])).data
    np.testing.assert_allclose(single, expected[:1], rtol=1e-12)


def test_training_output_depends_on_the_batch_but_eval_output_does_not(rng):
    bn = nn.BatchNorm1d(2, dtype=np.float64)
    x = rng.standard_normal((4, 2))
    other = np.vstack([x[:2], rng.standard_normal((2, 2)) * 5])
    train_a, train_b = bn(st.Tensor(x)).data[:2], bn(st.Tensor(other)).data[:2]
    assert not np.allclose(train_a, train_b)
    bn.eval()
    eval_a, eval_b = bn(st.Tensor(x)).data[:2], bn(st.Tensor(other)).data[:2]
    np.testing.assert_array_equal(eval_a, eval_b)


def test_without_running_stats_batch_statistics_are_used_in_eval(rng):
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False, dtype=np.float64)
    assert bn.running_mean is None and list(bn.parameters()) == []
    assert "running_mean" not in bn.state_dict()
    bn.eval()
    x = rng.standard_normal((5, 2))
    expected = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    np.testing.assert_allclose(bn(st.Tensor(x)).data, expected, rtol=1e-10)


def test_batch_norm_state_dict_round_trip_restores_eval_behaviour(rng):
    src = nn.BatchNorm2d(3)
    for _ in range(3):
        src(st.Tensor(rng.standard_normal((2, 3, 2, 2)).astype(np.float32)))
    dst = nn.BatchNorm2d(3)
    dst.load_state_dict(src.state_dict())
    src.eval(), dst.eval()
    x = st.Tensor(rng.standard_normal((1, 3, 2, 2)).astype(np.float32))
    np.testing.assert_array_equal(src(x).data, dst(x).data)
    assert int(dst.num_batches_tracked.data) == 3


def test_reset_running_stats():
    bn = nn.BatchNorm1d(2)
    bn(st.randn(4, 2) * 3 + 2)
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.data, 0)
    np.testing.assert_array_equal(bn.running_var.data, 1)
    assert int(bn.num_batches_tracked.data) == 0


def test_batch_norm_errors_are_clear():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(st.randn(1, 3))
    with pytest.raises(ValueError, match="4 dimensions and 3 channels"):
        nn.BatchNorm2d(3)(st.randn(2, 3, 4))
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=1.5)
