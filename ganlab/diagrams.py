"""The course's diagrams, drawn by code so they stay true to the models.

    training_loop()                 the GAN loop: who sees what, which gradients flow where
    dcgan_layers(G, D)              each layer's output shape, read off the models by a forward pass
    discriminator_vs_critic()       what a discriminator outputs and is trained on, against a critic
    conditional_gan(gan=None)       the conditional generator's input and the projection discriminator
    packing(pack=2)                 what a packed discriminator (PacGAN) judges

Each returns a matplotlib figure (an inline PNG: it shows in JupyterLab, Colab and on GitHub).
"""
import copy
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .style import FAKE, MAX_WIDTH_IN, REAL

G_COLOUR = "#fde0c5"        # the generator's boxes (orange family: it makes the fakes)
D_COLOUR = "#d6e6f4"        # the discriminator's / critic's boxes
DATA_COLOUR = "#eeeeee"
GRAD = "#5e3c99"            # gradients: purple, dashed
FROZEN = "0.55"


def _canvas(width, height, figsize):
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.set_xlim(0, width), ax.set_ylim(0, height), ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def _box(ax, x, y, w, h, text, face, edge="0.2", lw=1.0, fontsize=10, ls="-", weight="normal"):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=face, edgecolor=edge, lw=lw, ls=ls))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, weight=weight)
    return (x, y, w, h)


def _edge(box, side):
    x, y, w, h = box
    return {"l": (x - w / 2, y), "r": (x + w / 2, y), "t": (x, y + h / 2), "b": (x, y - h / 2)}[side]


def _arrow(ax, a, b, colour="0.15", ls="-", lw=1.3, rad=0.0, text=None, text_at=0.5, offset=(0, 0.18),
           fontsize=9):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, color=colour, lw=lw, ls=ls,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))
    if text:
        tx = a[0] + (b[0] - a[0]) * text_at + offset[0]
        ty = a[1] + (b[1] - a[1]) * text_at + offset[1]
        ax.text(tx, ty, text, ha="center", va="center", fontsize=fontsize, color=colour)


# ------------------------------------------------------------------ the loop

