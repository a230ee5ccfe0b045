"""Critics and the Wasserstein view (notebook 05).

    wasserstein_1d(x, y)           exact earth mover's distance between two 1D samples
    js_divergence_1d(x, y)         Jensen-Shannon divergence on a shared histogram, in nats
    js_gaussians(theta, std), best_d_push(theta, std)   the best D's reading and push, exactly, for two bumps
    estimate_divergence(x, y, loss)  train a small D or critic on x vs y; read its estimate
    sliding_apart(shifts)          both divergences as two distributions slide apart
    clipped_critic(...)            a deep critic trained with weight clipping or a gradient penalty
    clipping_over_training(...)    such critics measured along their training (weights at ±c, gradients)
    layer_gradient_norms(critic, x)  how big the critic's gradient is at each layer's input
    wasserstein_estimate(history)  E s(x) - E s(G(z)) per step, from a GAN's history

A GAN's discriminator, trained to the end, measures the Jensen-Shannon
divergence: log 2 - ½ · (its loss). Between two distributions that do not
overlap, JS is log 2 however far apart they are, so it tells the generator
nothing about which way to move. The Wasserstein-1 (earth mover's) distance is
how far mass must travel: it grows with the gap, and a critic with bounded
slope (1-Lipschitz) estimates it as E s(x) - E s(G(z)).
"""
import math

import torch
from torch import nn

from . import losses as _losses
from .runtime import resolve_device, with_own_seed


def wasserstein_1d(x, y):
    """W1 between two 1D samples of the same size: the mean gap between sorted values."""
    x, y = x.detach().flatten().float(), y.detach().flatten().float()
    if x.numel() != y.numel():
        raise ValueError(f"wasserstein_1d needs samples of equal size, got {x.numel()} and {y.numel()}")
    return float((x.sort().values - y.sort().values).abs().mean())


def js_divergence_1d(x, y, bins=50):
    """Jensen-Shannon divergence between two 1D samples on a shared histogram, in nats (max log 2)."""
    x, y = x.detach().flatten().float().cpu(), y.detach().flatten().float().cpu()
    lo, hi = min(x.min(), y.min()).item(), max(x.max(), y.max()).item() + 1e-6
    p = torch.histc(x, bins, lo, hi) / x.numel()
    q = torch.histc(y, bins, lo, hi) / y.numel()
    m = (p + q) / 2

    def kl(a):
        mask = a > 0
        return (a[mask] * (a[mask] / m[mask]).log()).sum()

    return float((kl(p) + kl(q)) / 2)


def _over_u(f, d):
    """E f(u) for u ~ N(0, 1), by the trapezoid rule on a grid wide enough for a separation d."""
    u = torch.linspace(-12.0 - d, 12.0 + d, 40_001, dtype=torch.float64)
    return float(torch.trapezoid(torch.exp(-0.5 * u ** 2) / math.sqrt(2 * math.pi) * f(u), u))


def js_gaussians(theta, std):
    """Exact JS divergence (nats) between N(0, std²) and N(theta, std²): the best discriminator's reading.

    With d = theta / std and u ~ N(0, 1): JS = log 2 - E softplus(d u - d²/2)."""
    d = abs(theta) / std
    return math.log(2) - _over_u(lambda u: nn.functional.softplus(d * u - d * d / 2), d)


def best_d_push(theta, std):
    """The mean push |∂/∂x log(1 - D*(x))| on a generated sample x ~ N(theta, std²) from the best
    discriminator D* = p_data / (p_data + p_g) against real data N(0, std²), under the original
    minimax loss. D*'s logit is linear in x with slope theta / std², so the push is
    (theta / std²) · E D*(x) = (theta / std²) · E sigmoid(-d u - d²/2), d = theta / std. It equals
    |d (2 JS) / d theta|: moving G against the best D follows the slope of JS."""
    d = abs(theta) / std
    return abs(theta) / std ** 2 * _over_u(lambda u: torch.sigmoid(-d * u - d * d / 2), d)


def small_net(in_dim=1, hidden=64, depth=2, activation=nn.LeakyReLU):
    """An MLP in_dim -> hidden x depth -> 1, used as a discriminator or critic."""
    layers, width = [], in_dim
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), activation()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, 1))


