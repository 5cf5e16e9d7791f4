"""SyncBatchNorm in one process is BatchNorm (forward, gradients, running statistics), and
its composite gradient passes a float64 numerical check."""

import numpy as np
import pytest

import steepest as st
from steepest.distributed import SyncBatchNorm, all_reduce


@pytest.fixture
def float64():
    old = st.default_dtype()
    st.set_default_dtype(np.float64)
    yield
    st.set_default_dtype(old)


@pytest.mark.parametrize("shape, layer", [((8, 3), st.nn.BatchNorm1d),
                                          ((4, 3, 5, 5), st.nn.BatchNorm2d)])
def test_one_process_sync_batchnorm_is_batchnorm(float64, shape, layer):
    rng = np.random.default_rng(0)
    bn = layer(3)
    bn.weight.data[...] = [1.0, 2.0, 3.0]
    bn.bias.data[...] = [0.5, -1.0, 0.0]
    model = SyncBatchNorm.convert_sync_batchnorm(st.nn.Sequential(layer(3)))
    sync = model[0]
    assert isinstance(sync, SyncBatchNorm)
    sync.weight.data[...], sync.bias.data[...] = bn.weight.data, bn.bias.data
    x = rng.standard_normal(shape) * 2 + 1
    w = st.tensor(rng.standard_normal(shape))
    a, b = st.tensor(x, requires_grad=True), st.tensor(x, requires_grad=True)
    (bn(a) * w).sum().backward()
    (sync(b) * w).sum().backward()
    np.testing.assert_allclose(b.grad.data, a.grad.data, atol=1e-12)
    np.testing.assert_allclose(sync.weight.grad.data, bn.weight.grad.data, atol=1e-12)
    np.testing.assert_allclose(sync.running_var.data, bn.running_var.data, atol=1e-12)
    sync.eval(), bn.eval()
    np.testing.assert_allclose(sync(st.tensor(x)).data, bn(st.tensor(x)).data, atol=1e-12)


def test_sync_batchnorm_gradcheck(float64):
    layer = SyncBatchNorm(2)
    layer.weight.data[...] = [1.5, -0.5]
    x = st.tensor(np.random.default_rng(1).standard_normal((5, 2, 3)), requires_grad=True)
    assert st.gradcheck(lambda t: layer(t) * st.tensor(np.arange(30.0).reshape(5, 2, 3)), [x])
    assert st.gradcheck(lambda t: all_reduce(t) * 3, [x])


def test_sync_batchnorm_rejects_wrong_channels():
    with pytest.raises(ValueError, match="expected input with 2, 3 or 4 dimensions and 4"):
        SyncBatchNorm(4)(st.zeros(2, 3))


def test_distributed_optimizer_alone_is_the_optimizer(float64):
    """In a world of one the wrapper adds nothing: same steps, same state_dict."""
    from steepest.distributed import DistributedOptimizer

    rng = np.random.default_rng(2)
    x, y = st.tensor(rng.standard_normal((16, 4))), st.tensor(rng.integers(0, 3, 16))
    models = []
    for wrap in (False, True):
        st.manual_seed(0)
        model = st.nn.Linear(4, 3)
        opt = st.optim.Adam(model.parameters(), lr=0.1)
        opt = DistributedOptimizer(opt, model) if wrap else opt
        for _ in range(3):
            opt.zero_grad()
            st.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        models.append((model, opt))
    (a, oa), (b, ob) = models
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert ob.state_dict()["state"]["0"]["step"] == oa.state_dict()["state"]["0"]["step"] == 3
    assert ob.param_groups is ob.optimizer.param_groups
    with pytest.raises(TypeError, match="expected a steepest optimizer"):
        DistributedOptimizer(object())
