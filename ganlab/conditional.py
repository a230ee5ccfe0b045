"""A class-conditional GAN: tell G which digit to draw, and D which digit it is judging.

    data = conditional.pairs(images, labels)          # (N, 784 + 10): pixels, then the label one-hot
    gan = recipes.conditional_mnist()                 # a ConditionalGAN
    gan.fit(data, steps=2000)                         # the one training loop, unchanged
    sevens = gan.sample(16, labels=7)                 # (16, 1, 28, 28)
    styles = gan.sample(z=gan.styles(1, seed=3).expand(10, -1), labels=range(10))   # one style, ten digits

The conditional GAN (Mirza and Osindero, 2014) gives both players the label y:
G(z, y) draws an image of class y in the style z, and D(x, y) asks whether the *pair*
is real. A fake pair can now be wrong in two ways: the image does not look real, or it
does not look like its label. So G must obey the label to win.

How it fits the series' one loop: to the trainer a sample is one flat vector, the
image's pixels followed by its label as a one-hot (a *pair*). The generator's input
z is the style code followed by a one-hot label, so drawing noise means drawing a
style and a label; the generator hands its label on with the image; the
discriminator splits the pair again. Real pairs come from the data with their true
labels. Nothing else in the loop changes.

The discriminator uses a projection (Miyato and Koyama, 2018) rather than
concatenating y to its input: D(x, y) = w·φ(x) + b + e_y·φ(x), where φ(x) is the last
hidden layer's features and e_y is a learned vector for class y. The class term asks
"do these features look like class y?"; the paper derives this form from the log ratio
of p(y | x) under the data and under the generator, when both are softmax models of φ(x).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from . import checks as _checks
from . import models
from .training import GAN


def one_hot(labels, n_classes=10, device=None):
    """Labels (an int, a list, a range or a tensor of ints) as float one-hot rows (N, n_classes)."""
    if isinstance(labels, str):
        raise TypeError(f"labels are class numbers, got the text {labels!r}: write labels={labels.strip()!r}"
                        f" without quotes, e.g. labels=7" if labels.strip().isdigit() else
                        f"labels are class numbers (an int, a list or a tensor of ints), got the text {labels!r}")
    labels = torch.as_tensor(list(labels) if isinstance(labels, range) else labels, device=device)
    if labels.dim() == 2 and labels.shape[1] == n_classes and len(labels) > 1:
        raise ValueError(f"labels look one-hot (shape {tuple(labels.shape)}); give the class numbers instead: "
                         f"labels.argmax(1)")
    labels = labels.reshape(-1)
    if labels.is_floating_point() and not torch.equal(labels, labels.round()):
        raise ValueError(f"labels must be whole class numbers, got {labels.tolist()[:10]}; for a mix of two "
                         f"classes build G's input yourself (see label_path)")
    labels = labels.long()
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must be class numbers from 0 to {n_classes - 1}, got {labels.tolist()[:10]}")
    return torch.zeros(len(labels), n_classes, device=labels.device).scatter_(1, labels[:, None], 1.0)


def pairs(images, labels, n_classes=10):
    """Real training pairs for a ConditionalGAN: (N, pixels + n_classes), on the images' device."""
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels: give one label per image")
    if not torch.as_tensor(images).is_floating_point():
        raise TypeError(f"images are {images.dtype} (pixel values 0-255?): use images.float() / 127.5 - 1 for the "
                        f"range [-1, 1] of a tanh generator, as ganlab.data.mnist() returns")
    _checks.data_range(images if images.dim() == 4 else images.reshape(len(images), 1, 1, -1), "the images")
    return torch.cat([images.flatten(1).float(), one_hot(labels, n_classes, images.device)], dim=1)


def split(samples, n_classes=10, image_shape=(1, 28, 28)):
    """Pairs (N, pixels + n_classes) -> (images (N, *image_shape), labels (N,))."""
    pixels = samples.shape[1] - n_classes
    return samples[:, :pixels].reshape(-1, *image_shape), samples[:, pixels:].argmax(1)


