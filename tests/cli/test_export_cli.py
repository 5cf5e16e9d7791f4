"""`steepest export`: the exported model's test accuracy in onnxruntime is `steepest eval`'s."""

from __future__ import annotations

import re

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")  # installed by `make test` (the onnx extra)


def test_exported_mnist_model_scores_what_eval_scores(run_cli, fake_mnist, tmp_path):
    run = tmp_path / "run"
    code, _, err = run_cli("train", "--dataset", fake_mnist, "--model", "lenet5", "--epochs", "2",
                           "--val-split", "0", "--quiet", "--out", run)  # fmt: skip
    assert code == 0, err
    code, out, err = run_cli("export", run, "--format", "onnx", "--out", tmp_path / "m.onnx")
    assert code == 0, err
    assert "wrote" in out and (tmp_path / "m.onnx").is_file()
    code, out, _ = run_cli("eval", run)
    eval_accuracy = float(re.search(r"accuracy (\d\.\d+)", out).group(1))

    from steepest.cli.data import eval_loader
    from steepest.cli.eval_cmd import restore

    _, _, task, data, _, _ = restore(run)  # the test split exactly as eval reads it
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    right = total = 0
    for x, y in eval_loader(data.x_test, data.y_test, data, 7):
        logits = session.run(None, {"input": np.asarray(x.numpy(), np.float32)})[0]
        right += int((logits.argmax(1) == y.numpy()).sum())
        total += len(logits)
    assert task == "classify" and total == len(data.y_test)
    assert right / total == pytest.approx(eval_accuracy, abs=5e-5)  # eval prints 4 decimals


def test_export_errors_are_one_line(run_cli, tmp_path):
    code, _, err = run_cli("export", tmp_path / "nothing")
    assert code == 2 and "does not exist" in err and "Traceback" not in err
