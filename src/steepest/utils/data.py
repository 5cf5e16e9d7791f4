"""``st.utils.data``: PyTorch's ``torch.utils.data`` names for the objects of ``st.data``.

They are the same objects, not copies: ``st.utils.data.DataLoader is st.data.DataLoader``.

>>> from steepest.utils.data import DataLoader, TensorDataset, random_split
>>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
"""

from .. import data as _data
from ..data import *  # noqa: F403 - one list of names: st.data's

__all__ = [name for name in _data.__all__ if name not in ("text", "transforms")]
