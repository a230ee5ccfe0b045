"""Pictures a reader would rather look at than read.

    show_images(images)              a grid of images in [-1, 1]
    training_curves(history)         D and G losses, mean D(x) and D(G(z))
    toy_view(gan, real)              the 2D picture (in ganlab.plots2d, with score_surface,
                                     samples_over_modes and mode_timeline; all re-exported here)
    animate(frames)                  HTML/JS animation that plays in Jupyter and Colab
    distance_histograms(), digit_histograms()   distances and predicted digits compared
    generator_gradient_curves()      |∂ loss_G / ∂ score| vs D(G(z)), per loss
    snapshot_strip(snaps, steps)     samples from fixed noise at the snapshot moments (log-spaced in images)
    generated_beside_nearest()       generated images, set apart, beside their nearest training images

Each function draws on `ax` when given, otherwise on a new figure, and returns
the figure. End a notebook cell with `;` (or assign the result) to see it once.
The course's look (palette, sizes, a 10-inch width cap) lives in ganlab.style:
each notebook's setup calls plots.use_style() once. plots.check_figure(fig)
(ganlab.figure_check) lists what a reader would find wrong with a figure at
notebook width; the test suite runs it on every figure every notebook draws.
"""
import io
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import LogLocator

from . import figure_check as _figure_check
from . import losses as _losses
from . import metrics as _metrics
from .figure_check import check_figure
from .plots2d import (HEATMAP, PUSH, bounds_for, discriminator_heatmap, generator_gradients, mode_timeline,  # noqa: F401
                      samples_over_modes, score_surface, surface, toy_view, warped_grid)
from .style import (ERROR, FAKE, MAX_WIDTH_IN, REAL, REAL_1D, REFERENCE, _new, colour, fit_width,  # noqa: F401
                    legend_below, legend_outside, log_steps, snapshot_images, use_style)

LOG4 = math.log(4)          # D's loss (sum of its two terms) when it says ½ everywhere: the equilibrium

_figure_check.install_notebook_check()     # only when GANLAB_FIGURE_CHECK is set (the test suite) and in a kernel


def group_colour(label, k=0):
    """Colour of a histogram group by its label: real data dark blue, generated orange, a method its own."""
    low = str(label).lower()
    if low.startswith(("real", "held-out", "training")):
        return REAL_1D
    if low.startswith(("generated", "fake")):
        return FAKE
    if low.startswith(("noise", "uniform")):
        return "0.55"
    return colour(label)


def as_images(images):
    """Images as (N, C, H, W): flat rows of square one-channel images, such as an MLP generator's
    (N, 784), become (N, 1, 28, 28); another shape is refused in words."""
    if images.dim() == 2 and math.isqrt(images.shape[1]) ** 2 == images.shape[1]:
        side = math.isqrt(images.shape[1])
        return images.reshape(len(images), 1, side, side)
    if images.dim() != 4:
        raise ValueError(f"images must be shaped (N, C, H, W), e.g. (16, 1, 28, 28); got {tuple(images.shape)}. "
                         f"Reshape them, e.g. images.reshape(-1, 1, 28, 28)")
    return images


def image_grid(images, nrow=8, pad=2):
    """Images (N, C, H, W) in [-1, 1] -> one array (rows*H', nrow*W') or (.., .., 3) in [0, 1]."""
    x = as_images(images).detach().float().cpu().clamp(-1, 1).add(1).div(2)
    n, c, h, w = x.shape
    nrow = min(nrow, n)
    rows = math.ceil(n / nrow)
    grid = torch.ones(c, rows * (h + pad) + pad, nrow * (w + pad) + pad)
    for i in range(n):
        r, col = divmod(i, nrow)
        grid[:, pad + r * (h + pad): pad + r * (h + pad) + h, pad + col * (w + pad): pad + col * (w + pad) + w] = x[i]
    grid = grid.permute(1, 2, 0).numpy()
    return grid[..., 0] if c == 1 else grid


def show_images(images, nrow=8, title=None, ax=None, figsize=None, labels=None):
    """Show images (N, C, H, W) in [-1, 1] as a grid; labels: one short text under each tile."""
    images, pad = as_images(images), 2
    grid = image_grid(images, nrow, pad=pad)
    rows = math.ceil(len(images) / nrow)
    below = 12 if labels is not None else 0          # room under each row for its labels, in pixels
    if below:
        h = images.shape[-2]
        parts = [grid[r * (h + pad): (r + 1) * (h + pad) + pad] for r in range(rows)]
        blank = np.ones((below,) + grid.shape[1:], dtype=grid.dtype)
        grid = np.concatenate([x for part in parts for x in (part, blank)])
    if figsize is None:
        figsize = (min(nrow, len(images)) * 0.75 + 0.4, rows * 0.75 * (1 + below / 30) + 0.5)
    fig, ax = _new(ax, figsize)
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if labels is not None:
        h, w = images.shape[-2], images.shape[-1]
        for i, label in enumerate(labels):
            r, c = divmod(i, nrow)
            # each row of the grid is pad, tile, pad, then the blank strip: centre the label in that strip
            ax.text(pad + c * (w + pad) + w / 2, (r + 1) * (h + 2 * pad + below) - below / 2, str(label),
                    ha="center", va="center", fontsize=9)
    if title:
        ax.set_title(title)
    return fig


