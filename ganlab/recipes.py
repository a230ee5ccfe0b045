"""The tuned GANs of the series, each built in one call, and train-or-load.

    gan = recipes.mlp_mnist()          # notebook 03's final MLP recipe
    gan = recipes.dcgan_mnist()        # notebook 04's DCGAN as the paper has it
    gan = recipes.dcgan_tuned()        # notebook 04's tuned DCGAN recipe
    gan = recipes.train_or_load("03_mlp_gan", recipes.mlp_mnist, images, seconds=600)

Each recipe is the result of a notebook's measurements; the notebook explains
every choice. A later notebook that compares against an earlier one builds the
earlier GAN from here rather than copying its settings.
"""
import warnings

import torch

from . import conditional, models
from . import store as _store
from .modes import mode
from .runtime import kind, with_own_seed
from .store import reference_export
from .style import next_snapshot
from .training import GAN
from .unrolled import UnrolledGAN, gan_or_unrolled  # noqa: F401  (recipes.UnrolledGAN, as before)

# notebook 03: every change measured there, on top of the case study's recipe (VictorSP17/
# Simple_GAN_MNIST: G 64-256-256-784 with ReLU, D 784-256-256-1 with LeakyReLU(0.2), Adam 2e-4
# with default betas, batch 32, fresh noise for G's step); PUBLISHED_MLP below rebuilds it
MLP_MNIST = dict(latent_dim=64, g_hidden=(256, 256, 256), d_hidden=(256, 256), g_activation="leaky_relu",
                 g_batch_norm=True, d_activation="leaky_relu", dropout=0.0, spectral_norm=True, lr=3e-4,
                 betas=(0.5, 0.999), batch_size=128, ema=0.999, augment=2, loss="non-saturating",
                 fresh_noise_for_g=False)
PUBLISHED_MLP = dict(g_hidden=(256, 256), g_activation="relu", g_batch_norm=False, d_activation="leaky_relu",
                     dropout=0.0, spectral_norm=False, lr=2e-4, betas=(0.9, 0.999), batch_size=32, ema=None,
                     augment=0, fresh_noise_for_g=True)


def _settings(defaults, name, changes):
    """A recipe's settings with single ones changed; a misspelt setting is an error, not ignored."""
    unknown = set(changes) - set(defaults)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}; {name} has {sorted(defaults)}")
    return dict(defaults, **changes)


@with_own_seed
def mlp_mnist(seed=0, device=None, **changes):
    """Notebook 03's MLP GAN for MNIST; keyword arguments change single settings of MLP_MNIST."""
    c = _settings(MLP_MNIST, "MLP_MNIST", changes)
    g = models.mlp_generator(latent_dim=c["latent_dim"], hidden=c["g_hidden"], activation=c["g_activation"],
                             batch_norm=c["g_batch_norm"])
    d = models.mlp_discriminator(hidden=c["d_hidden"], activation=c["d_activation"], dropout=c["dropout"],
                                 spectral_norm=c["spectral_norm"])
    return GAN(g, d, loss=c["loss"], lr=c["lr"], betas=c["betas"], ema=c["ema"], augment=c["augment"],
               batch_size=c["batch_size"], fresh_noise_for_g=c["fresh_noise_for_g"], seed=seed, device=device)


# notebook 04: the DCGAN paper's recipe at width 16 (dcgan_mnist), and DCGAN_TUNED, the same kind
# of networks (transposed convolutions in G, strided convolutions in D, no dense hidden layer) with
# notebook 03's fixes and four more, chosen from short single-seed runs (docs/experiments.md), not a
# search; notebook 04b's 45-s ladder finds some of them no help at that length: a discriminator twice
# G's width with spectral norm instead of batch norm, shifted views for D, a weight average of G,
# batches of 128, a learning rate of 1e-3 and one more (3x3) convolution in G, as notebook 03 gave
# its G one more layer; bfloat16 arithmetic where the machine has it natively ("auto").
# d_width None: D's width setting equals G's (the paper's; D then has half G's channels at each
# size); channels_last None: the trainer's default (GAN); refine: extra 3x3 convolutions in G at
# 14x14 (models.dcgan_generator)
DCGAN_PAPER = dict(width=16, d_width=None, latent_dim=100, d_batch_norm=True, spectral_norm=False, lr=2e-4,
                   betas=(0.5, 0.999), batch_size=64, ema=None, augment=0, autocast=None, refine=0,
                   channels_last=None)
