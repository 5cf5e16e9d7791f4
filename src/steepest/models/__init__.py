"""``st.models``: ready-made networks, by class or by name.

=============  ===============================================================  ==========
name           model                                                            input
=============  ===============================================================  ==========
mlp            ``MLP``: widths, activation, dropout, batch norm configurable     features
lenet5         ``LeNet5`` (LeCun et al., 1998); ``batch_norm=True``             image
mnist_cnn      ``MnistCNN``: conv32-conv64-maxpool-dropout-fc128-dropout-fc      image
resnet         ``ResNet`` for 32x32 images, ResNet-8 by default (``blocks=1``)   image
resnet20       ``ResNet(blocks=3)``: the paper's ResNet-20                       image
fasttext       ``FastText``: mean of hashed n-gram embeddings, then linear       tokens
text_cnn       ``TextCNN`` (Kim, 2014): convolutions over time, max-pooled       tokens
text_lstm      ``LSTMClassifier``: final state(s), linear; bidirectional        tokens
autoencoder    ``Autoencoder``: mirrored MLPs, output shaped like the input      features
dae            ``DenoisingAutoencoder``: an autoencoder fed noisy inputs         features
vae            ``VAE``: Gaussian latent code, Bernoulli decoder, seeded sampling features
gan            ``GAN``: MLP generator and discriminator                          features
charlstm       ``CharRNN``: character LSTM/GRU language model                    tokens
transformer    ``CharTransformer``: small causal transformer over characters     tokens
=============  ===============================================================  ==========

>>> model = st.models.get("mlp", in_features=784, hidden=(512, 256), num_classes=10)
>>> st.models.names()
>>> model = st.models.for_data("lenet5", input_shape=(1, 28, 28), num_classes=10)
"""

from .autoencoder import Autoencoder
from .charlm import CharModel, CharRNN
from .denoising import DenoisingAutoencoder
from .gan import GAN
from .lenet import LeNet5
from .mlp import MLP
from .mnist_cnn import MnistCNN
from .registry import (
    ModelSpec,
    accepts,
    auto_batch_size,
    for_data,
    get,
    names,
    recipe,
    register,
    spec,
)
from .resnet import ResNet
from .sampling import generate, sample_next
from .text import FastText, LSTMClassifier, TextCNN
from .transformer import CharTransformer, MultiHeadAttention, TransformerBlock, causal_mask
from .vae import VAE, VAEOutput

__all__ = [
    "GAN", "MLP", "VAE", "Autoencoder", "CharModel", "CharRNN", "CharTransformer",
    "DenoisingAutoencoder", "FastText", "LSTMClassifier", "LeNet5", "MnistCNN", "ModelSpec",
    "MultiHeadAttention", "ResNet", "TextCNN", "TransformerBlock", "VAEOutput", "accepts",
    "auto_batch_size", "causal_mask", "for_data", "generate", "get", "names", "recipe",
    "register", "sample_next", "spec",
]  # fmt: skip