class ConditionalGenerator(nn.Module):
    """G(z, y): (B, style_dim + n_classes) -> pairs (B, pixels + n_classes).

    The MLP of ganlab.models.mlp_generator sees the style code and the one-hot label
    together (the label enters the first layer as one learned vector per class) and
    draws the image; the label is passed on beside it, so D judges the pair.
    """

    def __init__(self, style_dim=64, n_classes=10, hidden=(256, 256, 256), image_shape=(1, 28, 28),
                 activation="leaky_relu", batch_norm=True):
        super().__init__()
        self.style_dim, self.n_classes, self.image_shape = style_dim, n_classes, tuple(image_shape)
        self.latent_dim = style_dim + n_classes              # what the trainer draws as noise
        pixels = math.prod(image_shape)
        self.net = models.mlp_generator(latent_dim=self.latent_dim, hidden=hidden, out_shape=(pixels,),
                                        activation=activation, output="tanh", batch_norm=batch_norm)
        self.ganlab_spec = ("conditional_generator", dict(style_dim=style_dim, n_classes=n_classes,
                                                          hidden=tuple(hidden), image_shape=tuple(image_shape),
                                                          activation=activation, batch_norm=batch_norm))

    def forward(self, z):                                    # z: (B, style_dim + n_classes)
        return torch.cat([self.net(z), z[:, self.style_dim:]], dim=1)      # (B, pixels + n_classes)


class ProjectionDiscriminator(nn.Module):
    """D(x, y) = w·φ(x) + b + e_y·φ(x): pairs (B, pixels + n_classes) -> raw scores (B, 1).

    φ is an MLP on the pixels (LeakyReLU(0.2)); e_y is row y of a learned (n_classes, h)
    table, picked by the one-hot label. spectral_norm normalises every weight, the
    table included, as in the projection paper. projection=False drops the class term: D then
    judges the image alone and ignores the label (exercise 07.3 trains a GAN against it).
    """
    pack = 1

    def __init__(self, n_classes=10, image_shape=(1, 28, 28), hidden=(256, 256), spectral_norm=True, projection=True):
        super().__init__()
        self.n_classes, self.pixels = n_classes, math.prod(image_shape)
        norm = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)
        layers, width = [], self.pixels
        for h in hidden:
            layers += [norm(nn.Linear(width, h)), nn.LeakyReLU(0.2)]
            width = h
        self.features = nn.Sequential(*layers)               # φ: (B, pixels) -> (B, h)
        self.head = norm(nn.Linear(width, 1))                # w·φ(x) + b
        self.embed = norm(nn.Linear(n_classes, width, bias=False)) if projection else None   # one-hot y -> e_y
        self.ganlab_spec = ("projection_discriminator", dict(n_classes=n_classes, image_shape=tuple(image_shape),
                                                             hidden=tuple(hidden), spectral_norm=spectral_norm,
                                                             projection=projection))

    def forward(self, pair):                                 # pair: (B, pixels + n_classes)
        x, y = pair[:, :self.pixels], pair[:, self.pixels:]
        phi = self.features(x)                               # (B, h)
        if self.embed is None:
            return self.head(phi)
        return self.head(phi) + (self.embed(y) * phi).sum(1, keepdim=True)


models.register(ConditionalGenerator, "conditional_generator")
models.register(ProjectionDiscriminator, "projection_discriminator")


