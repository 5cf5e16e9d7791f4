"""`steepest train --device`: trains on the device, or says in one line why it cannot."""

import numpy as np
import pytest

from steepest import backend
from steepest.train import load_checkpoint

SPIRALS = ["--dataset", "spirals", "--model-arg", "hidden=[16]", "--batch-size", "64",
           "--subset", "128", "--lr", "0.01", "--scheduler", "none", "--epochs", "2", "--quiet"]


def test_train_on_device_matches_cpu(run_cli, device, tmp_path):
    runs = {}
    for name, dev in (("cpu", "cpu"), ("dev", device)):
        code, _, err = run_cli("train", *SPIRALS, "--device", dev, "--out", tmp_path / name)
        assert code == 0, err
        runs[name] = load_checkpoint(tmp_path / name / "checkpoints" / "last.safetensors")
    for k, v in runs["dev"]["model"].items():
        assert type(v) is np.ndarray  # the checkpoint holds host arrays
        # float32 sums round differently on a GPU; a missed or doubled step is far outside these
        np.testing.assert_allclose(v, runs["cpu"]["model"][k], rtol=1e-3, atol=1e-4, err_msg=k)
    assert runs["dev"]["config"]["device"] == device


@pytest.mark.parametrize(("cupy", "message"), [
    (False, "--device cuda: device 'cuda' needs CuPy, which is not installed"),
    (None, "--device cuda: device 'cuda': CuPy is installed but finds no CUDA GPU"),
])
def test_device_cuda_without_a_gpu_is_one_line(run_cli, cupy, message, monkeypatch, tmp_path):
    class NoDevice:
        class cuda:
            class runtime:
                @staticmethod
                def getDeviceCount():
                    return 0

    monkeypatch.setattr(backend, "_cupy", NoDevice if cupy is None else cupy)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("train", *SPIRALS, "--device", "cuda")
    assert code == 2 and out == ""
    assert err.startswith("steepest: error: ") and err.count("\n") == 1, err
    assert message in err
    assert not list(tmp_path.glob("runs"))
    code, _, err = run_cli("train", *SPIRALS, "--device", "tpu")
    assert code == 2 and "argument --device: invalid choice: 'tpu'" in err