@with_own_seed
def estimate_divergence(real, fake, loss="non-saturating", steps=300, lr=1e-3, seed=0):
    """Train a fresh small net to tell `real` from `fake` (both (N, d)); return what it measures.

    loss="non-saturating" (any probability loss): the Jensen-Shannon estimate
        log 2 - ½ · D's loss, in [0, log 2] when D is at its best.
    loss="wgan-gp": the critic's Wasserstein estimate E s(real) - E s(fake).
    Also returns the mean size of the gradient a generator would get at the fake
    samples, |∂ loss_G / ∂ x|, as "generator_gradient", and its two factors: how
    steeply G's loss changes with the score, |∂ loss_G / ∂ s| ("loss_slope"), and
    how steeply the score changes with the sample, |∂ s / ∂ x| ("score_slope").
    """
    loss = _losses.get(loss)
    net = small_net(real.shape[1]).to(real.device)
    fake = fake.to(real.device)
    # start from a flat score (slope 0): a gradient-penalised critic that starts with the wrong
    # slope can get stuck there, since turning around means passing slope 0, where the
    # penalty (‖∇s‖ - 1)² is highest
    nn.init.zeros_(net[-1].weight)
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.9))
    for _ in range(steps):
        d_loss, _ = loss.d_loss(net(real), net(fake))
        if loss.penalty_weight:
            d_loss = d_loss + loss.penalty_weight * _losses.gradient_penalty(net, real, fake)
        opt.zero_grad(set_to_none=True)
        d_loss.backward()
        opt.step()
    # the push on each fake sample, |∂ loss_G / ∂ x| = |∂ loss_G / ∂ s| · |∂ s / ∂ x|, and its two factors
    x = fake.clone().requires_grad_(True)
    scores = net(x)
    score_slope, = torch.autograd.grad(scores.sum(), x, retain_graph=True)
    s = scores.detach().requires_grad_(True)
    loss_slope, = torch.autograd.grad(loss.g_loss(s) * len(s), s)
    grad, = torch.autograd.grad(loss.g_loss(scores) * len(x), x)
    with torch.no_grad():
        rs, fs = net(real), net(fake)
        if loss.probability:
            estimate = math.log(2) - 0.5 * loss.d_loss(rs, fs)[0].item()
        else:
            estimate = (rs.mean() - fs.mean()).item()
    return dict(estimate=estimate, generator_gradient=float(grad.norm(dim=1).mean()),
                loss_slope=float(loss_slope.abs().mean()), score_slope=float(score_slope.norm(dim=1).mean()))


def sliding_apart(shifts, n=2000, std=0.1, train_steps=300, seed=0, progress=True):
    """Two 1D Gaussians N(0, std²) and N(shift, std²): every divergence, per shift.

    Returns dict of lists: shift, js (histogram), wasserstein (exact, from samples),
    d_estimate (a trained discriminator's JS estimate), critic_estimate (a trained
    WGAN-GP critic's W estimate), d_gradient and critic_gradient (the generator's
    gradient size under each), and the two factors of d_gradient: d_loss_slope
    (|∂ loss_G / ∂ s|) and d_score_slope (|∂ s / ∂ x|).
    """
    from tqdm.auto import tqdm

    gen = torch.Generator().manual_seed(seed)
    base = torch.randn(n, 1, generator=gen) * std
    other = torch.randn(n, 1, generator=gen) * std
    out = {k: [] for k in ("shift", "js", "wasserstein", "d_estimate", "critic_estimate",
                           "d_gradient", "critic_gradient", "d_loss_slope", "d_score_slope")}
    for shift in tqdm(list(shifts), desc="sliding apart", disable=not progress):
        moved = other + shift
        d = estimate_divergence(base, moved, "non-saturating", train_steps, seed=seed)
        c = estimate_divergence(base, moved, "wgan-gp", train_steps, seed=seed)
        for key, value in (("shift", float(shift)), ("js", js_divergence_1d(base, moved)),
                           ("wasserstein", wasserstein_1d(base, moved)),
                           ("d_estimate", d["estimate"]), ("critic_estimate", c["estimate"]),
                           ("d_gradient", d["generator_gradient"]), ("critic_gradient", c["generator_gradient"]),
                           ("d_loss_slope", d["loss_slope"]), ("d_score_slope", d["score_slope"])):
            out[key].append(value)
    return out


@with_own_seed
def clipped_critic(real, fake, clip_value=None, penalty_weight=None, depth=8, hidden=64, steps=500,
                   lr=5e-5, seed=0, device=None):
    """Train a deep MLP critic on real vs fake (both (N, d)) with weight clipping or a gradient penalty.

    clip_value: clamp every weight to [-c, c] after each update (WGAN, RMSprop as in its paper)
    penalty_weight: add λ E(‖∇s(x̂)‖ - 1)² instead (WGAN-GP, Adam as in its paper)
    Returns the critic (nn.Sequential of Linear / ReLU layers).
    """
    for _, critic in _training(real, fake, clip_value, penalty_weight, depth, hidden, steps, lr, seed, device):
        pass
    return critic