class ConditionalGAN(GAN):
    """ganlab.GAN for a ConditionalGenerator and a discriminator of pairs; train it on pairs().

    Differences from GAN, and nothing else: noise() draws a style and a label, sample()
    takes labels= and returns images, and the shifted views (augment) move only the
    pixels of a pair, never its label.
    """

    def __init__(self, generator, discriminator, **settings):
        if not hasattr(generator, "style_dim"):
            raise TypeError("a ConditionalGAN needs a ConditionalGenerator (it passes the label on to D)")
        self.style_dim, self.n_classes = generator.style_dim, generator.n_classes
        self.image_shape = generator.image_shape
        super().__init__(generator, discriminator, **settings)

    def styles(self, n, seed=None):
        """Style codes alone, z ~ N(0, I) of shape (n, style_dim); a seed gives the same codes every time."""
        gen = self.rng if seed is None else torch.Generator(device=self.device).manual_seed(seed)
        return torch.randn(n, self.style_dim, device=self.device, generator=gen)

    def noise(self, n, seed=None, labels=None):
        """G's input: a style code and a one-hot label per row, (n, style_dim + n_classes).

        Labels are drawn uniformly over the classes unless given (an int for all rows, or one per row).
        """
        gen = self.rng if seed is None else torch.Generator(device=self.device).manual_seed(seed)
        z = torch.randn(n, self.style_dim, device=self.device, generator=gen)
        if labels is None:
            labels = torch.randint(self.n_classes, (n,), device=self.device, generator=gen)
        return self.with_labels(z, labels)

    def with_labels(self, styles, labels):
        """Style codes (n, style_dim) and labels (an int or n of them) -> G's input (n, style_dim + n_classes)."""
        if styles.dim() != 2 or styles.shape[1] != self.style_dim:
            raise ValueError(f"style codes must have shape (n, {self.style_dim}), got {tuple(styles.shape)}")
        y = one_hot(labels, self.n_classes, self.device)
        if len(y) == 1:
            y = y.expand(len(styles), -1)
        if len(y) != len(styles):
            raise ValueError(f"{len(styles)} style codes but {len(y)} labels: give one label, or one per code")
        return torch.cat([styles.to(self.device), y], dim=1)

    @torch.no_grad()
    def sample(self, n=None, z=None, seed=None, ema=True, labels=None):
        """Generated images (n, *image_shape). labels: an int, or one per image (default: random).

        z may be full codes (n, style_dim + n_classes) or style codes (n, style_dim) with labels=.
        Without z and n: one image per label when several labels are given, else 64.
        """
        if z is None and n is None:
            rows = 1 if labels is None else len(one_hot(labels, self.n_classes))
            n = 64 if rows == 1 else rows
        if z is None:
            z = self.noise(n, seed=seed, labels=labels)
        elif z.dim() == 2 and z.shape[1] == self.style_dim:
            if labels is None:
                raise ValueError("style codes need labels=: which digit should each one be?")
            z = self.with_labels(z, labels)
        elif labels is not None:
            raise ValueError(f"give labels= with style codes (n, {self.style_dim}), not with full codes")
        return split(super().sample(z=z, ema=ema), self.n_classes, self.image_shape)[0]

    def _seen_by_d(self, x):
        """Shift the pixels of each pair (when augment is on); its label stays as it is."""
        if not self.augment:
            return x
        images, _ = split(x, self.n_classes, self.image_shape)
        shifted = super()._seen_by_d(images)
        return torch.cat([shifted.flatten(1), x[:, -self.n_classes:]], dim=1)


@torch.no_grad()
def requested_digit_scores(gan, n_per_class=500, seed=0, classifier=None):
    """How often the classifier reads the digit that was asked for, and what it reads instead.

    Draws n_per_class images of every class (styles from `seed`, the same styles for every class).
    Returns dict(accuracy, per_class (n_classes,), confusion (n_classes, n_classes): row = asked, column = read,
    confident: share of images read as the asked digit with probability above 0.9, images, labels).
    """
    from .classifier import predict

    styles = gan.styles(n_per_class, seed=seed)
    labels = torch.arange(gan.n_classes, device=gan.device).repeat_interleave(n_per_class)
    images = gan.sample(z=styles.repeat(gan.n_classes, 1), labels=labels)
    probs, _ = predict(images, classifier)
    read = probs.argmax(1)
    asked = labels.cpu()
    confusion = torch.zeros(gan.n_classes, probs.shape[1], dtype=torch.long)
    confusion.index_put_((asked, read), torch.ones_like(read), accumulate=True)
    per_class = confusion.diagonal().float() / n_per_class
    confident = (probs[torch.arange(len(asked)), asked] > 0.9).float().mean()
    return dict(accuracy=float((read == asked).float().mean()), per_class=per_class, confusion=confusion,
                confident=float(confident), images=images, labels=labels)


@torch.no_grad()
def label_scores(gan, images):
    """D's raw score for every image with every label: (N, n_classes), column y = D(x, y).

    D is read in eval mode (spectral norm's power iteration holds still) and put back as it was."""
    was = gan.discriminator.training
    gan.discriminator.eval()
    try:
        return torch.cat([gan.score(pairs(images, torch.full((len(images),), k, device=images.device),
                                          gan.n_classes)) for k in range(gan.n_classes)], dim=1)
    finally:
        gan.discriminator.train(was)


