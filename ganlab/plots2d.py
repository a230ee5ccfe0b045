"""The 2D pictures: a GAN on points in the plane, a critic's surface, samples against the true modes.

    toy_view(gan, real)              real and fake samples, D's heatmap, the warped noise grid, G's push
    score_surface(critic, real)      a critic's raw scores over the plane
    samples_over_modes(samples, name)    samples over each mode's 3-sigma disc (the coverage protocol)
    mode_timeline(counts, steps)     which mode the samples are nearest, over training

ganlab.plots re-exports every name here (plots.toy_view is this toy_view).
"""
import numpy as np
import torch

from . import metrics as _metrics
from .style import ERROR, FAKE, REAL, _new, legend_below


def bounds_for(real, margin=0.25):
    """Square plotting bounds around real 2D samples."""
    r = real.detach().float().cpu()
    lo, hi = r.min(0).values, r.max(0).values
    centre, half = (lo + hi) / 2, ((hi - lo).max() / 2) * (1 + margin) + 0.1
    return ((centre[0] - half).item(), (centre[0] + half).item()), ((centre[1] - half).item(), (centre[1] + half).item())


@torch.no_grad()
def discriminator_heatmap(gan, bounds, resolution=60):
    """D's output on a resolution x resolution grid over bounds: array (resolution, resolution).

    Row i is y = bounds[1][0] + ..., column j is x (so imshow(origin="lower") draws it
    the right way up). Probabilities for sigmoid losses, raw scores otherwise.
    """
    (x0, x1), (y0, y1) = bounds
    xs = torch.linspace(x0, x1, resolution)
    ys = torch.linspace(y0, y1, resolution)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    pts = torch.stack([xx.flatten(), yy.flatten()], 1).to(gan.device)
    was = gan.discriminator.training
    gan.discriminator.eval()
    try:
        pack = gan.pack
        scores = gan.score(pts.repeat_interleave(pack, 0)) if pack > 1 else gan.score(pts)
    finally:
        gan.discriminator.train(was)
    values = torch.sigmoid(scores) if gan.loss.probability else scores
    return values.reshape(resolution, resolution).cpu().numpy()


@torch.no_grad()
def warped_grid(gan, lines=11, points=60, extent=2.0):
    """The generator applied to a regular grid of noise: a list of (points, 2) curves.

    Only the first two latent dimensions vary (from -extent to extent); the rest stay 0.
    """
    t = torch.linspace(-extent, extent, points)
    curves = []
    for c in torch.linspace(-extent, extent, lines):
        for horizontal in (True, False):
            z = torch.zeros(points, gan.latent_dim)
            z[:, 0], z[:, 1 % gan.latent_dim] = (t, c) if horizontal else (c, t)
            curves.append(gan.sample(z=z.to(gan.device)).cpu().numpy())
    return curves


def generator_gradients(gan, z):
    """Samples G(z) and the direction gradient descent moves each of them: -∂ loss_G / ∂ x."""
    with torch.no_grad():
        x = gan.sample(z=z)
    x = x.clone().requires_grad_(True)
    was = gan.discriminator.training
    gan.discriminator.eval()
    try:
        g_loss = gan.loss.g_loss(gan.score(x))
        grad, = torch.autograd.grad(g_loss * len(x), x)    # per-sample gradients
    finally:
        gan.discriminator.train(was)
    return x.detach(), -grad


HEATMAP = "BrBG"       # D's belief over the plane: teal where it says real, brown where it says fake
PUSH = "#5e3c99"       # the generator's gradient arrows