def png_bytes(images, nrow=8, scale=4):
    """PNG bytes of an image grid, scaled up `scale` times (for ipywidgets.Image)."""
    from PIL import Image

    grid = (image_grid(images, nrow) * 255).round().astype(np.uint8)
    img = Image.fromarray(grid)
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="png")
    return buf.getvalue()


def figure_png(fig, dpi=80):
    """PNG bytes of a matplotlib figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def smooth(values, window):
    """Moving average over the last `window` values (shorter at the start), so noisy curves can be read."""
    v = np.asarray(values, dtype=float)
    if window <= 1 or len(v) < 2:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    i = np.arange(len(v))
    lo = np.maximum(0, i + 1 - window)
    return (c[i + 1] - c[lo]) / (i + 1 - lo)


def distance_histograms(groups, ax=None, bins=40, xlabel="Euclidean distance in pixel space"):
    """Overlaid histograms of distances, e.g. {"real → nearest real": d1, "noise → nearest real": d2}."""
    fig, ax = _new(ax, (7.5, 3))
    values = {label: torch.as_tensor(d).flatten().float().cpu().numpy() for label, d in groups.items()}
    allv = np.concatenate(list(values.values()))
    edges = np.linspace(allv.min(), allv.max(), bins + 1) if np.isscalar(bins) else bins   # one set of bins for all
    for k, (label, v) in enumerate(values.items()):
        ax.hist(v, bins=edges, alpha=0.55, label=label, color=group_colour(label, k))
    ax.set_xlabel(xlabel), ax.set_ylabel("number of images")
    legend_outside(ax)
    return fig


def nearest_neighbours_grid(queries, reference, k=3, title=None):
    """Each row: a query image set apart, then its k nearest reference images (Euclidean, pixel space)
    with their distances (see generated_beside_nearest)."""
    return generated_beside_nearest(queries, reference, k=k, title=title)


def digit_histograms(groups, ax=None):
    """Side-by-side bars of predicted-digit shares, e.g. {"real": counts, "generated": counts} (10 counts each)."""
    fig, ax = _new(ax, (8.5, 3))
    width = 0.8 / len(groups)
    for k, (label, counts) in enumerate(groups.items()):
        c = np.asarray(counts, dtype=float)
        ax.bar(np.arange(10) + (k - (len(groups) - 1) / 2) * width, c / c.sum(), width, label=label,
               color=group_colour(label, k))
    ax.set_xticks(range(10))
    ax.set_xlabel("predicted digit"), ax.set_ylabel("share of images")
    legend_outside(ax)
    return fig


def confusion_matrix(counts, title=None, ax=None, row_label="asked for", column_label="read as"):
    """A square table of counts (rows: the digit asked for, columns: the digit read) as shares of each row."""
    c = np.asarray(counts, dtype=float)
    shares = c / np.maximum(c.sum(1, keepdims=True), 1)
    fig, ax = _new(ax, (5.2, 4.6))
    im = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(shares.shape[0]):
        for j in range(shares.shape[1]):
            if shares[i, j] >= 0.005:
                ax.text(j, i, f"{100 * shares[i, j]:.0f}", ha="center", va="center",
                        fontsize=8, color="white" if shares[i, j] > 0.5 else "black")
    ax.set_xticks(range(shares.shape[1])), ax.set_yticks(range(shares.shape[0]))
    ax.set_xlabel(column_label), ax.set_ylabel(row_label)
    fig.colorbar(im, ax=ax, fraction=0.046, label="share of the row (numbers in %)")
    if title:
        ax.set_title(title)
    return fig


def training_curves(history, window=None, axes=None, title=None, equilibrium=None, log_x=None):
    """Two panels: D and G losses; mean D(x) and mean D(G(z)), smoothed over `window` steps.

    history: a GAN's history, or the GAN itself (then its loss says whether D's outputs are
    probabilities). When they are (equilibrium=None: the GAN's loss says so, or, given a
    history alone, all its scores lie in [0, 1]), the reference lines where D cannot tell
    real from fake (as at the equilibrium p_g = p_data) are drawn: D = ½ on the scores panel
    and D's loss log 4 on the losses panel. The step axis is logarithmic when the run
    spans more than two decades of steps (log_x=None), so its start is not squeezed.
    """
    if hasattr(history, "history"):
        gan, history = history, history.history
        if equilibrium is None:
            equilibrium = bool(gan.loss.probability)
    steps = np.asarray(history["step"], dtype=float)
    window = window or max(1, len(steps) // 50)
    if equilibrium is None:
        scores = np.concatenate([np.asarray(history["d_real"], float), np.asarray(history["d_fake"], float)])
        scores = scores[np.isfinite(scores)]
        equilibrium = bool(len(scores)) and scores.min() >= 0 and scores.max() <= 1
    if log_x is None:
        log_x = len(steps) > 1 and steps.max() / max(steps[steps > 0].min() if (steps > 0).any() else 1, 1) > 100
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 3.4), layout="constrained")
    fig = axes[0].figure
    keep = steps > 0 if log_x else np.ones(len(steps), bool)
    axes[0].plot(steps[keep], smooth(history["d_loss"], window)[keep], label="D loss", color="#0072b2")
    axes[0].plot(steps[keep], smooth(history["g_loss"], window)[keep], label="G loss", color="#009e73")
    axes[0].set_xlabel("step"), axes[0].set_ylabel("loss"), axes[0].set_title("losses")
    axes[1].plot(steps[keep], smooth(history["d_real"], window)[keep], label="mean D(x), real", color=REAL_1D)
    axes[1].plot(steps[keep], smooth(history["d_fake"], window)[keep], label="mean D(G(z)), fake", color=FAKE)
    if equilibrium:
        axes[0].axhline(LOG4, color=REFERENCE, ls=":", lw=1.2, label="log 4: D's loss at ½")
        axes[1].axhline(0.5, color=REFERENCE, ls=":", lw=1.2, label="½: D cannot tell real from fake")
        axes[1].set_ylim(0, 1)
    axes[1].set_xlabel("step"), axes[1].set_ylabel("D's output"), axes[1].set_title("discriminator's scores")
    for ax in axes[:2]:
        if log_x:
            _log_axis(ax.xaxis)
        legend_outside(ax)
    if title:
        fig.suptitle(title)
    return fig


def _log_axis(axis):
    """A log scale whose ticks read as plain numbers (300, 1,000, 10,000), not 10³, with more of them
    when the view spans little (chosen when the axis is drawn, so it fits the final limits)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    (axis.axes.set_xscale if axis.axis_name == "x" else axis.axes.set_yscale)("log")
    axis.set_major_locator(_SpanLogLocator(base=10))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


