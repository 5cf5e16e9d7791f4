"""st.save / st.load: safetensors files, PyTorch's names for a state dict, nested dicts, errors."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import steepest as st


def _header(path) -> dict:
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8 : 8 + n])


def test_a_state_dict_is_stored_under_its_own_names_as_pytorch_reads_them(tmp_path):
    model = st.nn.Sequential(st.nn.Linear(3, 4), st.nn.ReLU(), st.nn.Linear(4, 2))
    path = tmp_path / "model.safetensors"
    st.save(model.state_dict(), path)
    header = _header(path)
    # safetensors.torch.load_file sees exactly these names, dtypes and shapes
    assert set(header) - {"__metadata__"} == set(model.state_dict())
    assert header["0.weight"]["dtype"] == "F32" and header["0.weight"]["shape"] == [4, 3]
    assert "__metadata__" not in header  # nothing PyTorch would need to ignore
    loaded = st.load(path)
    assert all(isinstance(v, st.Tensor) for v in loaded.values())
    other = st.nn.Sequential(st.nn.Linear(3, 4), st.nn.ReLU(), st.nn.Linear(4, 2))
    other.load_state_dict(loaded)
    x = st.randn(5, 3)
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())


def test_nested_state_round_trips_with_key_types_and_values(tmp_path):
    model = st.nn.Linear(3, 2)
    opt = st.optim.Adam(model.parameters(), lr=0.01)
    model(st.randn(4, 3)).sum().backward()
    opt.step()
    ckpt = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "epoch": 3,
        "history": (0.5, None, "done"),
        "by_int": {1: st.tensor([1, 2]), 2: [True, 1.5]},
    }
    path = tmp_path / "ckpt.safetensors"
    st.save(ckpt, path)
    back = st.load(path)
    assert back["epoch"] == 3 and back["history"] == (0.5, None, "done")
    assert back["by_int"][2] == [True, 1.5] and back["by_int"][1].tolist() == [1, 2]
    assert back["by_int"][1].dtype == st.int64
    assert "model.weight" in _header(path)  # nested names: the key path joined by dots
    opt2 = st.optim.Adam(model.parameters(), lr=0.01)
    opt2.load_state_dict(back["optimizer"])  # what the optimizer wrote, it reads back
    for group, saved in zip(opt2.param_groups, opt.param_groups, strict=True):
        assert group["lr"] == saved["lr"]


def test_what_cannot_be_saved_is_named_and_no_file_is_left(tmp_path):
    path = tmp_path / "bad.safetensors"
    with pytest.raises(TypeError, match=r"cannot save a object at extra\.fn"):
        st.save({"w": st.zeros(2), "extra": {"fn": object()}}, path)
    with pytest.raises(TypeError, match="expected a dict"):
        st.save(st.zeros(2), path)
    with pytest.raises(ValueError, match=r"same name 'a\.b'"):
        st.save({"a": {"b": st.zeros(1)}, "a.b": st.zeros(1)}, path)
    assert os.listdir(tmp_path) == []  # atomic: nothing half-written


def test_loading_a_file_that_is_not_safetensors_names_it(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"\x80\x04not a safetensors file")
    with pytest.raises(ValueError, match=r"junk\.pt is not a readable safetensors file"):
        st.load(path)


def test_map_location_accepts_devices(tmp_path):
    path = tmp_path / "t.safetensors"
    st.save({"x": st.arange(3)}, path)
    assert st.load(path, map_location=st.device("cpu"))["x"].device == "cpu"
    assert st.load(path, map_location="cpu", weights_only=True)["x"].tolist() == [0, 1, 2]
