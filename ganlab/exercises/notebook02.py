"""Checks for notebook 02's exercises (registered with ganlab.exercises; worked solutions in notebooks/solutions.md)."""
import math

import torch

from . import _exercise, _close, _values, _own_random_stream


@_exercise("02.1", "a function u -> x turning uniform (0, 1) samples into standard Cauchy samples")
def _cauchy(answer):
    u = torch.rand(200_000, generator=torch.Generator().manual_seed(0)) * 0.998 + 0.001
    x = torch.as_tensor(answer(u), dtype=torch.float64)
    q = torch.quantile(x, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64)).tolist()
    ok = x.shape == u.shape and _close(q[1], 0.0, 0.02) and _close(q[0], -1.0, 0.03) and _close(q[2], 1.0, 0.03)
    return ok, ("Quartiles at -1, 0, 1, as a standard Cauchy's. Its mean never settles: the tails "
                "are too heavy for the law of large numbers." if ok else
                f"Your samples' quartiles are {[round(v, 2) for v in q]}; a standard Cauchy has -1, 0, 1. "
                f"Hint: F^-1(u) = tan(pi (u - 1/2)).")


@_exercise("02.2", "a function mmd_one(x, y, sigma): squared MMD with one Gaussian kernel (biased estimate)")
def _mmd_one(answer):
    from .. import metrics

    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(200, 2, generator=gen), torch.randn(150, 2, generator=gen) + 0.5
    got = float(answer(x, y, 0.7))
    want = float(metrics.mmd(x, y, bandwidths=(0.7,)))
    ok = _close(got, want, 1e-4 * max(1.0, abs(want)))
    return ok, (f"MMD^2 = {want:.5f}, matching ganlab.metrics.mmd." if ok else
                f"You got {got:.5f}, expected {want:.5f}. Hint: mean k(x,x') + mean k(y,y') - 2 mean k(x,y) "
                f"with k(a,b) = exp(-|a-b|^2 / (2 sigma^2)), all pairs included.")


def _log_normal(x, mean, cov):
    """log N(x; mean, cov) for 2D points x (N, 2), written out in float64 for the checks."""
    d = x.double() - torch.as_tensor(mean).double()
    (a, b), (_, c) = torch.as_tensor(cov).double().tolist()
    det = a * c - b * b
    quad = (c * d[:, 0] ** 2 - 2 * b * d[:, 0] * d[:, 1] + a * d[:, 1] ** 2) / det     # d^T cov^-1 d
    return -0.5 * quad - 0.5 * math.log((2 * math.pi) ** 2 * det)


