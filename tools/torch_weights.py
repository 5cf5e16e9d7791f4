"""Write PyTorch-trained weights and PyTorch's outputs for tests/interop/test_torch_weights.py.

    python tools/torch_weights.py     (needs PyTorch and safetensors; the tests need neither)

Three PyTorch modules with the same layers and parameter names as their steepest twins: a CNN
with batch norm (its running statistics moved by a few training-mode passes), a two-layer
LSTM, and the `mlp` preset's layout. Each is saved with `safetensors.torch.save_file(
net.state_dict(), ...)`, exactly as a user would, next to an .npz of one input batch and the
module's evaluation-mode output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "tests" / "interop" / "data"


def cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))  # fmt: skip


def mlp() -> nn.Module:  # st.models.get("mlp", hidden=[32, 16]): Flatten first, as the preset
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 16),
                         nn.ReLU(), nn.Linear(16, 10))  # fmt: skip


class LSTMNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 6, num_layers=2, batch_first=True)
        self.fc = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    cases = {"cnn_bn": (cnn(), (4, 1, 8, 8)), "lstm": (LSTMNet(), (4, 7, 5)),
             "mlp": (mlp(), (4, 1, 28, 28))}  # fmt: skip
    for name, (net, shape) in cases.items():
        x = rng.standard_normal(shape).astype(np.float32)
        net.train()
        with torch.no_grad():
            for _ in range(3):  # batch norm's running statistics move away from 0 and 1
                net(torch.from_numpy(rng.standard_normal(shape).astype(np.float32)) * 2 + 0.5)
        net.eval()
        with torch.no_grad():
            y = net(torch.from_numpy(x)).numpy()
        save_file(net.state_dict(), OUT / f"torch_{name}.safetensors")
        np.savez(OUT / f"torch_{name}.npz", x=x, y=y)
        print(f"{name}: {len(net.state_dict())} tensors, output {y.shape}, "
              f"torch {torch.__version__}")  # fmt: skip


if __name__ == "__main__":
    main()
