"""Goal: PyTorch's MNIST example runs on steepest with only its import lines changed, and learns.

``_mnist_example.py`` holds the example's Net, train and test functions as PyTorch writes them.
"""

from __future__ import annotations

import types

import numpy as np

import steepest as st

ARGS = types.SimpleNamespace(
    batch_size=64, test_batch_size=128, epochs=2, lr=1.0, gamma=0.7, no_cuda=False, seed=1,
    log_interval=4, dry_run=False, save_model=True,
)  # fmt: skip


def _run(tmp_path):
    import _mnist_example

    path = tmp_path / "mnist_cnn.pt"
    model, accuracies = _mnist_example.main(ARGS, path)
    return model, accuracies, path


def _check(model, accuracies, path):
    assert accuracies[-1] >= 0.9, f"accuracy by epoch {accuracies}: the example did not learn"
    saved = st.load(path)
    state = model.state_dict()
    assert sorted(saved) == sorted(state)  # torch.save(model.state_dict()) keeps every name
    for k, v in state.items():
        want = v.numpy() if isinstance(v, st.Tensor) else v  # steepest's state dicts hold arrays
        np.testing.assert_array_equal(saved[k].numpy(), want)
    model.load_state_dict(saved)


def test_pytorch_mnist_example_runs_unchanged(tmp_path):
    _check(*_run(tmp_path))
