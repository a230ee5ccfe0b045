"""Robustness to the architecture: the same toy task, one network shape, each method at its own settings.

    runs = robustness.compare(METHODS, hidden=(128,) * 6, activation="tanh", steps=2000, seeds=(0, 1, 2))
    rows = robustness.table(runs)          # one row per method: modes and high-quality share per seed

The WGAN-GP paper's claim (Gulrajani et al. 2017, sections 5.1 and 5.2, Figure 2) is that the
gradient penalty trains architectures on which the standard GAN fails (among them an MLP
generator, tanh nonlinearities, no batch norm, a constant number of filters). Here both networks are MLPs of the given width and depth with the
given nonlinearity, on a 2D mixture (the ring of 8 Gaussians by default). Each method is trained
with its own settings (METHODS: the standard GAN at two learning rates, WGAN-GP at the settings of
its authors' toy code), over several seeds, and measured with metrics.mode_coverage on 2,500
samples, as in the mode-collapse papers, at a few step counts along the way.

The same claim on MNIST (mnist_compare, MNIST_METHODS; notebook 05b): MLPs with tanh everywhere
and no batch norm, WGAN-GP at its paper's defaults (Algorithm 1: lambda 10, 5 critic steps, Adam
1e-4, betas (0, 0.9), batches of 64) and the standard GAN at two learning rates, scored with the
series' digit classifier (confident share and Frechet distance, ganlab.classifier.digit_scores).

    runs = robustness.mnist_compare(hidden=(128,) * 4, steps=8000, seeds=(0, 1, 2))
    rows = robustness.mnist_table(runs)    # one row per method: confident share and Frechet per seed
"""
import time
import warnings

import torch
from tqdm.auto import tqdm

from . import classifier as _classifier
from . import data as _data
from . import metrics as _metrics
from . import models as _models
from .recipes import WGAN_SETTINGS
from .runtime import resolve_device, seeded
from .training import GAN

# each method at its own paper's settings; the GAN's learning rate is the one setting tried twice
METHODS = {
    "GAN, lr 1e-4": dict(loss="non-saturating", lr=1e-4, betas=(0.5, 0.999)),
    "GAN, lr 1e-3": dict(loss="non-saturating", lr=1e-3, betas=(0.5, 0.999)),
    # the WGAN-GP authors' toy code (gan_toy.py): lambda 0.1, 5 critic steps, Adam 1e-4, betas (0.5, 0.9)
    "WGAN-GP": dict(loss="wgan-gp", lr=1e-4, betas=(0.5, 0.9), n_critic=5, penalty_weight=0.1),
}


# MNIST: the GAN at the DCGAN paper's learning rate and at the series' tuned one (notebook 04);
# WGAN-GP at the WGAN-GP paper's Algorithm 1 defaults (recipes.WGAN_SETTINGS); batches of 64 for all
MNIST_METHODS = {
    "GAN, lr 2e-4": dict(loss="non-saturating", lr=2e-4, betas=(0.5, 0.999)),
    "GAN, lr 1e-3": dict(loss="non-saturating", lr=1e-3, betas=(0.5, 0.999)),
    "WGAN-GP": dict(loss="wgan-gp", **WGAN_SETTINGS["wgan-gp"]),
}


def networks(hidden, activation, latent_dim=2, seed=0):
    """The generator and the discriminator (or critic) of one run: MLPs of the same shape, no batch norm."""
    with seeded(seed):
        g = _models.mlp_generator(latent_dim=latent_dim, hidden=tuple(hidden), out_shape=(2,),
                                  activation=activation, output=None)
        d = _models.mlp_discriminator(in_shape=(2,), hidden=tuple(hidden), activation=activation)
    return g, d


def run(settings, target="ring8", hidden=(128,) * 6, activation="tanh", steps=2000, seed=0, batch_size=256,
        every=500, n_samples=2500, keep=1000, data_size=100_000, device=None):
    """Train one GAN (settings: GAN keywords) and measure it every `every` steps and at the end.

    Returns dict(covered, high_quality, counts, seconds, samples (the first `keep` of the
    n_samples scored), trend: [dict(step, covered, high_quality, seconds: training time so far)])."""
    device = resolve_device(device)
    g, d = networks(hidden, activation, seed=seed)
    gan = GAN(g, d, batch_size=batch_size, seed=seed, device=device, **settings)
    real = _data.toy(target, data_size, seed=1000 + seed, device=device)
    trend, seconds = [], 0.0
    for mark in sorted({m for m in range(every, steps, every)} | {steps}):
        started = time.perf_counter()
        with warnings.catch_warnings():       # a tanh D's first scores can all lie in (0, 1): no sigmoid here
            warnings.filterwarnings("ignore", message="the discriminator's scores all lie strictly")
            gan.fit(real, steps=mark - gan.step, progress=False)      # split fits train exactly as one
        seconds += time.perf_counter() - started
        samples = gan.sample(n_samples, seed=10_000 + seed).cpu()
        cov = _metrics.mode_coverage(samples, target)
        trend.append(dict(step=gan.step, covered=cov["covered"], high_quality=cov["high_quality"], seconds=seconds))
    return dict(covered=cov["covered"], high_quality=cov["high_quality"], counts=cov["counts"].tolist(),
                seconds=seconds, samples=samples[:keep].clone(), trend=trend)


def compare(methods=None, target="ring8", hidden=(128,) * 6, activation="tanh", steps=2000, seeds=(0, 1, 2),
            progress=True, **kwargs):
    """Every method ({name: GAN settings}) for every seed, one after another; returns {name: [run per seed]}.

    steps is one count for every method or {name: count} (to give each method its own budget).
    kwargs go to run() (batch_size, every, n_samples, keep, device)."""
    methods = METHODS if methods is None else methods

    def one(name, seed):
        n = steps[name] if isinstance(steps, dict) else steps
        return run(methods[name], target=target, hidden=hidden, activation=activation, steps=n, seed=seed, **kwargs)
    return _every_seed(methods, seeds, target, one, progress,
                       lambda r: f"{r['covered']} modes, {r['high_quality']:.1%} high quality")


