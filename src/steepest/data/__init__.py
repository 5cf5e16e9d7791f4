"""Datasets, the DataLoader, augmentation and text features.

>>> from steepest.data import ArrayDataset, DataLoader, transforms
>>> loader = DataLoader(ArrayDataset(x_train, y_train), batch_size=128, shuffle=True, seed=0)
>>> for xb, yb in loader: ...
"""

from . import text, transforms
from .dataset import ArrayDataset, Dataset, Subset, TensorDataset, random_split
from .loader import DataLoader, default_collate

__all__ = [
    "ArrayDataset",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
    "text",
    "transforms",
]
