"""Datasets, the DataLoader, augmentation and text features.

>>> from steepest.data import ArrayDataset, DataLoader, transforms
>>> loader = DataLoader(ArrayDataset(x_train, y_train), batch_size=128, shuffle=True, seed=0)
>>> for xb, yb in loader: ...
"""

from . import text, transforms
from .dataset import ArrayDataset, Dataset, Subset, TensorDataset, random_split
from .loader import DataLoader, default_collate
from .sampler import (
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
    "text",
    "transforms",
]