def toy_view(gan, real, ax=None, bounds=None, n_fake=500, heatmap=True, grid=True, arrows=True,
             seed=0, title=None):
    """The 2D picture of a GAN at this moment.

    Background: the discriminator's output (its belief that a point is real), soft colours.
    Orange dots: generated samples G(z). Black dots with white edges, drawn last: real samples.
    Thin grey lines: a regular grid of noise z after G has warped it.
    Purple arrows: where the generator's gradient pushes each generated sample.
    The legend sits under the picture, clear of the colour bar on its right.
    """
    real = real.detach().float().cpu()
    bounds = bounds or bounds_for(real)
    fig, ax = _new(ax, (5.6, 5.4))
    (x0, x1), (y0, y1) = bounds
    if heatmap:
        hm = discriminator_heatmap(gan, bounds)
        if gan.loss.probability:
            lo, hi = 0, 1
        else:
            lim = max(abs(hm.min()), abs(hm.max()), 1e-6)
            lo, hi = -lim, lim
        im = ax.imshow(hm, origin="lower", extent=(x0, x1, y0, y1), cmap=HEATMAP, vmin=lo, vmax=hi, alpha=0.45)
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.03, shrink=0.9,
                           label="D(x)" if gan.loss.probability else "critic score")
    if grid:
        for curve in warped_grid(gan):
            ax.plot(curve[:, 0], curve[:, 1], color="0.45", lw=0.7, alpha=0.6)
    z = gan.noise(n_fake, seed=seed)
    fake, push = generator_gradients(gan, z)
    fake, push = fake.cpu().numpy(), push.cpu().numpy()
    ax.scatter(fake[:, 0], fake[:, 1], s=7, c=FAKE, label="generated", zorder=3)
    if arrows:
        k = slice(0, min(150, len(fake)))
        norm = np.linalg.norm(push[k], axis=1, keepdims=True).max() + 1e-12
        ax.quiver(fake[k, 0], fake[k, 1], push[k, 0] / norm, push[k, 1] / norm, color=PUSH,
                  angles="xy", scale_units="xy", scale=1 / (0.12 * (x1 - x0)), width=0.004, zorder=4,
                  label="G's push")
    ax.scatter(real[:1000, 0], real[:1000, 1], s=9, c=REAL, edgecolors="white", linewidths=0.4, label="real",
               zorder=5)
    ax.set_xlim(x0, x1), ax.set_ylim(y0, y1), ax.set_aspect("equal")
    ax.set_xlabel("x₁"), ax.set_ylabel("x₂")
    legend_below(ax, ncol=3, markerscale=2)
    ax.set_title(title or f"step {gan.step}")
    return fig


@torch.no_grad()
def surface(critic, bounds, resolution=80):
    """A critic's (or discriminator's) raw scores on a grid over bounds: dict(x, y, scores), each
    (resolution, resolution), plain CPU tensors (so a notebook can keep them without the critic)."""
    (x0, x1), (y0, y1) = bounds
    yy, xx = torch.meshgrid(torch.linspace(y0, y1, resolution), torch.linspace(x0, x1, resolution), indexing="ij")
    dev = next(critic.parameters()).device
    scores = critic(torch.stack([xx.flatten(), yy.flatten()], 1).to(dev)).reshape(resolution, resolution).cpu()
    return dict(x=xx, y=yy, scores=scores)


def score_surface(critic, real, fake=None, ax=None, bounds=None, title=None, resolution=80, flat_note=False):
    """Raw scores over the plane, real (black) and fake (orange) on top, with a colour bar.

    flat_note=True: when the scores vary by less than a thousandth of their size, a note
    giving their range replaces the colour bar (whose scale would only label rounding noise).

    critic: a network, or a grid already computed by surface() (then bounds come from it).
    """
    real = real.detach().float().cpu()
    grid = critic if isinstance(critic, dict) else surface(critic, bounds or bounds_for(real), resolution)
    xx, yy, scores = grid["x"], grid["y"], grid["scores"]
    x0, x1, y0, y1 = xx.min().item(), xx.max().item(), yy.min().item(), yy.max().item()
    fig, ax = _new(ax, (4.6, 4))
    # colour limits span at least a thousandth of the scores' size: a flat critic looks flat,
    # instead of its rounding noise being stretched over the whole colour scale
    centre = (scores.max() + scores.min()).item() / 2
    half = max((scores.max() - scores.min()).item(), 1e-3 * max(1.0, scores.abs().max().item())) / 2
    flat = (scores.max() - scores.min()).item() <= 1e-6 * max(1.0, scores.abs().max().item())
    im = ax.imshow(scores.numpy(), origin="lower", extent=(x0, x1, y0, y1), cmap=HEATMAP, aspect="auto",
                   vmin=centre - half, vmax=centre + half, alpha=0.6)
    if flat_note and (scores.max() - scores.min()).item() < 1e-3 * max(1.0, scores.abs().max().item()):
        # a colour bar would label rounding noise: say in words how flat it is
        ax.text(0.5, 0.03, f"flat: scores {scores.min().item():.3g} to {scores.max().item():.3g}\n"
                           f"(spread {(scores.max() - scores.min()).item():.1e})", transform=ax.transAxes,
                ha="center", va="bottom", fontsize=8, bbox=dict(facecolor="white", alpha=0.85, lw=0))
    else:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="critic score")
    if not flat:
        ax.contour(xx.numpy(), yy.numpy(), scores.numpy(), levels=12, colors="k", linewidths=0.4, alpha=0.5)
    if fake is not None:
        f = fake.detach().float().cpu()
        ax.scatter(f[:500, 0], f[:500, 1], s=5, c=FAKE, label="fake", zorder=3)
    ax.scatter(real[:500, 0], real[:500, 1], s=6, c=REAL, edgecolors="white", linewidths=0.3, label="real",
               zorder=4)
    ax.set_xlim(x0, x1), ax.set_ylim(y0, y1), ax.set_aspect("equal")
    ax.set_xlabel("x₁"), ax.set_ylabel("x₂")
    if title:
        ax.set_title(title)
    return fig


