"""Generators and discriminators: MLPs for 2D data and MNIST, DCGAN for images.

Every builder returns a plain nn.Module with two extra attributes:
    latent_dim    (generators) the size of the noise vector z
    ganlab_spec   (builder name, kwargs) so GAN.load can rebuild it

Shapes (B = batch size):
    generator:      z (B, latent_dim)  ->  samples (B, *out_shape)
    discriminator:  samples (B, *in_shape)  ->  scores (B, 1), raw (no sigmoid)

Discriminators return raw scores (logits); each loss in ganlab.losses decides
what to do with them (a sigmoid for the original GAN, nothing for WGAN).
"""
import contextlib
import math

import torch
from torch import nn

_ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": lambda: nn.Tanh(),
    "elu": lambda: nn.ELU(),
}


def _activation(name):
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def _tag(module, builder, **kwargs):
    module.ganlab_spec = (builder, kwargs)
    return module


@contextlib.contextmanager
def eval_mode(*modules):
    """Run a block with `modules` in eval mode (batch norm's running statistics, no dropout),
    each put back in the mode it was in afterwards."""
    was = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, training in zip(modules, was):
            m.train(training)


def mlp_generator(latent_dim=64, hidden=(256, 256), out_shape=(1, 28, 28),
                  activation="relu", output="tanh", batch_norm=False):
    """An MLP from noise to samples: latent_dim -> hidden... -> prod(out_shape).

    The MNIST default is the classic 64 -> 256 -> 256 -> 784 with tanh outputs in
    [-1, 1] (the range ganlab.data.mnist uses). For 2D toy data use
    out_shape=(2,), output=None (no squashing: the plane is unbounded).
    batch_norm: normalise each hidden layer over the batch (as DCGAN's generator does).
    """
    out_shape = tuple(out_shape)
    layers, width = [], latent_dim
    for h in hidden:
        layers.append(nn.Linear(width, h))
        if batch_norm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(_activation(activation))
        width = h
    layers.append(nn.Linear(width, math.prod(out_shape)))
    if output is not None:
        layers.append(_activation(output))
    if len(out_shape) > 1:
        layers.append(nn.Unflatten(1, out_shape))       # (B, 784) -> (B, 1, 28, 28)
    net = nn.Sequential(*layers)
    net.latent_dim = latent_dim
    return _tag(net, "mlp_generator", latent_dim=latent_dim, hidden=tuple(hidden),
                out_shape=out_shape, activation=activation, output=output, batch_norm=batch_norm)


