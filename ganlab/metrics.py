"""Numbers behind the claims: mode coverage, MMD, 2D divergences, nearest neighbours.

    mode_coverage(samples, centres, std)   -> modes covered, % high quality
    between_modes(samples, "grid25")       -> share of the off-mode samples on threads between modes
    mmd(x, y)                              -> kernel two-sample distance (0 when x ~ y)
    js_divergence_2d(x, y)                 -> Jensen-Shannon on a 2D histogram, in [0, log 2]
    nearest_neighbours(queries, reference) -> distances and indices (Euclidean)

The MNIST scores built on a classifier (Frechet distance, inception score,
predicted-digit histogram) live in ganlab.classifier.
"""
import math

import torch

from . import data as _data


def mode_coverage(samples, centres, std=None, threshold=3.0):
    """How many modes of a Gaussian mixture the samples cover, and how well.

    The protocol of the mode-collapse literature (Srivastava et al. 2017,
    VEEGAN; also PacGAN): a sample is *high quality* when it lies within
    `threshold` std of its nearest mode centre; a mode is *covered* when it is
    the nearest centre of at least one high-quality sample. Use 2500 samples.

    centres: (K, 2) tensor, or a toy name ("ring8", "grid25") to look them up.
    Returns dict(covered, n_modes, high_quality (fraction in [0, 1]), counts (K,),
    reverse_kl): reverse_kl is PacGAN's third number, KL(q ‖ uniform) in nats, where
    q is how the high-quality samples share out over the modes: 0 when every mode gets
    the same share, log K when all sit on one mode (inf when there are none).
    """
    if isinstance(centres, str):
        centres, std = _data.toy_modes(centres)
    if std is None:
        raise ValueError("give the modes' std (or a toy name instead of centres)")
    samples = samples.detach().float().cpu().reshape(samples.shape[0], -1)
    centres = centres.detach().float().cpu()
    if samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples have {samples.shape[1]} dimensions, centres {centres.shape[1]}")
    dist = torch.cdist(samples, centres)                  # (N, K)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= threshold * std
    counts = torch.bincount(nearest[good], minlength=len(centres))
    q = counts.double() / counts.sum().clamp(min=1)
    reverse_kl = float((q[q > 0] * (q[q > 0] * len(centres)).log()).sum()) if counts.sum() > 0 else math.inf
    return dict(covered=int((counts > 0).sum()), n_modes=len(centres),
                high_quality=float(good.float().mean()), counts=counts, reverse_kl=reverse_kl)


def between_modes(samples, centres, std=None, threshold=3.0):
    """Of the samples that miss every mode (farther than `threshold` std from each centre), the
    share lying within `threshold` std of a segment joining two neighbouring modes: the threads
    a generator draws between modes while it moves mass from one to another. Neighbours are the
    pairs of centres closest to each other (the grid's rows and columns, the ring's arcs).
    centres: (K, 2) tensor with std, or a toy name. Returns a fraction (nan when no sample misses)."""
    if isinstance(centres, str):
        centres, std = _data.toy_modes(centres)
    if std is None:
        raise ValueError("give the modes' std (or a toy name instead of centres)")
    samples = samples.detach().float().cpu().reshape(samples.shape[0], -1)
    centres = centres.detach().float().cpu()
    gaps = torch.cdist(centres, centres)
    nearest_gap = gaps[gaps > 0].min()
    i, j = torch.nonzero(torch.triu(gaps <= 1.005 * nearest_gap, diagonal=1), as_tuple=True)
    starts, ends = centres[i], centres[j]                                   # (P, 2) each
    along = (((samples[:, None] - starts) * (ends - starts)).sum(-1) / ((ends - starts) ** 2).sum(-1)).clamp(0, 1)
    to_segment = (samples[:, None] - (starts + along[..., None] * (ends - starts))).norm(dim=-1).min(dim=1).values
    off_mode = torch.cdist(samples, centres).min(dim=1).values > threshold * std
    if not off_mode.any():
        return math.nan
    return float((off_mode & (to_segment <= threshold * std)).sum() / off_mode.sum())