DCGAN_TUNED = dict(DCGAN_PAPER, d_width=32, d_batch_norm=False, spectral_norm=True, lr=1e-3, batch_size=128,
                   ema=0.999, augment=2, refine=1, autocast="auto")


def dcgan_width(device):
    """G's width for notebook 04's DCGANs on `device`: 64 (the PyTorch tutorial's) on a CUDA GPU, 16 elsewhere.

    In reference mode it is 16 on every device, the width of the shipped models and results
    (made on a CPU; the width is part of the settings that find them), and on a GPU a line
    says so: without it a GPU reader in reference mode would find nothing and train for half
    an hour."""
    if kind(device) != "cuda":
        return 16
    if mode() == "reference":
        print("reference mode on a GPU: showing the models and results shipped with ganlab, made at width 16 on a "
              "CPU; MODE = \"full\" trains width 64 here")
        return 16
    return 64


@with_own_seed
def dcgan_mnist(seed=0, device=None, **changes):
    """Notebook 04's DCGAN as the paper has it: z of 100, transposed convolutions, N(0, 0.02) init,
    Adam(2e-4, β1 0.5), batches of 64; keyword arguments change single settings of DCGAN_PAPER."""
    return _dcgan(_settings(DCGAN_PAPER, "DCGAN_PAPER", changes), seed, device)


@with_own_seed
def dcgan_tuned(seed=0, device=None, **changes):
    """Notebook 04's tuned DCGAN (DCGAN_TUNED: changes chosen from single-seed runs, see notebook 04b); changes as for dcgan_mnist."""
    return _dcgan(_settings(DCGAN_TUNED, "DCGAN_TUNED", changes), seed, device)


def _dcgan(c, seed, device):
    g = models.dcgan_generator(latent_dim=c["latent_dim"], width=c["width"], refine=c["refine"])
    d = models.dcgan_discriminator(width=c["d_width"] or c["width"], batch_norm=c["d_batch_norm"],
                                   spectral_norm=c["spectral_norm"])
    return GAN(g, d, loss="non-saturating", lr=c["lr"], betas=c["betas"], batch_size=c["batch_size"],
               ema=c["ema"], augment=c["augment"], autocast=c["autocast"], channels_last=c["channels_last"], seed=seed,
               device=device)


# notebook 07: notebook 03's recipe with the label given to both players (a projection
# discriminator, ganlab.conditional); style_dim is the length of the style code z;
# projection=False gives D no label (exercise 07.3)
CONDITIONAL_MNIST = dict(style_dim=64, g_hidden=(256, 256, 256), d_hidden=(256, 256), spectral_norm=True,
                         projection=True, lr=3e-4, betas=(0.5, 0.999), batch_size=128, ema=0.999, augment=2,
                         loss="non-saturating")


@with_own_seed
def conditional_mnist(seed=0, device=None, **changes):
    """Notebook 07's class-conditional GAN for MNIST (train it on ganlab.conditional.pairs)."""
    c = _settings(CONDITIONAL_MNIST, "CONDITIONAL_MNIST", changes)
    g = conditional.ConditionalGenerator(style_dim=c["style_dim"], hidden=c["g_hidden"])
    d = conditional.ProjectionDiscriminator(hidden=c["d_hidden"], spectral_norm=c["spectral_norm"],
                                            projection=c["projection"])
    return conditional.ConditionalGAN(g, d, loss=c["loss"], lr=c["lr"], betas=c["betas"], ema=c["ema"],
                                      augment=c["augment"], batch_size=c["batch_size"], seed=seed, device=device)