def samples_over_modes(samples, name_or_centres, std=None, ax=None, title=None, margin=0.6):
    """Generated 2D samples (orange) over the true modes: each mode a small hollow marker, drawn
    above the samples so that a haze cannot hide it, inside its 3-standard-deviation disc (the
    "high quality" zone of metrics.mode_coverage), so a reader can check the title's share by eye. Missed modes
    are red. The axes are fixed around the modes (margin: a share of their extent), so
    pictures of different runs or moments line up; a note says how many samples fall
    outside the view."""
    from matplotlib.patches import Circle

    from . import data as _data

    if isinstance(name_or_centres, str):
        centres, std = _data.toy_modes(name_or_centres)
    else:
        centres = name_or_centres
    cov = _metrics.mode_coverage(samples, centres, std)
    fig, ax = _new(ax, (4.2, 4.2))
    s = samples.detach().float().cpu().numpy()
    c = centres.detach().float().cpu().numpy()
    lo, hi = float(c.min()), float(c.max())
    pad = margin * (hi - lo) / 2 + 0.2
    covered = (cov["counts"] > 0).cpu().numpy()
    radius = 3 * float(std)
    for (x, y), ok in zip(c.tolist(), covered.tolist()):
        ax.add_patch(Circle((x, y), radius, facecolor="0.85" if ok else "#f6d5d8", edgecolor="0.6" if ok else ERROR,
                            lw=0.6, zorder=1))
    ax.scatter(s[:, 0], s[:, 1], s=4, c=FAKE, alpha=0.6, lw=0, label="generated", zorder=3)
    ax.scatter(c[covered, 0], c[covered, 1], marker="o", facecolors="none", edgecolors=REAL, s=16, lw=0.9,
               label="mode (3σ disc)", zorder=4)
    if (~covered).any():
        ax.scatter(c[~covered, 0], c[~covered, 1], marker="o", facecolors="none", edgecolors=ERROR, s=16, lw=0.9,
                   label="missed mode", zorder=4)
    ax.set_xlim(lo - pad, hi + pad), ax.set_ylim(lo - pad, hi + pad), ax.set_aspect("equal")
    ax.set_xlabel("x₁"), ax.set_ylabel("x₂")
    outside = int(((s < lo - pad) | (s > hi + pad)).any(1).sum())
    if outside:
        ax.text(0.02, 0.02, f"{outside} of {len(s)} samples outside the view", transform=ax.transAxes, fontsize=8)
    ax.set_title(title or f"{cov['covered']}/{cov['n_modes']} modes, {100 * cov['high_quality']:.0f}% high quality")
    return fig


def mode_timeline(counts, steps, ax=None, title=None, label="share of samples"):
    """Which modes the generator visits over time: a heatmap, modes down, training steps across.

    counts: (T, K) samples per mode at each of T measurements (see
    ganlab.collapse.coverage_over_time). Each column is shown as shares of its samples.
    """
    c = torch.as_tensor(counts, dtype=torch.float32)
    shares = (c / c.sum(1, keepdim=True).clamp(min=1)).T.numpy()          # (K, T)
    fig, ax = _new(ax, (8, 3.5))
    im = ax.imshow(shares, aspect="auto", cmap="magma", interpolation="nearest",
                   extent=(-0.5, len(steps) - 0.5, c.shape[1] - 0.5, -0.5))
    ticks = np.linspace(0, len(steps) - 1, min(8, len(steps))).round().astype(int)
    ax.set_xticks(ticks, [str(steps[i]) for i in ticks])
    ax.set_xlabel("training step"), ax.set_ylabel("mode")
    ax.figure.colorbar(im, ax=ax, label=label)
    ax.set_title(title or "where the generated samples are, over training")
    return fig