def mmd(x, y, bandwidths=(0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)):
    """Squared maximum mean discrepancy with a sum of Gaussian kernels (biased estimate).

    MMD²(x, y) = mean k(x, x') + mean k(y, y') - 2 mean k(x, y),
    k(a, b) = Σ_σ exp(-‖a - b‖² / (2σ²)). It is 0 when the two samples coincide,
    differentiable in x (so a generator can be trained to minimise it), and
    the bandwidths set which scales of difference it can see.
    """
    if tuple(x.shape[1:]) != tuple(y.shape[1:]):
        raise ValueError(f"mmd compares samples of one shape; got {tuple(x.shape[1:])} and {tuple(y.shape[1:])} "
                         f"per sample (shapes {tuple(x.shape)} and {tuple(y.shape)})")
    x, y = x.reshape(x.shape[0], -1), y.reshape(y.shape[0], -1)
    xy = torch.cat([x, y])
    d2 = torch.cdist(xy, xy).pow(2)                        # (Nx+Ny, Nx+Ny)
    k = sum(torch.exp(-d2 / (2 * s * s)) for s in bandwidths)
    n = x.shape[0]
    return k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()


def histogram_2d(x, bins=50, bounds=None):
    """Normalised 2D histogram (bins, bins) of points x (N, 2) over bounds ((x0, x1), (y0, y1))."""
    x = x.detach().float().cpu()
    if bounds is None:
        lo, hi = x.min(0).values, x.max(0).values
        bounds = ((lo[0].item(), hi[0].item()), (lo[1].item(), hi[1].item()))
    (x0, x1), (y0, y1) = bounds
    ix = ((x[:, 0] - x0) / (x1 - x0) * bins).floor().long().clamp(0, bins - 1)
    iy = ((x[:, 1] - y0) / (y1 - y0) * bins).floor().long().clamp(0, bins - 1)
    h = torch.bincount(ix * bins + iy, minlength=bins * bins).float().reshape(bins, bins)
    return h / h.sum()


def _joint_bounds(x, y, margin=0.05):
    both = torch.cat([x.detach().float().cpu(), y.detach().float().cpu()])
    lo, hi = both.min(0).values, both.max(0).values
    pad = (hi - lo) * margin + 1e-6
    return ((lo[0] - pad[0]).item(), (hi[0] + pad[0]).item()), ((lo[1] - pad[1]).item(), (hi[1] + pad[1]).item())


def kl_divergence_2d(p_samples, q_samples, bins=50, bounds=None, eps=1e-10):
    """KL(P ‖ Q) estimated on a shared 2D histogram, in nats (eps keeps empty Q bins finite)."""
    bounds = bounds or _joint_bounds(p_samples, q_samples)
    p, q = histogram_2d(p_samples, bins, bounds), histogram_2d(q_samples, bins, bounds)
    mask = p > 0
    return float((p[mask] * (p[mask] / (q[mask] + eps)).log()).sum())


def js_divergence_2d(p_samples, q_samples, bins=50, bounds=None):
    """Jensen-Shannon divergence on a shared 2D histogram, in nats: 0 (same) to log 2 (disjoint)."""
    bounds = bounds or _joint_bounds(p_samples, q_samples)
    p, q = histogram_2d(p_samples, bins, bounds), histogram_2d(q_samples, bins, bounds)
    m = 0.5 * (p + q)

    def kl(a):
        mask = a > 0
        return (a[mask] * (a[mask] / m[mask]).log()).sum()

    return float(0.5 * kl(p) + 0.5 * kl(q))


def nearest_neighbours(queries, reference, k=1, chunk=1024, exclude_self=False):
    """Euclidean nearest neighbours of each query among `reference`.

    queries (Q, ...), reference (R, ...): flattened to vectors.
    Returns (distances (Q, k), indices (Q, k)). exclude_self=True skips the
    zero-distance match when queries are the reference itself (for real-to-real).
    """
    q = queries.detach().float().reshape(queries.shape[0], -1)
    r = reference.detach().float().reshape(reference.shape[0], -1).to(q.device)
    dists, idxs = [], []
    for start in range(0, q.shape[0], chunk):
        d = torch.cdist(q[start:start + chunk], r)            # (chunk, R)
        if exclude_self:
            rows = torch.arange(d.shape[0], device=d.device)
            d[rows, rows + start] = math.inf
        v, i = d.topk(k, dim=1, largest=False)
        dists.append(v), idxs.append(i)
    return torch.cat(dists), torch.cat(idxs)


def memorization(generated, train, held_out, n=1000):
    """Is a generator copying its training data? Compare nearest-neighbour distances.

    For n generated samples and n held-out real samples (never trained on), the
    Euclidean distance to the nearest training sample. A generator that copies
    sits much closer to the training set than new real data does.
    Returns dict(generated (n,), held_out (n,), median_ratio): the ratio of the
    medians, generated / held-out; near 1 or above means no sign of copying.
    """
    gen, _ = nearest_neighbours(generated[:n], train)
    real, _ = nearest_neighbours(held_out[:n], train)
    gen, real = gen[:, 0].cpu(), real[:, 0].cpu()
    return dict(generated=gen, held_out=real, median_ratio=float(gen.median() / real.median()))