def training_loop():
    """One training step of a GAN as two half-steps, left D's, right G's.

    Black arrows: what each network is shown (the forward pass). Purple dashed arrows:
    where the loss's gradient flows back. A box with a thick edge is the network whose
    weights that half-step changes; a grey dashed one is used but left unchanged.
    """
    fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 3.9), layout="constrained")
    for ax, who in zip(axes, ("D", "G")):
        ax.set_xlim(0, 11.2), ax.set_ylim(1.2, 7.1), ax.set_aspect("equal"), ax.set_axis_off()
        d_moves = who == "D"
        moves = dict(lw=2.6, edge="0.1", ls="-")
        fixed = dict(lw=1.0, edge=FROZEN, ls="--")
        z = _box(ax, 1.0, 5.4, 1.6, 1.0, "noise z\n~ N(0, I)", DATA_COLOUR, fontsize=10)
        g = _box(ax, 3.5, 5.4, 1.3, 1.0, "G", G_COLOUR, weight="bold", fontsize=12, **(fixed if d_moves else moves))
        fake = _box(ax, 6.0, 5.4, 1.8, 1.0, "G(z)\nfake batch", "white", edge=FAKE, fontsize=10)
        d = _box(ax, 6.0, 3.4, 1.3, 1.0, "D", D_COLOUR, weight="bold", fontsize=12, **(moves if d_moves else fixed))
        loss = _box(ax, 9.7, 3.4, 2.7, 1.5 if d_moves else 1.0,
                    "D's loss\n−log D(x)\n−log(1 − D(G(z)))" if d_moves else "G's loss\n−log D(G(z))",
                    "#f4f4f4", fontsize=9.5)
        _arrow(ax, _edge(z, "r"), _edge(g, "l"))
        _arrow(ax, _edge(g, "r"), _edge(fake, "l"))
        _arrow(ax, _edge(fake, "b"), _edge(d, "t"))
        _arrow(ax, _edge(d, "r"), _edge(loss, "l"))
        ax.text(7.5, 3.5, "D(x),\nD(G(z))" if d_moves else "D(G(z))", ha="center", va="bottom", fontsize=9)
        if d_moves:
            real = _box(ax, 3.5, 2.0, 1.8, 1.0, "x\nreal batch", "white", edge=REAL, fontsize=10)
            _arrow(ax, _edge(real, "r"), (d[0] - 0.65, d[1] - 0.3))
            ax.text(5.85, 4.45, "detached:\nno gradient to G", ha="right", va="center", fontsize=9, color="0.3")
            _arrow(ax, (loss[0] - 0.6, loss[1] - loss[3] / 2), (d[0] + 0.3, d[1] - d[3] / 2), colour=GRAD,
                   ls="--", rad=-0.5)
            ax.text(8.6, 1.6, "∂loss/∂θ_D", ha="center", fontsize=10, color=GRAD)
            ax.set_title("1. D's step: real and fake batches in;\nonly D's weights change", fontsize=11)
        else:
            _arrow(ax, (loss[0] - 0.6, loss[1] - loss[3] / 2), (d[0] + 0.3, d[1] - d[3] / 2), colour=GRAD,
                   ls="--", rad=-0.5)
            _arrow(ax, (d[0] - 0.35, d[1] + d[3] / 2), (fake[0] - 0.35, fake[1] - fake[3] / 2), colour=GRAD,
                   ls="--")
            _arrow(ax, (fake[0] - 0.3, fake[1] + fake[3] / 2), (g[0] + 0.2, g[1] + g[3] / 2), colour=GRAD, ls="--",
                   rad=0.5)
            ax.text(4.75, 6.75, "∂loss/∂θ_G, through D", ha="center", fontsize=10, color=GRAD)
            ax.text(3.5, 2.0, "no real batch\nin G's step", ha="center", va="center", fontsize=9, color=FROZEN)
            ax.set_title("2. G's step: the gradient passes back through D\n(left unchanged) into G's weights",
                         fontsize=11)
    fig.text(0.5, 0.01, "black arrows: what each network is shown    purple dashed: where the loss's gradient flows    "
                        "thick edge: the weights this half-step changes", ha="center", fontsize=9, color="0.25")
    return fig


# ------------------------------------------------------------------ DCGAN layers

def layer_shapes(net, x):
    """Run x through an nn.Sequential; return [(layer description, output shape without the batch)] for each
    layer that changes the shape, with the layers that keep it (norm, activation) folded into its line."""
    from torch import nn

    from .models import layer_outputs

    rows = [("input", tuple(x.shape[1:]))]
    for layer, shape in layer_outputs(net, x):
        if isinstance(layer, (nn.Flatten, nn.Unflatten)):      # a reshape: the same numbers, not a layer
            continue
        name = _describe(layer)
        if shape != rows[-1][1] or not rows[1:]:
            rows.append((name, shape))
        elif name:
            rows[-1] = (rows[-1][0] + ", " + name, shape)
    return rows


def _describe(layer):
    from torch import nn

    base = getattr(layer, "parametrizations", None) and layer or layer
    if isinstance(base, (nn.Conv2d, nn.ConvTranspose2d)):
        kind = "transposed conv" if isinstance(base, nn.ConvTranspose2d) else "conv"
        k, s = base.kernel_size[0], base.stride[0]
        return f"{kind} {k}×{k}" + (f", stride {s}" if s > 1 else "")
    return {nn.BatchNorm2d: "batch norm", nn.ReLU: "ReLU", nn.LeakyReLU: "LeakyReLU", nn.Tanh: "tanh",
            nn.Unflatten: "reshape", nn.Flatten: "flatten"}.get(type(layer), type(layer).__name__)


