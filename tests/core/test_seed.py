"""st.manual_seed fixes every random choice of the library given no generator or seed."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

import steepest as st
from steepest.data import ArrayDataset, DataLoader, random_split

SCRIPT = """
import json, sys
import numpy as np
import steepest as st
from steepest.data import ArrayDataset, DataLoader, random_split
st.manual_seed(int(sys.argv[1]))
data = ArrayDataset(np.arange(40))
order = [int(i) for (b,) in DataLoader(data, batch_size=8, shuffle=True) for i in b.numpy()]
split = [int(i) for i in random_split(data, [30, 10])[1].indices]
drop = st.dropout(st.ones(20), 0.5).numpy().tolist()
weight = float(st.nn.Linear(4, 3).weight.numpy().sum())
print(json.dumps([order, split, drop, weight, st.randn(3).numpy().tolist()]))
"""


def _run(seed: int) -> list:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(seed)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_two_fresh_processes_with_the_same_seed_draw_the_same():
    first, second, other = _run(7), _run(7), _run(8)
    assert first == second
    order, split = first[0], first[1]
    assert sorted(order) == list(range(40)) and order != list(range(40))  # really shuffled
    assert len(set(split)) == 10
    for a, b in zip(first, other, strict=True):
        assert a != b  # each draw depends on the seed


def test_manual_seed_repeats_loader_order_and_split_in_process():
    data = ArrayDataset(np.arange(30))

    def draws():
        loader = DataLoader(data, batch_size=30, shuffle=True)
        return next(iter(loader))[0].numpy().tolist(), random_split(data, [0.5, 0.5])[0].indices

    st.manual_seed(3)
    order, split = draws()
    st.manual_seed(3)
    again, split_again = draws()
    assert order == again
    np.testing.assert_array_equal(split, split_again)


def test_explicit_seed_and_generator_do_not_touch_the_global_stream():
    data = ArrayDataset(np.arange(30))
    st.manual_seed(5)
    expected = st.randn(4).numpy()
    st.manual_seed(5)
    DataLoader(data, shuffle=True, seed=1)
    random_split(data, [10, 20], seed=2)
    random_split(data, [10, 20], seed=st.Generator(2))
    np.testing.assert_array_equal(st.randn(4).numpy(), expected)
