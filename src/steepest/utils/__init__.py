"""``st.utils``: PyTorch-shaped homes of steepest objects (``st.utils.data``)."""

from . import data

__all__ = ["data"]