def dcgan_layers(generator=None, discriminator=None, latent_dim=None):
    """The DCGAN's layers as blocks whose size follows each output's shape (height: pixels, width:
    channels), the generator on top (noise to image), the discriminator below (image to score).
    The shapes come from a forward pass through the given models (default: models.dcgan_generator()
    and dcgan_discriminator() at their default width)."""
    import math

    from . import models

    generator = generator if generator is not None else models.dcgan_generator()
    discriminator = discriminator if discriminator is not None else models.dcgan_discriminator()
    latent_dim = latent_dim or getattr(generator, "latent_dim", 100)
    # on copies: the caller's networks keep their device and train / eval mode
    g_rows = layer_shapes(copy.deepcopy(generator).cpu().eval(), torch.zeros(2, latent_dim))
    d_rows = layer_shapes(copy.deepcopy(discriminator).cpu().eval(), torch.zeros((2,) + g_rows[-1][1]))
    fig, axes = plt.subplots(2, 1, figsize=(MAX_WIDTH_IN, 5.8), layout="constrained")
    for ax, rows, face, name in ((axes[0], g_rows, G_COLOUR, "generator: noise → image"),
                                 (axes[1], d_rows, D_COLOUR, "discriminator: image → one score")):
        ax.set_axis_off()
        n = len(rows)
        ax.set_xlim(0, n * 2.0), ax.set_ylim(-2.0, 1.6)
        previous = None
        biggest = max(s[-1] if len(s) == 3 else 1 for _, s in rows)
        for i, (what, shape) in enumerate(rows):
            x = 1.0 + 2.0 * i
            size = shape[-1] if len(shape) == 3 else 1
            chans = shape[0]
            h = 0.35 + 1.6 * size / biggest
            w = 0.25 + 0.12 * math.log2(max(chans, 1))
            ax.add_patch(FancyBboxPatch((x - w / 2, -h / 2 + 0.2), w, h, boxstyle="square,pad=0",
                                        facecolor=face, edgecolor="0.2", lw=1))
            label = "×".join(str(v) for v in shape) + (" score" if shape in ((1, 1, 1), (1,)) else "")
            ax.text(x, -h / 2 + 0.05, label, ha="center", va="top", fontsize=9, weight="bold")
            ax.text(x, -1.35, what.replace(", ", "\n", 1), ha="center", va="top", fontsize=8)
            if previous is not None:
                _arrow(ax, (previous + 0.05, 0.2), (x - w / 2 - 0.05, 0.2), colour="0.4", lw=1)
            previous = x + w / 2
        ax.set_title(name, fontsize=11, loc="left")
    fig.text(0.5, 0.005, "shape under each block: channels × height × width (read from the models by a forward "
                         "pass); block height follows the image size, width the channels",
             ha="center", fontsize=8.5, color="0.3")
    return fig


# ------------------------------------------------------------------ D against a critic

