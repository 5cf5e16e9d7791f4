"""PyTorch weights in and out: state dicts written by safetensors.torch.save_file load into the
steepest twins and give PyTorch's outputs; st.save writes the same names, shapes and dtypes.

The files under data/ come from tools/torch_weights.py (PyTorch 2.13); no PyTorch here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import steepest as st
from steepest import nn

DATA = Path(__file__).resolve().parent / "data"


class LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 6, num_layers=2, batch_first=True)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def _twins():
    return {
        "cnn_bn": nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64, 3),
        ),
        "lstm": LSTMNet(),
        "mlp": st.models.get("mlp", hidden=(32, 16)),
    }


@pytest.mark.parametrize("name", ["cnn_bn", "lstm", "mlp"])
def test_pytorch_state_dict_loads_and_gives_pytorchs_outputs(name):
    model = _twins()[name]
    result = model.load_state_dict(st.load(DATA / f"torch_{name}.safetensors"))
    assert result.missing_keys == [] and result.unexpected_keys == []
    model.eval()
    ref = np.load(DATA / f"torch_{name}.npz")
    np.testing.assert_allclose(model(st.tensor(ref["x"])).numpy(), ref["y"], rtol=1e-5, atol=1e-6)
    if name == "cnn_bn":  # the running statistics and the step count came across too
        bn = model[1]
        assert int(bn.num_batches_tracked.item()) == 3
        assert not np.allclose(bn.running_var.numpy(), 1.0)


def _header(path: Path) -> dict:
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"]) for k, v in header.items()}


@pytest.mark.parametrize("name", ["cnn_bn", "lstm", "mlp"])
def test_st_save_writes_what_pytorch_load_file_expects(name, tmp_path):
    """Same keys, dtypes and shapes as PyTorch's own file: load_file + load_state_dict accept it."""
    model = _twins()[name]
    st.save(model.state_dict(), tmp_path / "s.safetensors")
    assert _header(tmp_path / "s.safetensors") == _header(DATA / f"torch_{name}.safetensors")


def test_missing_unexpected_and_mismatched_keys_are_reported_together():
    state = st.load(DATA / "torch_cnn_bn.safetensors")
    del state["0.bias"]
    state["extra"] = st.zeros(1)
    state["5.weight"] = st.zeros(3, 7)
    with pytest.raises(ValueError, match=r"missing keys: 0.bias.*unexpected keys: extra.*5.weight"):
        _twins()["cnn_bn"].load_state_dict(state)


def test_bfloat16_tensors_load_as_float32(tmp_path):
    """NumPy has no bfloat16: st.load widens it to float32, exactly (bf16 is float32's top half)."""
    values = np.array([1.0, -2.5, 3.140625, 1e-3], dtype=np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype("<u2")
    header = json.dumps({
        "w": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]},
        "i": {"dtype": "I64", "shape": [2], "data_offsets": [8, 24]},
    }).encode()  # fmt: skip
    body = bf16.tobytes() + np.array([7, -1], "<i8").tobytes()
    (tmp_path / "b.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + body)
    state = st.load(tmp_path / "b.safetensors")
    assert state["w"].dtype == np.float32 and state["i"].dtype == np.int64
    want = (bf16.astype(np.uint32) << 16).view(np.float32)
    np.testing.assert_array_equal(state["w"].numpy(), want)
    np.testing.assert_array_equal(state["i"].numpy(), [7, -1])
