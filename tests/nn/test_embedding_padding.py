"""Embedding's padding_idx: the padding row starts at zero and gets no gradient (PyTorch's rule)."""

from __future__ import annotations

import numpy as np
import pytest

import steepest as st

IDS = np.array([[0, 3, 3, 1], [2, 0, 0, 3]])


@pytest.mark.parametrize("padding_idx", [0, -5])  # -5 is row 0 of 5
def test_padding_row_is_zero_and_gets_no_gradient(padding_idx):
    emb = st.nn.Embedding(5, 4, padding_idx=padding_idx, dtype=np.float64)
    assert emb.padding_idx == 0
    np.testing.assert_array_equal(emb.weight.data[0], 0)
    out = emb(IDS)
    np.testing.assert_array_equal(out.data[IDS == 0], 0)
    (out * st.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape))).sum().backward()

    plain = st.tensor(emb.weight.data, requires_grad=True)
    weights = st.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape))
    (st.embedding(plain, IDS) * weights).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[0], 0)
    np.testing.assert_array_equal(emb.weight.grad.data[1:], plain.grad.data[1:])
    assert np.abs(plain.grad.data[0]).sum() > 0  # without padding the row would have moved


def test_padding_row_stays_put_through_training():
    st.manual_seed(0)
    emb = st.nn.Embedding(6, 3, padding_idx=2)
    opt = st.optim.SGD(emb.parameters(), lr=0.5, momentum=0.9)
    for _ in range(5):
        opt.zero_grad()
        (emb(np.array([[2, 1, 2, 4]])) ** 2).sum().backward()
        opt.step()
    np.testing.assert_array_equal(emb.weight.data[2], 0)


def test_padding_under_create_graph_matches_plain_backward():
    w = st.tensor(np.random.default_rng(0).normal(size=(5, 2)), requires_grad=True)
    (g1,) = st.grad((st.embedding(w, IDS, padding_idx=3) ** 2).sum(), w, create_graph=True)
    (g2,) = st.grad((st.embedding(w, IDS, padding_idx=3) ** 2).sum(), w)
    np.testing.assert_allclose(g1.data, g2.data)
    np.testing.assert_array_equal(g2.data[3], 0)
    (gg,) = st.grad(g1.sum(), w)  # d/dw of sum(2 w[ids]) over kept ids: 2 per occurrence
    counts = np.bincount(IDS[IDS != 3], minlength=5)
    np.testing.assert_allclose(gg.data, np.repeat(2.0 * counts[:, None], 2, axis=1))


def test_repr_and_bad_padding_idx():
    assert "padding_idx=1" in repr(st.nn.Embedding(4, 2, padding_idx=1))
    with pytest.raises(ValueError, match=r"padding_idx must lie in \[-4, 4\), got 4"):
        st.nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(TypeError, match="padding_idx must be an int"):
        st.nn.Embedding(4, 2, padding_idx=1.0)
    with pytest.raises(ValueError, match=r"padding_idx must lie in \[-4, 4\), got -5"):
        st.embedding(st.zeros(4, 2), [1], padding_idx=-5)


def test_functional_embedding_takes_pytorchs_argument_order():
    import steepest.nn.functional as F

    w = st.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    out = F.embedding(np.array([[3, 0]]), w, padding_idx=0)
    np.testing.assert_array_equal(out.data, w.data[[[3, 0]]])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data[:, 0], [0, 0, 0, 1])
