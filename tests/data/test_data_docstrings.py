"""The examples in the data modules' docstrings run and print what they claim."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import steepest
from steepest.data import dataset, loader, text, transforms
from steepest.datasets import _csv, _errors, _idx, _safe_pickle, synthetic


@pytest.mark.parametrize(
    "module",
    [dataset, loader, text, transforms, _csv, _errors, _idx, _safe_pickle, synthetic],
    ids=lambda m: m.__name__,
)
def test_docstring_examples(module):
    names = {"np": np, "st": steepest, "ArrayDataset": dataset.ArrayDataset}
    result = doctest.testmod(module, extraglobs=names, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
