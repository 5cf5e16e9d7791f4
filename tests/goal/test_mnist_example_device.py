"""PyTorch's MNIST example (``_mnist_example.py``, unchanged but for its imports) on every device:
on 'cuda' it takes its own GPU branch (``device = torch.device("cuda")``, ``.to(device)`` on the
model and on every batch), as a PyTorch user's script does."""

from __future__ import annotations

import types

from test_pytorch_mnist_example import ARGS, _check


def test_pytorch_mnist_example_on_device(device, tmp_path):
    import _mnist_example

    args = types.SimpleNamespace(**{**vars(ARGS), "no_cuda": device == "cpu"})
    path = tmp_path / "mnist_cnn.pt"
    model, accuracies = _mnist_example.main(args, path)
    assert all(p.device == device for p in model.parameters())
    _check(model, accuracies, path)
