"""Checkpoint files: round trip, atomic writes, and a clear error for every kind of damage."""

import json
import os
import struct

import numpy as np
import pytest

import steepest as st
from steepest.train import checkpoint as C
from steepest.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


def _state():
    return {
        "model": {"layers.0.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
                  "bn.num_batches": np.array(7, dtype=np.int64)},
        "optimizer": {"state": {"0": {"step": 3, "exp_avg": np.full(4, 0.5)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}]},
        "rng": st.Generator(3).get_state(),          # 128-bit integers
        "int_keys": {0: "a", 1: None},
        "flags": [True, False, np.bool_(True)],
        "mask": np.array([True, False]),
        "empty": np.zeros((0, 3), np.float32),
        "tensor": st.tensor([1.0, 2.0]),
        "best": float("inf"),
        "strided": np.arange(12.0).reshape(3, 4)[:, ::2],
    }


def test_round_trip_keeps_types_and_bits(tmp_path):
    path = save_checkpoint(tmp_path / "a.safetensors", _state())
    got = load_checkpoint(path)
    want = _state()
    np.testing.assert_array_equal(got["model"]["layers.0.weight"], want["model"]["layers.0.weight"])
    assert got["model"]["layers.0.weight"].dtype == np.float32
    assert got["model"]["bn.num_batches"].dtype == np.int64 and got["model"]["bn.num_batches"] == 7
    assert got["model"]["bn.num_batches"].shape == ()  # 0-d stays 0-d (load_state_dict checks)
    assert got["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert got["optimizer"]["state"]["0"]["step"] == 3
    assert got["rng"] == want["rng"]
    assert got["int_keys"] == {0: "a", 1: None}
    assert got["flags"] == [True, False, True]
    assert got["mask"].dtype == np.bool_ and got["empty"].shape == (0, 3)
    np.testing.assert_array_equal(got["tensor"], [1.0, 2.0])
    np.testing.assert_array_equal(got["strided"], want["strided"])
    assert got["best"] == float("inf")
    info = C.checkpoint_info(path)
    assert info["optimizer"]["state"]["0"]["step"] == 3
    assert sorted(os.listdir(tmp_path)) == ["a.safetensors"]  # no temp file left


def test_unstorable_values_are_rejected(tmp_path):
    with pytest.raises(CheckpointError, match="model/w: dtype object"):
        save_checkpoint(tmp_path / "x", {"model": {"w": np.array([object()])}})
    with pytest.raises(CheckpointError, match="a set is neither"):
        save_checkpoint(tmp_path / "x", {"s": {1, 2}})
    with pytest.raises(CheckpointError, match="non-finite values in model/w"):
        save_checkpoint(tmp_path / "x", {"model": {"w": np.array([1.0, np.nan])}})
    assert not (tmp_path / "x").exists()
    save_checkpoint(tmp_path / "x", {"w": np.array([np.inf])}, allow_nonfinite=True)


@pytest.fixture
def good(tmp_path):
    path = save_checkpoint(tmp_path / "good.safetensors", _state())
    return path, path.read_bytes()


def _damaged(tmp_path, data):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    return path


def test_empty_file(tmp_path):
    with pytest.raises(CheckpointError, match=r"bad.safetensors: the file is empty"):
        load_checkpoint(_damaged(tmp_path, b""))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(CheckpointError, match=r"nope\.safetensors: no such checkpoint file"):
        load_checkpoint(tmp_path / "nope.safetensors")
    with pytest.raises(CheckpointError, match="is a directory"):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize("keep", [3, 8, 20, -1, -100])
def test_truncated_files(tmp_path, good, keep):
    _, raw = good
    cut = raw[:keep] if keep > 0 else raw[:len(raw) + keep]
    with pytest.raises(CheckpointError, match=r"bad.safetensors: .*(too short|truncated)"):
        load_checkpoint(_damaged(tmp_path, cut))


def test_garbage(tmp_path):
    rng = np.random.default_rng(0)
    with pytest.raises(CheckpointError, match=r"bad\.safetensors: not a safetensors checkpoint"):
        load_checkpoint(_damaged(tmp_path, rng.bytes(4096)))
    text = struct.pack("<Q", 10) + b"not json!!" + b"x" * 20
    with pytest.raises(CheckpointError, match="header is not JSON"):
        load_checkpoint(_damaged(tmp_path, text))
    with pytest.raises(CheckpointError, match="unexpected bytes after"):
        load_checkpoint(_damaged(tmp_path, good_bytes(tmp_path) + b"\0"))


def good_bytes(tmp_path):
    return save_checkpoint(tmp_path / "g2.safetensors", {"w": np.ones(3)}).read_bytes()


def test_flipped_tensor_byte_fails_the_hash(tmp_path, good):
    _, raw = good
    data = bytearray(raw)
    data[-5] ^= 0x01  # inside the last tensor's bytes
    with pytest.raises(CheckpointError, match=r"bad\.safetensors: integrity check failed: SHA-256"):
        load_checkpoint(_damaged(tmp_path, bytes(data)))


def test_edited_metadata_fails_the_hash(tmp_path, good):
    _, raw = good
    assert b'"step\\":3' in raw
    data = raw.replace(b'"step\\":3', b'"step\\":4')  # same length: the layout still parses
    with pytest.raises(CheckpointError, match="integrity check failed"):
        load_checkpoint(_damaged(tmp_path, data))


def test_plain_safetensors_is_not_a_checkpoint(tmp_path):
    from safetensors.numpy import save

    with pytest.raises(CheckpointError, match="not a steepest checkpoint"):
        load_checkpoint(_damaged(tmp_path, save({"w": np.ones(2)})))
    meta = {"format": C.FORMAT, "format_version": "99", "state": "{}", "sha256": "0"}
    with pytest.raises(CheckpointError, match="format version '99'"):
        load_checkpoint(_damaged(tmp_path, save({"w": np.ones(2)}, metadata=meta)))


def test_header_pointing_past_the_end(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}})
    raw = struct.pack("<Q", len(header)) + header.encode() + b"\0" * 16
    with pytest.raises(CheckpointError, match="truncated: tensor data needs 4000 bytes"):
        load_checkpoint(_damaged(tmp_path, raw))


def test_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "last.safetensors", {"w": np.zeros(3)})

    def crash(tmp, final):
        assert os.path.dirname(tmp) == os.path.dirname(final) and os.path.getsize(tmp) > 0
        raise KeyboardInterrupt

    monkeypatch.setattr(C, "before_replace", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {"w": np.ones(3)})
    np.testing.assert_array_equal(load_checkpoint(path)["w"], np.zeros(3))
    assert sorted(os.listdir(tmp_path)) == ["last.safetensors"]  # the temp file is removed
