"""Stateful truncated BPTT: a CharRNN carrying its state over chunks reads them as one text."""

import itertools

import numpy as np

import steepest as st
from steepest.cli.data import Prepared
from steepest.cli.generative import stateful_loader
from steepest.data.text import stream_order


def test_carried_state_equals_reading_the_text_in_one_piece():
    st.manual_seed(0)
    model = st.models.CharRNN(vocab_size=7, embed_dim=4, hidden_size=8, stateful=True)
    ids = np.random.default_rng(0).integers(0, 7, (3, 12))
    whole = model.eval()(st.tensor(ids)).data  # eval: stateless, the 12 characters at once
    model.train()
    first = model(st.tensor(ids[:, :5])).data
    second = model(st.tensor(ids[:, 5:])).data
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-5,
                               atol=1e-6)
    model.reset_state()  # starts over: the second chunk alone, from a zero state
    alone = model(st.tensor(ids[:, 5:])).data
    assert not np.allclose(alone, second)


def test_the_carried_state_is_detached():
    model = st.models.CharRNN(vocab_size=5, embed_dim=4, hidden_size=6, stateful=True)
    x = st.tensor(np.zeros((2, 3), np.int64))
    model(x).sum().backward()
    model.zero_grad()
    model(x).sum().backward()  # a second backward through the first chunk's graph would fail
    assert all(s._ctx is None for s in model._carry)


def test_stream_order_makes_rows_continue_across_batches():
    n, batch = 11, 3
    chunks = np.arange(n)  # chunk k holds text positions k*L .. (k+1)*L
    data = Prepared(name="t", kind="tokens", input_shape=(1,), num_classes=2,
                    x_train=chunks[:, None], y_train=chunks[:, None], x_test=chunks[:1, None],
                    y_test=chunks[:1, None])
    batches = [xb.numpy()[:, 0] for xb, _ in stateful_loader(data, batch)]
    assert len(batches) == n // batch
    for prev, nxt in itertools.pairwise(batches):
        np.testing.assert_array_equal(nxt, prev + 1)  # each row reads on where it stopped
    assert sorted(stream_order(n, batch).tolist()) == list(range(9))