def _training(real, fake, clip_value, penalty_weight, depth, hidden, steps, lr, seed, device):
    """Yield (step, critic) after each of `steps` updates (and at step 0, before any)."""
    if (clip_value is None) == (penalty_weight is None):
        raise ValueError("give exactly one of clip_value= or penalty_weight=")
    dev = resolve_device(device)
    critic = small_net(real.shape[1], hidden, depth, activation=nn.ReLU).to(dev)
    real, fake = real.to(dev), fake.to(dev)
    gen = torch.Generator(device=dev).manual_seed(seed)
    if clip_value is not None:
        opt = torch.optim.RMSprop(critic.parameters(), lr=lr)
    else:
        opt = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
    batch = min(256, len(real), len(fake))
    yield 0, critic
    for step in range(1, steps + 1):
        r = real[torch.randint(len(real), (batch,), device=dev, generator=gen)]
        f = fake[torch.randint(len(fake), (batch,), device=dev, generator=gen)]
        loss = critic(f).mean() - critic(r).mean()
        if penalty_weight is not None:
            loss = loss + penalty_weight * _losses.gradient_penalty(critic, r, f, generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if clip_value is not None:
            with torch.no_grad():
                for p in critic.parameters():
                    p.clamp_(-clip_value, clip_value)
        yield step, critic


def _weights(critic):
    return torch.cat([m.weight.detach().flatten() for m in critic if isinstance(m, nn.Linear)]).cpu()


@with_own_seed
def clipping_over_training(real, fake, settings, marks, probe, depth=8, hidden=256, bins=80, seed=0, device=None):
    """What training does to deep critics: each setting ({name: dict(clip_value=c) or dict(penalty_weight=λ)})
    trained once on real vs fake for max(marks) updates, measured at every step count in `marks`.

    Step 0 is the critic as PyTorch initialises it, with a clipped critic's weights clamped into
    [-c, c] once (what its first update starts from). Per setting, lists over the marks: at_wall
    (share of weights within 1% of ±c; nan for the penalty), input_gradient (‖∂ score / ∂ x‖ at
    the probe points), gap (mean score on real minus on fake), moved (the largest change of any
    weight since step 0), norms (layer_gradient_norms at the probe points); and, before and
    after training, the weights' histogram (bins over ±their largest size).
    """
    out = {}
    for name, kw in settings.items():
        clip = kw.get("clip_value")
        r = {k: [] for k in ("step", "at_wall", "input_gradient", "gap", "moved", "norms")}
        for step, critic in _training(real, fake, clip, kw.get("penalty_weight"), depth, hidden, max(marks),
                                      5e-5, seed, device):
            if step == 0 and clip is not None:
                with torch.no_grad():
                    for p in critic.parameters():
                        p.clamp_(-clip, clip)
            if step not in marks:
                continue
            w = _weights(critic)
            if step == 0:
                start = w.clone()
            norms = layer_gradient_norms(critic, probe)
            with torch.no_grad():
                gap = (critic(real).mean() - critic(fake).mean()).item()
            for key, value in (("step", step), ("at_wall", (w.abs() >= 0.99 * clip).float().mean().item()
                                                 if clip is not None else math.nan),
                               ("input_gradient", norms[0]), ("gap", gap),
                               ("moved", (w - start).abs().max().item()), ("norms", norms)):
                r[key].append(value)
            if step in (0, max(marks)):
                top = w.abs().max().item()
                r["weights_before" if step == 0 else "weights_after"] = dict(
                    counts=torch.histc(w, bins=bins, min=-top, max=top), largest=top)
        out[name] = r
    return out


def layer_gradient_norms(critic, x):
    """‖∂ s / ∂ h‖ at the input h of each Linear layer of a Sequential critic, averaged over x.

    Returns a list, first layer first. Reading it from the last layer back to the
    first shows how the gradient grows or shrinks on its way to the input.
    """
    inputs = []

    def keep_input(module, args, output):
        args[0].retain_grad()
        inputs.append(args[0])

    hooks = [m.register_forward_hook(keep_input) for m in critic if isinstance(m, nn.Linear)]
    try:
        x = x.detach().clone().requires_grad_(True)
        critic(x).sum().backward()
    finally:
        for h in hooks:
            h.remove()
    critic.zero_grad(set_to_none=True)
    return [float(h.grad.norm(dim=1).mean()) for h in inputs]


def wasserstein_estimate(history):
    """The critic's Wasserstein estimate per step, E s(x) - E s(G(z)), from a history.

    For the Wasserstein losses history["d_real"] and ["d_fake"] are the mean raw
    scores; their difference is what the critic believes the distance to be.
    """
    return [r - f for r, f in zip(history["d_real"], history["d_fake"])]


def averaged_at(values, history_steps, at_steps, window=200):
    """The mean of `values` (one per history step) over the `window` steps up to each of `at_steps`."""
    out = []
    for step in at_steps:
        end = next((i + 1 for i, s in enumerate(history_steps) if s >= step), len(history_steps))
        chunk = values[max(0, end - window):end]
        out.append(sum(chunk) / max(1, len(chunk)))
    return out


def rank_correlation(a, b):
    """Spearman's rank correlation of two equal-length sequences: +1 when they rise and fall together."""
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if a.numel() != b.numel() or a.numel() < 3:
        raise ValueError("rank_correlation needs two sequences of the same length, at least 3")
    ra, rb = a.argsort().argsort().double(), b.argsort().argsort().double()
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / (ra.norm() * rb.norm()).clamp(min=1e-30))
