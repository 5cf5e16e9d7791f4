"""ONNX export: hand a trained model to any ONNX runtime.

>>> st.onnx.export(model, st.randn(1, 1, 28, 28), "model.onnx")
"""

from .export import export
from .graph import ExportError

__all__ = ["ExportError", "export"]