class _SpanLogLocator(LogLocator):
    """Powers of ten over two decades or more; 1-2-5 over one to two; 1-2-3-5-7 over half to one;
    every integer multiple below half a decade."""

    def tick_values(self, vmin, vmax):
        lo, hi = sorted((vmin, vmax))
        decades = math.log10(hi / lo) if lo > 0 and np.isfinite(hi / lo) else 9
        subs = ((1.0,) if decades >= 2 else (1.0, 2.0, 5.0) if decades >= 1 else (1.0, 2.0, 3.0, 5.0, 7.0)
                if decades >= 0.5 else tuple(float(v) for v in range(1, 10)))
        self.set_params(subs=subs)
        return super().tick_values(vmin, vmax)


def log_y(ax):
    """Log y axis with plain-number ticks."""
    _log_axis(ax.yaxis)
    return ax


def log_x(ax):
    """Log x axis with plain-number ticks."""
    _log_axis(ax.xaxis)
    return ax


def snapshot_strip(snapshots, steps, batch_size=None, n=16, nrow=4, targets=None, axes=None, title=None, labels=None,
                   frames=9, first=5_000):
    """Samples from fixed noise as training goes on, at most `frames` moments. Given batch_size,
    the moments follow the series' snapshot rule in images seen (generator steps x batch size;
    style.snapshot_images: 0, then from `first` 5k, 10k, 20k, ... images, the end; before 5,000
    images an MNIST generator still draws the noise it started with), halved (every other, then
    every fourth, ...) until they fit, so two models' strips show the same numbers of images
    seen; each frame is titled with its step and images seen.
    For each moment the nearest snapshot kept is shown (older checkpoints kept other steps).
    labels: a short text under each of the n tiles (e.g. the digit a conditional GAN was asked for)."""
    steps = [int(s) for s in steps]
    if frames < 3:
        raise ValueError(f"frames must be at least 3 (the start, one moment, the end), got {frames}")
    if targets is None and batch_size:
        moments = snapshot_images(steps[-1] * batch_size, first=first)
        inner = moments[1:-1]
        while len(inner) + 2 > frames:
            inner = inner[::2] if len(inner) > 1 else []
        targets = [m / batch_size for m in [0] + inner + [moments[-1]]]
    targets = targets or log_steps(steps[-1])
    picks = sorted({min(range(len(steps)), key=lambda i: abs(math.log1p(steps[i]) - math.log1p(t))) for t in targets})
    if axes is None:
        per = min(2.0, MAX_WIDTH_IN / len(picks))
        tall = per * (1.3 if labels is not None else 1) + 0.7
        width = max(per * len(picks), 7.5 if title else 0)       # room for the title when few snapshots are kept
        fig, axes = plt.subplots(1, len(picks), figsize=(width, tall), layout="constrained")
    axes = np.atleast_1d(axes)
    for ax, i in zip(axes, picks):
        seen = f"\n{_count(steps[i] * batch_size)} images" if batch_size else ""
        show_images(snapshots[i][:n], nrow=nrow, ax=ax, title=f"step {steps[i]:,}{seen}",
                    labels=None if labels is None else list(labels)[:n])
    fig = axes[0].figure
    if title:
        fig.suptitle(title)
    return fig