def label_path(gan, style, start, end, n=9):
    """G's inputs from digit `start` to digit `end` at one fixed style: the label part slides from
    one one-hot vector to the other, (1 - t) y_start + t y_end, while the style stays.
    Returns (n, style_dim + n_classes)."""
    t = torch.linspace(0, 1, n, device=gan.device)[:, None]
    labels = (1 - t) * one_hot([start], gan.n_classes, gan.device) + t * one_hot([end], gan.n_classes, gan.device)
    return torch.cat([style.reshape(1, -1).to(gan.device).expand(n, -1), labels], dim=1)


def style_features(images):
    """Two properties of handwriting that are not the digit: ink (the share of the image that is
    stroke, thick or thin pen) and slant (how far the strokes lean: the ink's shear, x-spread per
    unit of height, positive leaning right). images (N, 1, H, W) in [-1, 1] -> dict of (N,) tensors."""
    w = (images[:, 0].float() + 1) / 2                                   # ink in [0, 1], (N, H, W)
    h, wd = w.shape[1:]
    ys = torch.arange(h, dtype=w.dtype, device=w.device)[:, None].expand(h, wd)
    xs = torch.arange(wd, dtype=w.dtype, device=w.device)[None, :].expand(h, wd)
    mass = w.sum((1, 2)).clamp(min=1e-6)
    cy, cx = (w * ys).sum((1, 2)) / mass, (w * xs).sum((1, 2)) / mass
    dy, dx = ys - cy[:, None, None], xs - cx[:, None, None]
    slant = -(w * dx * dy).sum((1, 2)) / (w * dy * dy).sum((1, 2)).clamp(min=1e-6)   # rows grow downwards
    return dict(ink=w.mean((1, 2)), slant=slant)


@torch.no_grad()
def style_agreement(gan, n_styles=300, seed=0):
    """Does one style code mean one look across all digits? Measured, per property of style_features.

    Draws every digit in each of n_styles style codes. For digits a != b, the correlation over the
    style codes between the property of a's image and of b's image, averaged over all pairs: near 1
    when a code fixes the property whatever the digit, near 0 when what a code does to one digit
    is unrelated to what it does to another. The same with the codes shuffled for each digit (a's
    and b's images from different codes) shows that 0. Read it beside how well the label is obeyed
    (requested_digit_scores): a generator that ignores the label draws one image per code for every
    digit and scores 1. Returns {prop: r, prop + "_shuffled": r}.
    """
    styles = gan.styles(n_styles, seed=seed)
    k = gan.n_classes
    labels = torch.arange(k, device=gan.device).repeat_interleave(n_styles)
    feats = style_features(gan.sample(z=styles.repeat(k, 1), labels=labels))
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, values in feats.items():
        table = values.reshape(k, n_styles).cpu().double()                 # (digit, style)
        shuffled = torch.stack([row[torch.randperm(n_styles, generator=gen)] for row in table])
        for key, t in ((name, table), (name + "_shuffled", shuffled)):
            r = torch.corrcoef(t)
            out[key] = float(r[~torch.eye(k, dtype=torch.bool)].mean())
    return out


@torch.no_grad()
def spread_per_digit(images, labels, n_classes=10, n=200):
    """How varied the images of each class are: the mean distance between two different images of
    the class (Euclidean, in pixels), over up to n images per class. A generator that collapses to
    one image per digit scores 0 there; real digits show what variety to expect. Returns (n_classes,)."""
    out = torch.zeros(n_classes)
    labels = torch.as_tensor(labels, device=images.device)
    for k in range(n_classes):
        group = images[labels == k][:n].flatten(1).float()
        if len(group) < 2:
            raise ValueError(f"class {k} has {len(group)} image(s); the spread needs at least 2")
        d = torch.cdist(group, group, compute_mode="donot_use_mm_for_euclid_dist")     # exact 0 for copies
        out[k] = (d.sum() / (len(group) * (len(group) - 1))).cpu()
    return out