def discriminator_vs_critic():
    """Left: a discriminator squashes its score into a probability and is trained on log-likelihoods.
    Right: a critic keeps the raw score, is trained on the difference of means, and must be kept
    1-Lipschitz (weight clipping or a gradient penalty). Under the discriminator, its output
    against its raw score; under the critic, a score against the input x, where the bound applies."""
    import numpy as np

    fig = plt.figure(figsize=(MAX_WIDTH_IN, 4.3), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[0.8, 1])
    axes = top.subplots(1, 2)
    specs = [("discriminator D (GAN)", "sigmoid", "D(x) ∈ (0, 1)\n'probability real'",
              "loss: −log D(x) − log(1 − D(G(z)))", "no constraint"),
             ("critic f (WGAN)", "no squashing", "f(x) ∈ ℝ\nany real score",
              "loss: mean f(G(z)) − mean f(x)", "kept 1-Lipschitz:\nclip weights, or\npenalise |∇f| ≠ 1")]
    for ax, (title, squash, out, loss, constraint) in zip(axes, specs):
        ax.set_xlim(0, 10), ax.set_ylim(0.0, 3.2), ax.set_aspect("equal"), ax.set_axis_off()
        x = _box(ax, 1.0, 2.6, 1.4, 0.9, "x or G(z)", DATA_COLOUR, fontsize=9)
        net = _box(ax, 3.4, 2.6, 1.6, 0.9, "network\n→ score s", D_COLOUR, fontsize=9)
        sq = _box(ax, 5.8, 2.6, 1.8, 0.9, squash.replace(" ", "\n"), "white", fontsize=9)
        o = _box(ax, 8.4, 2.6, 2.2, 1.0, out, "white", fontsize=8.5)
        _arrow(ax, _edge(x, "r"), _edge(net, "l"))
        _arrow(ax, _edge(net, "r"), _edge(sq, "l"))
        _arrow(ax, _edge(sq, "r"), _edge(o, "l"))
        ax.text(6.6, 1.45, loss, ha="center", va="center", fontsize=9)
        ax.text(3.4, 2.05, constraint, ha="center", va="top", fontsize=9, color=GRAD)
        ax.set_title(title, fontsize=11)
    s = np.linspace(-6, 6, 200)
    curves = bottom.subplots(1, 2)
    curves[0].plot(s, 1 / (1 + np.exp(-s)), color="#0072b2")
    curves[0].axhline(0.5, color="0.5", ls=":", lw=1)
    curves[0].set_ylabel("D's output"), curves[0].set_ylim(-0.05, 1.05)
    curves[0].set_xlabel("the network's raw score s")
    curves[0].text(0.02, 0.95, "saturates at 0 and 1: with the minimax\nloss a sure D passes G little gradient",
                   transform=curves[0].transAxes, va="top", fontsize=8.5)
    # the bound is on the slope in the input x: real data at 0, generated data at 3
    x = np.linspace(-3.8, 4.5, 300)
    gap = 3.0
    ax = curves[1]
    ax.fill_between(x, -2.6, -2.6 + 1.2 * np.exp(-0.5 * (x / 0.25) ** 2), color="#0072b2", alpha=0.35, lw=0,
                    label="real data")
    ax.fill_between(x, -2.6, -2.6 + 1.2 * np.exp(-0.5 * ((x - gap) / 0.25) ** 2), color="#e69f00", alpha=0.35, lw=0,
                    label="generated data")
    ax.plot(x, gap / 2 - np.clip(x, 0, gap), color="#9467bd", lw=2, label="slope 1 in x: allowed")
    ax.plot(x, 3 * (gap / 2 - np.clip(x, 0, gap)), color="#9467bd", lw=1, ls="--", label="slope 3: not allowed")
    ax.set_ylim(-5, 7), ax.set_xlabel("the input x"), ax.set_ylabel("critic's score f(x)")
    ax.text(0.98, 0.95, "the bound is on the slope in x:\n|f(x) − f(y)| ≤ |x − y|, so the score\ngap is at most "
            "the distance (3)", transform=ax.transAxes, va="top", ha="right", fontsize=8.5)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return fig


# ------------------------------------------------------------------ the conditional GAN