def _count(n):
    return f"{n / 1e6:.2g}M" if n >= 1e6 else f"{n / 1e3:.3g}k" if n >= 1e3 else str(int(n))


def generated_beside_nearest(generated, reference, k=3, title=None):
    """Each row: a generated image, a gap, then its k nearest reference images with their distances."""
    dist, idx = _metrics.nearest_neighbours(generated, reference, k=k)
    n = len(generated)
    fig, axes = plt.subplots(n, k + 2, figsize=(0.8 * (k + 1) + 0.5, 0.8 * n + 0.6), layout="constrained",
                             gridspec_kw={"width_ratios": [1, 0.25] + [1] * k, "wspace": 0.02, "hspace": 0.02})
    for r in range(n):
        row = [generated[r]] + [reference[j] for j in idx[r].tolist()]
        for c, ax in enumerate(a for j, a in enumerate(axes[r]) if j != 1):
            ax.imshow(row[c].detach().float().cpu().clamp(-1, 1).add(1).div(2)[0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(c == 0)
                spine.set_color(FAKE), spine.set_linewidth(2)
            if c:
                ax.set_xlabel(f"{float(dist[r, c - 1]):.1f}", fontsize=8, labelpad=1)
        axes[r, 1].set_axis_off()
    axes[0, 0].set_title("generated", fontsize=9)
    axes[0, 2 + (k - 1) // 2].set_title(f"its {k} nearest training images (distance)", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def animate(frames, draw, interval=300, figsize=(4, 4)):
    """An HTML/JS animation (plays in JupyterLab and Colab): draw(ax, frame) per frame."""
    from IPython.display import HTML
    from matplotlib import animation

    fig, ax = plt.subplots(figsize=figsize)

    def update(i):
        ax.clear()
        draw(ax, frames[i])
        return []

    anim = animation.FuncAnimation(fig, update, frames=len(frames), interval=interval, blit=False)
    html = HTML(anim.to_jshtml())
    plt.close(fig)
    return html


def animate_images(grids, titles=None, interval=400):
    """Animate a list of image batches (N, C, H, W), e.g. samples from fixed z during training."""
    titles = titles or [f"frame {i}" for i in range(len(grids))]

    def draw(ax, i):
        show_images(grids[i], ax=ax, title=titles[i])

    n = len(grids[0])
    size = min(8, n) * 0.6 + 0.5
    return animate(list(range(len(grids))), draw, interval, figsize=(size, size * math.ceil(n / 8) / min(8, n) + 0.4))


def generator_gradient_curves(names=("minimax", "non-saturating"), ax=None):
    """|∂ loss_G / ∂ s| against D(G(z)) = sigmoid(s), computed by autograd for each loss.

    Shows the saturation problem: when D confidently rejects fakes (D(G(z)) near 0),
    the minimax generator gets almost no gradient.
    """
    s = torch.linspace(-8, 8, 400, requires_grad=True)
    fig, ax = _new(ax, (6.5, 3.5))
    out = {}
    for name in names:
        loss = _losses.get(name)
        grad, = torch.autograd.grad(loss.g_loss(s[:, None]) * len(s), s)
        out[name] = grad.abs().detach()
        ax.plot(torch.sigmoid(s).detach(), out[name], label=name, color=colour(name),
                ls="--" if name == "minimax" else "-", lw=1.8)      # two blues: the dash tells them apart
    ax.set_xlabel("D(G(z))"), ax.set_ylabel("|∂ loss_G / ∂ score|")
    ax.set_title("G's gradient against D(G(z)): how real D finds a fake")
    legend_outside(ax)
    return fig
