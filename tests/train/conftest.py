"""Fixtures for the training tests."""

import pytest
from _train_helpers import make_data, make_loader, make_model

import steepest as st


@pytest.fixture
def data():
    return make_data()


@pytest.fixture
def setup(data):
    """A fresh (model, loss_fn, optimizer, train_loader, val_loader), seeded."""
    x, y = data

    def build(dropout=0.0, lr=0.05, batch_size=16, optimizer="sgd"):
        model = make_model(dropout=dropout)
        opt = (st.optim.SGD(model.parameters(), lr=lr, momentum=0.9) if optimizer == "sgd"
               else st.optim.Adam(model.parameters(), lr=lr))
        return (model, st.nn.CrossEntropyLoss(), opt,
                make_loader(x[:64], y[:64], batch_size=batch_size),
                make_loader(x[64:], y[64:], batch_size=32, shuffle=False))

    return build