def train_or_load(name, build, data, steps=None, seconds=None, snapshots=True, n_fixed=32, fixed_seed=123,
                  device=None, settings=None, **fit_args):
    """Load checkpoint `name` if it was trained before; otherwise build(), train and save it.

    In reference mode the series' own trained model (shipped with ganlab) is loaded
    instead, and nothing is trained or saved. Training stops after `steps` or `seconds`,
    whichever comes first. While it trains,
    samples from the same fixed noise (n_fixed codes) are kept at the series' snapshot moments
    (style.snapshot_images: step 0, after 1,000, 2,000, 5,000, 10,000, ... images seen, and the
    end; snapshots=False keeps only the start and the end), in gan.extras["snapshots"] with
    their steps in gan.extras["snapshot_steps"], so a notebook can show and animate progress. `settings` (plain data: the recipe)
    and the budget are part of the model's name, so a change trains a new model instead
    of loading one trained otherwise. The checkpoint folder is tried before training; a
    model that cannot be saved after training is returned with a warning saying where.
    A kernel interrupt ends training early: the model is returned and saved beside the
    checkpoint as NAME-interrupted.pt, never under the final name, so the next run
    trains in full again.
    """
    if isinstance(build, GAN) or not callable(build):
        raise TypeError(f"build must be a function that makes a GAN (e.g. recipes.mlp_mnist, or "
                        f"lambda device=None: ganlab.GAN(G, D, device=device)), got {type(build).__name__}")
    if not isinstance(snapshots, bool):
        warnings.warn(f"snapshots={snapshots!r}: train_or_load keeps snapshots at the series' moments "
                      "(style.snapshot_images), not a number of them; give snapshots=True or False", stacklevel=2)
    budget = dict(steps=steps, seconds=seconds)
    shipped, path, shipped_name = _store.locate(name, dict(settings or {}, **budget))
    if shipped is not None:
        gan = GAN.load(shipped, device=device)
        where = f" on a {gan.provenance['machine']}" if gan.provenance else ""
        print(f"showing the reference model shipped with ganlab ({gan.step:,} steps, {gan.elapsed / 60:.1f} min of "
              f"training in the reference run{where}), not one trained here. MODE = \"full\" trains your own; it is "
              f"saved apart and never replaces this one.")
        return gan
    if mode() == "reference":
        print(f"no reference model shipped for {name!r}: training it here")
    if path.exists():
        gan = GAN.load(path, device=device)
        print(f"loaded {path} (step {gan.step}, {gan.elapsed / 60:.1f} min of training); "
              f"delete it to train again")
        _export(shipped_name, gan)
        return gan
    _store.ready(path)
    gan = build(device=device)
    Snapshots(gan, n_fixed, fixed_seed, every_moment=snapshots).fit(data, steps=steps, seconds=seconds, **fit_args)
    if gan.interrupted:
        partial = path.with_name(path.stem + "-interrupted.pt")
        try:                                                     # an older interrupted run is replaced
            _store.write(partial, lambda tmp: gan.save(tmp))
            where = f"in memory and in {partial}"
        except (OSError, RuntimeError) as err:
            warnings.warn(f"the interrupted model could not be written to {partial} ({type(err).__name__}: "
                          f"{err}); it is returned here only", stacklevel=2)
            where = "in memory only"
        print(f"interrupted: the model as it is now (step {gan.step}) is {where}; it is not saved as "
              f"{path.name}, so running this cell again trains in full")
        return gan
    kept = _store.keep(path, lambda tmp: gan.save(tmp), f"the trained model {name!r}")
    if kept:
        print(f"trained {gan.step} steps in {gan.elapsed / 60:.1f} min; saved {path}")
        _export(shipped_name, gan)
    elif kept is False:
        print(f"trained {gan.step} steps in {gan.elapsed / 60:.1f} min; another kernel saved {path} first, so "
              f"this model (the one returned) is not saved: gan.save(...) keeps it under another name")
    return gan