def mlp_discriminator(in_shape=(1, 28, 28), hidden=(256, 256), activation="leaky_relu",
                      dropout=0.0, pack=1, spectral_norm=False, minibatch_std=False, maxout=0):
    """An MLP from samples to one raw score: prod(in_shape) -> hidden... -> 1.

    activation: a name, or with maxout=k each hidden unit is the largest of k linear
          pieces (maxout, Goodfellow et al. 2013; PacGAN's 2D discriminator uses k = 5).
    dropout: applied after each hidden layer (weakens D; helps an MLP GAN).
    pack: PacGAN packing, the discriminator judges `pack` samples at once
          (batch size must then be a multiple of pack; see ganlab.training).
    spectral_norm: divide each weight matrix by its largest singular value
          (Miyato et al. 2018), so D cannot change its score faster than its inputs change.
    minibatch_std: before the last layer, add one feature: how much the batch varies
          (ProGAN, Karras et al. 2018). A batch of near-copies stands out to D.
    """
    in_shape = tuple(in_shape)
    norm = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)
    layers, width = [Pack(pack, math.prod(in_shape)) if pack > 1 else nn.Flatten()], math.prod(in_shape) * pack
    for h in hidden:
        if maxout:
            layers += [norm(nn.Linear(width, h * maxout)), Maxout(maxout)]
        else:
            layers += [norm(nn.Linear(width, h)), _activation(activation)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = h
    if minibatch_std:
        layers.append(MinibatchStd())
        width += 1
    layers.append(norm(nn.Linear(width, 1)))
    net = nn.Sequential(*layers)
    net.pack = pack
    return _tag(net, "mlp_discriminator", in_shape=in_shape, hidden=tuple(hidden),
                activation=activation, dropout=dropout, pack=pack, spectral_norm=spectral_norm,
                minibatch_std=minibatch_std, maxout=maxout)


class Pack(nn.Module):
    """PacGAN's packing inside D: (B, ...) samples -> (B / pack, pack * features) rows, the
    consecutive samples k*pack ... k*pack + pack - 1 side by side in row k (in order).
    Rows already packed (pack * features wide) pass through flattened."""

    packs_itself = True

    def __init__(self, pack, features):
        super().__init__()
        self.pack, self.features = pack, features

    def forward(self, x):
        x = x.flatten(1)
        if x.shape[1] == self.pack * self.features:
            return x
        if x.shape[0] % self.pack:
            raise ValueError(f"batch of {x.shape[0]} is not a multiple of the discriminator's pack={self.pack}")
        return x.reshape(x.shape[0] // self.pack, self.pack * self.features)


def pack_rows(x, pack):
    """(B, C, ...) -> (B / pack, pack * C, ...): PacGAN's packing for a discriminator of your own
    that sets .pack but has no Pack layer (ganlab's own pack inside D, with Pack)."""
    if x.shape[0] % pack:
        raise ValueError(f"batch of {x.shape[0]} is not a multiple of the discriminator's pack={pack}")
    return x.reshape(x.shape[0] // pack, pack * x.shape[1], *x.shape[2:])


def packs_itself(discriminator):
    """Whether `discriminator` packs its input inside (a Pack layer), so the trainer need not."""
    return any(getattr(m, "packs_itself", False) for m in discriminator.modules())


def mixes_batch(module):
    """Whether a layer of `module` mixes samples across the batch (batch norm, minibatch std).

    The trainer then judges real and fake batches in separate passes, so each is
    normalised or summarised on its own, as in DCGAN; otherwise in one joint pass."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) or getattr(m, "mixes_batch", False)
               for m in module.modules())


class Maxout(nn.Module):
    """(B, units * k) -> (B, units): each unit keeps the largest of its k pieces."""

    def __init__(self, pieces):
        super().__init__()
        self.pieces = pieces

    def forward(self, x):
        return x.unflatten(1, (-1, self.pieces)).amax(dim=2)


class MinibatchStd(nn.Module):
    """Append one feature to every sample: the batch's mean standard deviation.

    features (B, F) -> (B, F + 1). The std of each feature over the batch, averaged
    over features, is the same number for every sample of the batch: high for a
    varied batch, near 0 for a batch of near-copies, which is what a collapsed
    generator makes. D can then reject collapse itself.
    """
    mixes_batch = True       # its output depends on the whole batch (see GAN.joint_d_pass)

    def forward(self, x):
        std = (x.var(0, unbiased=False) + 1e-8).sqrt().mean()       # a scalar
        return torch.cat([x, std.expand(x.shape[0], 1)], dim=1)


def _check_image_size(image_size):
    if image_size not in (28, 64):
        raise ValueError(f"DCGAN builders support image_size 28 or 64, got {image_size}")


def dcgan_generator(latent_dim=100, width=64, image_size=28, channels=1, init=True, refine=0):
    """DCGAN generator: transposed convolutions with batch norm, tanh output.

    28x28:  z (B, 100) -> (4w, 7, 7) -> (2w, 14, 14) -> (channels, 28, 28)
    64x64:  z -> (8w, 4, 4) -> (4w, 8, 8) -> (2w, 16, 16) -> (w, 32, 32) -> (channels, 64, 64)
    `width` (w) scales every layer: width=16 trains in minutes on a CPU. The DCGAN paper's
    64x64 generator starts at 1024 channels at 4x4, width=128 here; the PyTorch DCGAN
    tutorial uses width=64. refine: extra 3x3 convolutions (batch norm, ReLU) at the last hidden
    size (14x14 or 32x32), which keep the size and channels: a deeper generator, still all convolutional.
    """
    _check_image_size(image_size)
    w = width
    last_hidden = 2 * w if image_size == 28 else w
    refinements = []
    for _ in range(int(refine)):
        refinements += [nn.Conv2d(last_hidden, last_hidden, 3, 1, 1, bias=False), nn.BatchNorm2d(last_hidden),
                        nn.ReLU(True)]

    def up(cin, cout):  # doubles height and width
        return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]

    layers = [nn.Unflatten(1, (latent_dim, 1, 1))]
    if image_size == 28:
        layers += [nn.ConvTranspose2d(latent_dim, 4 * w, 7, 1, 0, bias=False),  # (4w, 7, 7)
                   nn.BatchNorm2d(4 * w), nn.ReLU(True)]
        layers += up(4 * w, 2 * w) + refinements                                # (2w, 14, 14)
        layers += [nn.ConvTranspose2d(2 * w, channels, 4, 2, 1), nn.Tanh()]     # (c, 28, 28)
    else:
        layers += [nn.ConvTranspose2d(latent_dim, 8 * w, 4, 1, 0, bias=False),  # (8w, 4, 4)
                   nn.BatchNorm2d(8 * w), nn.ReLU(True)]
        layers += up(8 * w, 4 * w) + up(4 * w, 2 * w) + up(2 * w, w) + refinements   # (w, 32, 32)
        layers += [nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Tanh()]         # (c, 64, 64)
    net = nn.Sequential(*layers)
    if init:
        net.apply(dcgan_init)
    net.latent_dim = latent_dim
    return _tag(net, "dcgan_generator", latent_dim=latent_dim, width=width,
                image_size=image_size, channels=channels, init=init, **({"refine": int(refine)} if refine else {}))


def dcgan_discriminator(width=64, image_size=28, channels=1, batch_norm=True, init=True, spectral_norm=False):
    """DCGAN discriminator: strided convolutions, LeakyReLU(0.2), one raw score.

    28x28:  (c, 28, 28) -> (w, 14, 14) -> (2w, 7, 7) -> (1, 1, 1) -> (B, 1)
    batch_norm=False gives a critic fit for WGAN-GP (the penalty is per sample,
    which batch norm would mix across the batch).
    spectral_norm: divide each convolution's weights by their largest singular value
    (SN-GAN, Miyato et al. 2018); usually with batch_norm=False.
    """
    _check_image_size(image_size)
    w = width
    sn = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)

    def down(cin, cout, norm=True):  # halves height and width
        block = [sn(nn.Conv2d(cin, cout, 4, 2, 1, bias=not (norm and batch_norm)))]
        if norm and batch_norm:
            block.append(nn.BatchNorm2d(cout))
        return block + [nn.LeakyReLU(0.2, True)]

    if image_size == 28:
        layers = down(channels, w, norm=False) + down(w, 2 * w)       # (2w, 7, 7)
        layers += [sn(nn.Conv2d(2 * w, 1, 7, 1, 0))]                   # (1, 1, 1)
    else:
        layers = down(channels, w, norm=False) + down(w, 2 * w) + down(2 * w, 4 * w) + down(4 * w, 8 * w)
        layers += [sn(nn.Conv2d(8 * w, 1, 4, 1, 0))]                   # (1, 1, 1)
    net = nn.Sequential(*layers, nn.Flatten())
    if init:
        net.apply(dcgan_init)
    net.pack = 1
    return _tag(net, "dcgan_discriminator", width=width, image_size=image_size,
                channels=channels, batch_norm=batch_norm, init=init, spectral_norm=spectral_norm)


def dcgan_init(module):
    """DCGAN's init: conv weights ~ N(0, 0.02), biases 0; batch-norm scale ~ N(1, 0.02), shift 0.

    The paper draws *all* weights from N(0, 0.02). For batch norm's scale we follow the
    PyTorch DCGAN tutorial's N(1, 0.02) instead (labelled deviation): a scale near 0
    would start every normalised layer with outputs near 0.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        parametrized = nn.utils.parametrize.is_parametrized(module, "weight")     # spectral norm
        nn.init.normal_(module.parametrizations.weight.original if parametrized else module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


BUILDERS = {f.__name__: f for f in (mlp_generator, mlp_discriminator, dcgan_generator, dcgan_discriminator)}


def rebuild(spec):
    """Build a fresh module from a ganlab_spec (builder name, kwargs)."""
    name, kwargs = spec
    if name not in BUILDERS:
        raise ValueError(f"unknown model builder {name!r}")
    return BUILDERS[name](**kwargs)


def register(builder, name=None):
    """Make `builder` (a function or class returning a model) known to rebuild(), so checkpoints of
    its models load by themselves (ganlab.conditional registers its two networks this way)."""
    BUILDERS[name or builder.__name__] = builder
    return builder


@torch.no_grad()
def layer_outputs(module, x):
    """Each layer of a Sequential with what it makes of input x: a list of (layer, output shape),
    the shape without the batch dimension; run in eval mode."""
    rows = []
    with eval_mode(module):
        for layer in module:
            x = layer(x)
            rows.append((layer, tuple(x.shape[1:])))
    return rows


def layer_shapes(module, x):
    """What each layer of a Sequential makes of input x: a list of (layer's class name, output shape).

    Shapes leave out the batch dimension, e.g. ("ConvTranspose2d", (64, 7, 7)).
    """
    return [(type(layer).__name__, shape) for layer, shape in layer_outputs(module, x)]


def count_parameters(module):
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