def conditional_gan(gan=None):
    """The conditional GAN's wiring: G gets a style code and a one-hot label; the projection
    discriminator scores a pair as w·φ(x) + b + e_y·φ(x). Sizes are read from `gan` when given
    (a ConditionalGAN), otherwise notebook 07's defaults (style 64, 10 classes)."""
    style_dim, n_classes, feat = 64, 10, 256
    if gan is not None:
        n_classes = getattr(gan.generator, "n_classes", n_classes)
        style_dim = getattr(gan.generator, "style_dim", gan.latent_dim - n_classes)
        emb = getattr(gan.discriminator, "embed", None)
        feat = emb.weight.shape[0] if emb is not None and hasattr(emb, "weight") else feat
    fig, ax = plt.subplots(figsize=(MAX_WIDTH_IN, 4.6), layout="constrained")
    ax.set_xlim(0, 20.4), ax.set_ylim(0.3, 8.2), ax.set_aspect("equal"), ax.set_axis_off()
    z = _box(ax, 1.7, 7.0, 3.0, 1.1, f"style z\n({style_dim} numbers)", DATA_COLOUR, fontsize=9)
    y = _box(ax, 1.7, 4.6, 3.0, 1.1, f"label y, one-hot\n({n_classes} numbers)", DATA_COLOUR, fontsize=9)
    g = _box(ax, 5.6, 5.8, 2.4, 1.2, "G: an MLP on\nz and y together", G_COLOUR, fontsize=9)
    img = _box(ax, 9.1, 5.8, 2.8, 1.2, "image x: real,\nor G(z, y)", "white", edge=FAKE, fontsize=9)
    phi = _box(ax, 12.7, 5.8, 2.8, 1.2, f"φ(x): D's features\n({feat} numbers)", D_COLOUR, fontsize=9)
    w = _box(ax, 16.4, 7.4, 3.0, 1.0, "w·φ(x) + b\nlooks real?", D_COLOUR, fontsize=9)
    e = _box(ax, 16.4, 4.2, 3.0, 1.0, "e_y·φ(x)\nlooks like class y?", D_COLOUR, fontsize=9)
    emb = _box(ax, 12.7, 2.2, 3.0, 1.0, "e_y: row y of\na learned table", D_COLOUR, fontsize=9)
    out = _box(ax, 19.5, 5.8, 1.7, 1.2, "D(x, y):\nthe sum", "white", fontsize=9, weight="bold")
    _arrow(ax, _edge(z, "r"), (g[0] - 1.2, 6.1))
    _arrow(ax, _edge(y, "r"), (g[0] - 1.2, 5.5))
    _arrow(ax, _edge(g, "r"), _edge(img, "l"))
    _arrow(ax, _edge(img, "r"), _edge(phi, "l"))
    _arrow(ax, (phi[0] + 1.4, 6.1), _edge(w, "l"))
    _arrow(ax, (phi[0] + 1.4, 5.5), _edge(e, "l"))
    _arrow(ax, _edge(y, "b"), _edge(emb, "l"), rad=0.25)
    ax.text(7.6, 1.3, "the same label y goes to D", ha="center", va="center", fontsize=9, color="0.25")
    _arrow(ax, _edge(emb, "r"), _edge(e, "b"), rad=0.3)
    _arrow(ax, _edge(w, "r"), (out[0] - 0.5, 6.4))
    _arrow(ax, _edge(e, "r"), (out[0] - 0.5, 5.2))
    ax.text(10.2, 0.55, "real pair: (a digit, its true label)    fake pair: (G(z, y), the y G was asked for)"
                        "    a fake can lose by its look or by its label", ha="center", fontsize=9, color="0.25")
    ax.set_title("conditional GAN: G draws class y in style z; the projection discriminator scores the pair",
                 fontsize=11)
    return fig


# ------------------------------------------------------------------ packing

def packing(pack=2, dim=2):
    """What a packed discriminator (PacGAN) judges: `pack` samples of one kind, laid side by side
    into one vector, get one score. A pack of near-copies from a collapsed generator is easy to tell
    from a pack of real samples, which rarely look alike."""
    fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 1.2 + 0.55 * pack), layout="constrained")
    for ax, (kind, edge, name) in zip(axes, (("real", REAL, "x"), ("generated", FAKE, "G(z)"))):
        ax.set_xlim(0, 10), ax.set_ylim(4.2 - 1.0 * pack, 4.1), ax.set_aspect("equal"), ax.set_axis_off()
        ys = [3.6 - 1.0 * k for k in range(pack)]
        boxes = [_box(ax, 1.4, y, 2.6, 0.75, f"{name}{'₁₂₃₄₅₆₇₈'[k]}: {dim} numbers", "white", edge=edge,
                      fontsize=9) for k, y in enumerate(ys)]
        joined = _box(ax, 5.1, sum(ys) / pack, 2.2, 0.9, f"side by side:\n{pack * dim} numbers", DATA_COLOUR,
                      fontsize=9)
        d = _box(ax, 7.6, joined[1], 1.2, 0.9, "D", D_COLOUR, weight="bold", fontsize=12)
        for b in boxes:
            _arrow(ax, _edge(b, "r"), _edge(joined, "l"))
        _arrow(ax, _edge(joined, "r"), _edge(d, "l"))
        ax.text(8.5, joined[1], "one\nscore", ha="left", va="center", fontsize=9)
        ax.set_title(f"a pack of {pack} {kind} samples", fontsize=11)
    fig.text(0.5, 0.01, "a collapsed generator's pack holds near-copies; two real samples rarely look alike",
             ha="center", fontsize=9, color="0.25")
    return fig