class Snapshots:
    """Samples from the same fixed noise at the series' snapshot moments (style.snapshot_images:
    1, 2 and 5 times each power of ten images seen, from 1,000; images seen = generator steps x
    batch size, whatever n_critic is), at the start and at the end, in
    gan.extras["snapshots"] (their steps in "snapshot_steps"). Taking them draws no random numbers
    and changes no weights, so a run trains exactly as it would without them."""

    def __init__(self, gan, n_fixed, fixed_seed, every_moment=True):
        self.gan, self.every_moment = gan, every_moment
        self.fixed_z = gan.noise(n_fixed, seed=fixed_seed)
        gan.extras.update(fixed_z=self.fixed_z.cpu(), snapshots=[], snapshot_steps=[])

    def take(self, g):
        g.extras["snapshots"].append(g.sample(z=self.fixed_z).cpu())
        g.extras["snapshot_steps"].append(g.step)

    def __call__(self, g):
        seen = g.step * self.batch_size
        if self.every_moment and seen >= self.next:
            self.take(g)
            self.next = next_snapshot(seen)

    def fit(self, data, **fit_args):
        self.batch_size = fit_args.get("batch_size") or self.gan.batch_size
        self.next = next_snapshot(self.gan.step * self.batch_size)
        self.take(self.gan)                                  # the start (step 0 unless resumed)
        self.gan.fit(data, callback=self, every=1, **fit_args)
        if self.gan.extras["snapshot_steps"][-1] != self.gan.step:
            self.take(self.gan)                              # the end of training
        return self.gan


def _export(name, gan):
    target = reference_export(name)
    if target is not None:
        _store.write(target, lambda tmp: gan.save(tmp, compact=True))


# the Wasserstein GANs as their papers train them: the critic gets n_critic = 5 updates per
# generator update; WGAN uses RMSprop (its authors saw momentum make the critic unstable),
# WGAN-GP Adam with beta1 = 0 and lr 1e-4
WGAN_SETTINGS = {
    "wasserstein": dict(optimizer="rmsprop", lr=5e-5, n_critic=5, clip_value=0.01),
    "wgan-gp": dict(optimizer="adam", lr=1e-4, betas=(0.0, 0.9), n_critic=5, penalty_weight=10.0),
}


@with_own_seed
def wgan_mnist(loss="wgan-gp", width=16, latent_dim=100, seed=0, device=None, **changes):
    """A Wasserstein GAN for MNIST: the DCGAN generator and a DCGAN critic without batch norm.

    Batch norm would make each sample's score depend on the rest of the batch, which
    the gradient penalty (one gradient per sample) and the Lipschitz view do not allow.
    """
    if loss not in WGAN_SETTINGS:
        raise ValueError(f"loss must be one of {', '.join(WGAN_SETTINGS)}, got {loss!r}")
    g = models.dcgan_generator(latent_dim=latent_dim, width=width)
    critic = models.dcgan_discriminator(width=width, batch_norm=False)
    settings = {**WGAN_SETTINGS[loss], "batch_size": 64, **changes}
    return GAN(g, critic, loss=loss, seed=seed, device=device, **settings)


# PacGAN's synthetic experiment (Lin et al. 2018; the authors' code, fjxmlzn/PacGAN,
# synthetic_data_experiments): G 2 -> 4 x 400 ReLU with batch norm -> 2, D three maxout
# layers of 200 units with 5 pieces, all weights N(0, 0.02), Adam lr 1e-4 with beta1 0.8,
# batches of 100 (packs of `pack` samples each), the non-saturating loss, noise N(0, I) in 2D.
# Their runs last 400 epochs of 100,000 samples (400,000 steps); see notebook 06 for ours.
PACGAN_TOY = dict(latent_dim=2, g_hidden=(400, 400, 400, 400), d_hidden=(200, 200, 200), maxout=5,
                  lr=1e-4, betas=(0.8, 0.999), packs_per_batch=100, loss="non-saturating")