@_exercise("02.3", "a function d_star(log_p_data, log_p_g, x) -> D*(x) = p_data / (p_data + p_g), shape (N,)")
def _optimal_d(answer):
    data_mean, data_cov = (0.5, 0.0), ((0.6, 0.2), (0.2, 0.4))
    g_mean, g_cov = (-0.4, 0.3), ((1.0, -0.3), (-0.3, 0.8))
    normal = torch.distributions.MultivariateNormal
    log_p_data = normal(torch.tensor(data_mean), torch.tensor(data_cov)).log_prob
    log_p_g = normal(torch.tensor(g_mean), torch.tensor(g_cov)).log_prob
    near = torch.randn(200, 2, generator=torch.Generator().manual_seed(2)) * 1.5
    far = torch.tensor([[40.0, -30.0], [-35.0, 25.0], [60.0, 60.0]])    # both densities below 1e-300
    x = torch.cat([near, far])
    # by hand: near the data the densities themselves, in float64; far out, where they
    # round to 0 even in float64, the same ratio as 1 / (1 + p_g / p_data) from the logs
    ld, lg = _log_normal(x, data_mean, data_cov), _log_normal(x, g_mean, g_cov)
    want = torch.cat([ld[:200].exp() / (ld[:200].exp() + lg[:200].exp()), 1 / (1 + (lg[200:] - ld[200:]).exp())])
    with _own_random_stream(0):
        got = _values(answer(log_p_data, log_p_g, x))
    if got.numel() != len(x):
        return False, (f"for {len(x)} points d_star should return {len(x)} numbers, got {got.numel()}. "
                       f"Hint: one value of D* per point, shape (N,), as log_p_data(x) has.")
    gap = (got - want).abs()
    if gap[:200].max() < 1e-4 and not gap[200:].max() < 1e-4:
        return False, ("Right near the data, but at points far out, such as (40, -30), you return "
                       f"{got[200].item()} where D* is {want[200].item():.0f}: there both densities are "
                       f"smaller than the smallest float, and p / (p + q) is 0 / 0. Hint: divide top and "
                       f"bottom by p_data(x); what is left is a function of log p_data(x) - log p_g(x).")
    ok = bool(gap.max() < 1e-4)
    swapped = bool((got - (1 - want)).abs().max() < 1e-4)
    return ok, ("D*(x) = sigmoid(log p_data(x) - log p_g(x)), right everywhere. A discriminator's raw "
                "score at its best is that log-ratio." if ok else
                "Hint: that is p_g / (p_data + p_g). D* puts p_data on top, so real data gets the "
                "high value." if swapped else
                f"Your values are up to {gap.max():.3f} away from D*. Hint: D*(x) = p_data(x) / "
                f"(p_data(x) + p_g(x)), and p = exp(log p).")


@_exercise("predict 02.1", "D trains alone until it rejects G's samples with confidence. The gradient the minimax "
                    "loss sends to G's weights then (a) shrinks towards 0; (b) stays about as large or grows, "
                    "while the non-saturating loss's grows many times more; (c) grows exactly as much as "
                    "the non-saturating loss's")
def _minimax_far_behind(answer):
    from .. import data, losses, models
    from ..training import GAN
    from .loops import one_thread

    if not (isinstance(answer, str) and answer.strip().lower() in ("a", "b", "c")):
        return False, 'answer with one letter, "a", "b" or "c".'
    with _own_random_stream(0), one_thread():     # section 6's measurement, on the CPU, 100 D steps
        duel = GAN(models.mlp_generator(latent_dim=2, hidden=(128, 128), out_shape=(2,), output=None),
                   models.mlp_discriminator(in_shape=(2,), hidden=(128, 128)), lr=1e-3, seed=0, device="cpu")
        z = duel.noise(1024, seed=3)

        def norms():
            out = {}
            for name in ("minimax", "non-saturating"):
                duel.generator.zero_grad()
                losses.get(name).g_loss(duel.score(duel.generator(z))).backward()
                out[name] = torch.sqrt(sum((p.grad ** 2).sum() for p in duel.generator.parameters())).item()
            return out

        fresh = norms()
        draw = duel.batches(data.toy("ring8", 10_000, seed=0), 256)
        for _ in range(100):
            duel.train_step(draw, 256, update="d")
        ahead = norms()
        d_fake = torch.sigmoid(duel.score(duel.sample(z=z))).mean().item()
    grew = {n: ahead[n] / fresh[n] for n in fresh}
    measured = "a" if grew["minimax"] < 0.2 else "b" if grew["non-saturating"] > 3 * grew["minimax"] else "c"
    ok = answer.strip().lower() == measured
    return ok, (f"Measured just now: once mean D(G(z)) fell to {d_fake:.3f}, the minimax gradient on G's weights "
                f"was {grew['minimax']:.1f} times its size with a fresh D, the non-saturating one "
                f"{grew['non-saturating']:.0f} times. "
                + ("The flat end of log(1 - D) shrinks each sample's push, but D's sharper scores make "
                   "dscore/dweights larger; what the minimax loss loses is its share." if ok else
                   "Hint: the loss's slope in D's score shrinks, but the score's slope in G's weights does not "
                   "stay put while D sharpens."))
