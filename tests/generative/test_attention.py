"""Multi-head causal attention and the transformer block: gradients (float64), causality."""

import numpy as np
import pytest

import steepest as st
from steepest.models import CharTransformer, MultiHeadAttention, TransformerBlock, causal_mask


def _params(module):
    return list(module.parameters())


def test_attention_gradients_wrt_input_and_every_parameter():
    st.manual_seed(0)
    mha = MultiHeadAttention(8, heads=2, dtype=np.float64)
    x = st.randn(2, 4, 8, dtype=np.float64, requires_grad=True)
    params = _params(mha)
    assert st.gradcheck(lambda x, *p: (mha(x) ** 2).sum(), [x, *params])


def test_non_causal_attention_gradients():
    st.manual_seed(1)
    mha = MultiHeadAttention(6, heads=3, causal=False, dtype=np.float64)
    x = st.randn(1, 3, 6, dtype=np.float64, requires_grad=True)
    assert st.gradcheck(lambda x, *p: (mha(x) * mha(x).tanh()).sum(), [x, *_params(mha)])


def test_transformer_block_gradients_and_second_derivatives_of_attention():
    st.manual_seed(2)
    block = TransformerBlock(8, heads=2, dtype=np.float64)
    x = st.randn(1, 3, 8, dtype=np.float64, requires_grad=True)
    assert st.gradcheck(lambda x, *p: (block(x) ** 2).sum(), [x, *_params(block)])
    mha = MultiHeadAttention(4, heads=2, dtype=np.float64)
    y = st.randn(1, 3, 4, dtype=np.float64, requires_grad=True)
    assert st.gradgradcheck(lambda y: (mha(y) ** 2).sum(), [y])


def test_a_position_never_sees_the_future():
    st.manual_seed(3)
    mha = MultiHeadAttention(8, heads=2, dtype=np.float64)
    x = st.randn(1, 6, 8, dtype=np.float64, requires_grad=True)
    out = mha(x)
    out[0, 2].sum().backward()  # output at position 2 ...
    g = np.abs(x.grad.numpy()[0]).sum(axis=1)
    assert np.all(g[3:] == 0) and np.all(g[:3] > 0)  # ... depends on positions 0..2 only


def test_causal_mask_and_softmax_weights_sum_to_one_over_the_past():
    m = causal_mask(3, np.float32)
    assert m[0, 0] == 0 and m[2, 0] == 0 and m[0, 1] < -1e30
    w = st.softmax(st.tensor(np.zeros((3, 3), np.float32)) + m, axis=-1).numpy()
    np.testing.assert_allclose(w, [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_char_transformer_shapes_and_errors():
    lm = CharTransformer(vocab_size=5, d_model=8, heads=2, layers=1, max_len=6)
    assert lm(np.zeros((2, 6), np.int64)).shape == (2, 6, 5)
    with pytest.raises(ValueError, match="exceed max_len 6"):
        lm(np.zeros((1, 7), np.int64))
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 5\)"):
        lm(np.full((1, 3), 5, np.int64))
    with pytest.raises(ValueError, match="divisible by heads"):
        MultiHeadAttention(6, heads=4)