@with_own_seed
def pacgan_toy(pack=1, seed=0, device=None, unroll=0, **changes):
    """The PacGAN paper's 2D GAN with a discriminator that judges `pack` samples at once."""
    c = dict(PACGAN_TOY, **changes)
    g = models.mlp_generator(latent_dim=c["latent_dim"], hidden=c["g_hidden"], out_shape=(2,), output=None,
                             batch_norm=True)
    d = models.mlp_discriminator(in_shape=(2,), hidden=c["d_hidden"], maxout=c["maxout"], pack=pack)
    g.apply(models.dcgan_init), d.apply(models.dcgan_init)            # every weight ~ N(0, 0.02)
    settings = dict(loss=c["loss"], lr=c["lr"], betas=c["betas"], batch_size=c["packs_per_batch"] * pack,
                    seed=seed, device=device)
    return gan_or_unrolled(g, d, unroll=unroll, **settings)


# The unrolled GAN's toy experiment as its authors' demo notebook runs it (poolio/unrolled_gan,
# "Unrolled GAN demo", whose text says its networks and settings are not identical to the paper's):
# G 256 -> 2 x 128 tanh -> 2 (linear output), D 2 -> 2 x 128 tanh -> 1, every weight orthogonal with
# gain 1.4 and biases 0, Adam with beta1 0.5 at learning rate 1e-4 for D and 1e-3 for G, batches of
# 512, the minimax loss, 5 unrolled updates, 25,000 steps (docs/experiments.md: what it does here).
# real_term: G descends minus D's whole loss at the look-ahead weights, as the demo does (see
# ganlab.unrolled); False leaves out D's loss on real data. unroll=0: the same GAN, plain.
METZ_TOY = dict(latent_dim=256, hidden=(128, 128), activation="tanh", gain=1.4, d_lr=1e-4, g_lr=1e-3,
                betas=(0.5, 0.999), batch_size=512, loss="minimax", real_term=True)


@with_own_seed
def unrolled_toy(unroll=5, seed=0, device=None, **changes):
    """The unrolled GAN's demo setup on 2D data (METZ_TOY); unroll=0: the same GAN without look-ahead."""
    c = _settings(METZ_TOY, "METZ_TOY", changes)
    g = models.mlp_generator(latent_dim=c["latent_dim"], hidden=c["hidden"], out_shape=(2,),
                             activation=c["activation"], output=None)
    d = models.mlp_discriminator(in_shape=(2,), hidden=c["hidden"], activation=c["activation"])
    for layer in (m for net in (g, d) for m in net.modules() if isinstance(m, torch.nn.Linear)):
        torch.nn.init.orthogonal_(layer.weight, gain=c["gain"])
        torch.nn.init.zeros_(layer.bias)
    settings = dict(loss=c["loss"], d_lr=c["d_lr"], g_lr=c["g_lr"], betas=c["betas"], batch_size=c["batch_size"],
                    seed=seed, device=device)
    return gan_or_unrolled(g, d, unroll=unroll, real_term=c["real_term"], **settings)


@with_own_seed
def toy_gan(loss="non-saturating", seed=0, device=None, latent_dim=2, hidden=(128, 128), d_hidden=None,
            pack=1, minibatch_std=False, unroll=0, **settings):
    """A GAN for 2D toy data (notebooks 02, 05, 06): MLP generator and discriminator (or critic).

    For the Wasserstein losses the settings of WGAN_SETTINGS apply unless overridden.
    pack, minibatch_std: the discriminator options of ganlab.models.mlp_discriminator.
    unroll: G looks ahead this many D updates (an UnrolledGAN); 0 for a plain GAN.
    """
    g = models.mlp_generator(latent_dim=latent_dim, hidden=hidden, out_shape=(2,), output=None)
    d = models.mlp_discriminator(in_shape=(2,), hidden=d_hidden or hidden, pack=pack,
                                 minibatch_std=minibatch_std)
    settings = {**WGAN_SETTINGS.get(loss, dict(lr=1e-3)), "batch_size": 256, **settings}
    return gan_or_unrolled(g, d, unroll=unroll, loss=loss, seed=seed, device=device, **settings)
