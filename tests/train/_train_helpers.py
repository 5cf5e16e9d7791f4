"""Helpers for the training tests: a tiny classification set and a tiny MLP.

(A module with its own name, not conftest: several test folders have a conftest.py.)
"""

import numpy as np

import steepest as st


def make_data(n=96, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    w = rng.standard_normal((d, classes)).astype(np.float32)
    y = (x @ w).argmax(axis=1).astype(np.int64)
    return x, y


def make_loader(x, y, batch_size=16, shuffle=True, seed=1):
    return st.data.DataLoader(st.data.ArrayDataset(x, y), batch_size=batch_size,
                              shuffle=shuffle, seed=seed)


def make_model(d=6, classes=3, hidden=12, dropout=0.0, seed=0):
    st.manual_seed(seed)
    layers = [st.nn.Linear(d, hidden), st.nn.Tanh()]
    if dropout:
        layers.append(st.nn.Dropout(dropout))
    layers.append(st.nn.Linear(hidden, classes))
    return st.nn.Sequential(*layers)


def weights(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k