def _every_seed(methods, seeds, where, one, progress, says):
    """one(name, seed) for every method and seed, under one progress bar; {name: [run per seed]}."""
    out = {name: [] for name in methods}
    bar = tqdm([(name, seed) for name in methods for seed in seeds],
               desc=f"{len(methods)} methods x {len(seeds)} seeds on {where}", disable=not progress)
    for name, seed in bar:
        bar.set_postfix_str(f"{name}, seed {seed}")
        r = one(name, seed)
        out[name].append(dict(r, seed=seed))
        bar.write(f"{name}, seed {seed}: {says(r)}, {r['seconds']:.0f} s")
    bar.close()
    return out


def best(runs, names):
    """Of the methods `names`, the one with the largest mean high-quality share (a GAN's best learning rate)."""
    return max(names, key=lambda n: sum(r["high_quality"] for r in runs[n]) / len(runs[n]))


def at_step(run_, step):
    """One run's measurement (a trend entry) at the given generator step; KeyError if it was not measured there."""
    for point in run_["trend"]:
        if point["step"] == step:
            return point
    raise KeyError(f"no measurement at step {step}; measured at {[p['step'] for p in run_['trend']]}")


def table(runs):
    """{name: dict(covered=[per seed], high_quality=[per seed], seconds=total, mean_high_quality)}."""
    rows = {}
    for name, per_seed in runs.items():
        hq = [r["high_quality"] for r in per_seed]
        rows[name] = dict(covered=[r["covered"] for r in per_seed], high_quality=hq,
                          mean_high_quality=sum(hq) / len(hq), seconds=sum(r["seconds"] for r in per_seed))
    return rows


# ------------------------------------------------------------------ the same claim on MNIST

def mnist_networks(hidden, activation, latent_dim=64, seed=0):
    """An MLP generator (tanh output, images in [-1, 1]) and an MLP discriminator of the same shape, no batch norm."""
    with seeded(seed):
        g = _models.mlp_generator(latent_dim=latent_dim, hidden=tuple(hidden), activation=activation)
        d = _models.mlp_discriminator(hidden=tuple(hidden), activation=activation)
    return g, d


def mnist_run(settings, hidden=(128,) * 4, activation="tanh", steps=8000, seed=0, batch_size=64, every=1000,
              n_samples=2000, keep=16, images=None, device=None):
    """Train one GAN on MNIST (settings: GAN keywords) and score it every `every` steps and at the end.

    Scores: classifier.digit_scores of n_samples samples (the confident share over all of them,
    the Frechet distance over the first classifier.FRECHET_N). Returns dict(confident, frechet,
    seconds, samples (the first `keep`), trend: [dict(step, confident, frechet, seconds)])."""
    device = resolve_device(device)
    images = _data.mnist(device=device)[0] if images is None else images
    g, d = mnist_networks(hidden, activation, seed=seed)
    gan = GAN(g, d, batch_size=batch_size, seed=seed, device=device, **settings)
    trend, seconds = [], 0.0
    for mark in sorted({m for m in range(every, steps, every)} | {steps}):
        started = time.perf_counter()
        with warnings.catch_warnings():       # a tanh D's first scores can all lie in (0, 1): no sigmoid here
            warnings.filterwarnings("ignore", message="the discriminator's scores all lie strictly")
            gan.fit(images, steps=mark - gan.step, progress=False)
        seconds += time.perf_counter() - started
        samples = gan.sample(n_samples, seed=10_000 + seed)
        scores = _classifier.digit_scores(samples)
        trend.append(dict(step=gan.step, confident=scores["confident"], frechet=scores["frechet"], seconds=seconds))
    return dict(confident=scores["confident"], frechet=scores["frechet"], seconds=seconds,
                samples=samples[:keep].cpu().clone(), trend=trend)


def mnist_compare(methods=None, hidden=(128,) * 4, activation="tanh", steps=8000, seeds=(0, 1, 2), progress=True,
                  device=None, **kwargs):
    """Every method ({name: GAN settings}, MNIST_METHODS by default) for every seed on MNIST; {name: [run per seed]}.

    kwargs go to mnist_run() (batch_size, every, n_samples, keep)."""
    methods = MNIST_METHODS if methods is None else methods
    device = resolve_device(device)
    images = _data.mnist(device=device)[0]

    def one(name, seed):
        return mnist_run(methods[name], hidden=hidden, activation=activation, steps=steps, seed=seed, images=images,
                         device=device, **kwargs)
    return _every_seed(methods, seeds, "MNIST", one, progress,
                       lambda r: f"{r['confident']:.1%} confident, Frechet {r['frechet']:.1f}")


def mnist_best(runs, names):
    """Of the methods `names`, the one with the lowest mean final Frechet distance (a GAN's best learning rate)."""
    return min(names, key=lambda n: sum(r["frechet"] for r in runs[n]) / len(runs[n]))


def mnist_table(runs):
    """{name: dict(confident=[per seed], frechet=[per seed], mean_confident, mean_frechet, seconds=total)}."""
    rows = {}
    for name, per_seed in runs.items():
        conf, fd = [r["confident"] for r in per_seed], [r["frechet"] for r in per_seed]
        rows[name] = dict(confident=conf, frechet=fd, mean_confident=sum(conf) / len(conf),
                          mean_frechet=sum(fd) / len(fd), seconds=sum(r["seconds"] for r in per_seed))
    return rows
