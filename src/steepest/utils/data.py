"""``st.utils.data``: PyTorch's ``torch.utils.data`` names for the objects of ``st.data``.

They are the same objects, not copies: ``st.utils.data.DataLoader is st.data.DataLoader``.

>>> from steepest.utils.data import DataLoader, TensorDataset, random_split
>>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
"""

from ..data.dataset import ArrayDataset, Dataset, Subset, TensorDataset, random_split
from ..data.loader import DataLoader, default_collate
from ..data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "ArrayDataset",
    "BatchSampler",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "random_split",
]
