"""``steepest export RUN_OR_CHECKPOINT --format onnx --out model.onnx``: the trained model as
an ONNX file (``st.onnx.export``), with a dynamic batch dimension."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import UsageError


def export_command(target: Path, out: Path | None, opset: int) -> int:
    from .. import onnx as st_onnx
    from ..tensor import Tensor
    from .eval_cmd import restore

    checkpoint, _, task, data, model, _ = restore(target)
    if task in ("gan", "vae"):
        raise UsageError(f"{target}: export covers classifiers and language models; a {task} "
                         "samples at random, which an ONNX graph does not")  # fmt: skip
    run_dir = checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else Path(".")
    out = out if out is not None else run_dir / "model.onnx"
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"--out {out}: give a file path in an existing directory")
    dtype = np.int64 if data.kind == "tokens" else np.float32
    example = Tensor(np.zeros((1, *data.input_shape), dtype=dtype))
    try:
        st_onnx.export(model, example, out, opset=opset)
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    except st_onnx.ExportError as exc:
        raise UsageError(f"{checkpoint}: {exc}") from None
    print(f"wrote {out} ({out.stat().st_size:,} bytes, opset {opset}, input (batch, "
          f"{', '.join(map(str, data.input_shape))}) {np.dtype(dtype).name}) from {checkpoint}")
    return 0
