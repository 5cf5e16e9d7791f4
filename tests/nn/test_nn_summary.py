"""st.nn.summary on a small MLP and CNN; st.nn.l1_penalty."""

import numpy as np
import pytest

import steepest as st
from steepest import nn


def test_mlp_summary_counts_shapes_and_flops():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    info = nn.summary(model, (32, 784))
    assert [r.name for r in info.layers] == ["0", "1", "2", "3"]
    assert [r.output_shape for r in info.layers] == [(32, 128)] * 3 + [(32, 10)]
    assert [r.params for r in info.layers] == [784 * 128 + 128, 0, 0, 128 * 10 + 10]
    assert info.total_params == info.trainable_params == 101_770
    assert info.layers[0].flops == 2 * 784 * 128 * 32 + 128 * 32
    assert info.layers[1].flops == 32 * 128 and info.layers[2].flops == 0
    assert info.total_flops == sum(r.flops for r in info.layers)
    assert info.output_shape == (32, 10)
    text = str(info)
    assert "Total params: 101,770" in text and "0 (Linear)" in text and "[32, 128]" in text


def test_summary_leaves_modes_gradients_and_random_stream_untouched():
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    model[1].eval()
    st.manual_seed(3)
    expected_draw = st.randn(3).data
    st.manual_seed(3)
    nn.summary(model, (2, 4))
    np.testing.assert_array_equal(st.randn(3).data, expected_draw)
    assert model.training and model[0].training and not model[1].training
    assert int(model[1].num_batches_tracked.data) == 0
    assert all(p.grad is None for p in model.parameters())
    assert all(not m._forward_hooks for m in model.modules())


def test_summary_of_recurrent_and_embedding_model_with_given_input():
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(50, 8)
            self.lstm = nn.LSTM(8, 16, batch_first=True)
            self.head = nn.Linear(16, 5)

        def forward(self, ids):
            out, _ = self.lstm(self.embed(ids))
            return self.head(out)

    info = nn.summary(Tagger(), st.tensor(np.zeros((2, 7), dtype=np.int64)))
    rows = {r.name: r for r in info.layers}
    assert rows["embed"].output_shape == (2, 7, 8)
    assert rows["lstm"].output_shape == [(2, 7, 16), [(1, 2, 16), (1, 2, 16)]]
    assert rows["lstm"].params == 4 * 16 * (8 + 16 + 2)
    assert rows["lstm"].flops == 2 * 4 * 16 * (8 + 16) * 2 * 7
    assert info.output_shape == (2, 7, 5)


def test_summary_marks_layers_it_cannot_count():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(st.ones(3))

        def forward(self, x):
            return x * self.scale

    model = nn.Sequential(Custom(), nn.Linear(3, 2))
    info = nn.summary(model, (1, 3))
    assert info.layers[0].flops is None
    assert "not counted: 0" in str(info)
    with pytest.raises(TypeError, match="Module"):
        nn.summary(lambda x: x, (1, 3))


def test_cnn_summary_counts_shapes_and_flops():
    model = nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3, padding=1),  # (2, 4, 8, 8)
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (2, 4, 4, 4)
        nn.ResidualBlock(4, 8, stride=2),  # (2, 8, 2, 2)
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 3),
    )
    info = nn.summary(model, (2, 1, 8, 8))
    rows = {r.name: r for r in info.layers}
    assert rows["0"].output_shape == (2, 4, 8, 8)
    assert rows["3"].output_shape == (2, 4, 4, 4)
    assert rows["4"].output_shape == (2, 8, 2, 2)
    assert rows["4.conv1"].output_shape == (2, 8, 2, 2) and rows["4.conv1"].depth == 1
    assert rows["4.shortcut.0"].depth == 2
    assert rows["6"].output_shape == (2, 8) and info.output_shape == (2, 3)
    assert rows["0"].params == 4 * 9 + 4
    assert rows["0"].flops == 2 * 9 * (2 * 4 * 8 * 8) + 2 * 4 * 8 * 8
    block_params = 4 * 8 * 9 + 8 * 8 * 9 + 4 * 8 + 3 * 2 * 8
    assert info.total_params == 40 + 8 + block_params + 8 * 3 + 3
    assert sum(r.params for r in info.layers) == info.total_params


def test_l1_and_l2_penalties_and_their_gradients():
    lin = nn.Linear(3, 2, dtype=np.float64)
    lin.weight.data[...] = [[1.0, -2.0, 0.0], [0.5, 0.0, -0.5]]
    lin.bias.data[...] = [-1.0, 3.0]
    penalty = nn.l1_penalty(lin)
    assert penalty.item() == pytest.approx(8.0)
    penalty.backward()
    np.testing.assert_array_equal(lin.weight.grad.data, np.sign(lin.weight.data))
    assert nn.l2_penalty([lin.bias]).item() == pytest.approx(10.0)
    with pytest.raises(ValueError, match="no parameters"):
        nn.l1_penalty([])
