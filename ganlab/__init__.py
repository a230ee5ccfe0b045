"""ganlab: the helper package behind the GAN notebook series.

Notebooks hold the story; this package holds the machinery. Each module is one
idea and can be read in one sitting:

    runtime     device(), seed(), seeded(): where code runs and its random state
    modes       the three modes (reference, full, quick) and budget()
    store       kept results and models: cached(), train_or_load()'s ladder, nothing lost
    data        2D toy distributions and MNIST (offline fallback included)
    models      MLP and DCGAN generators / discriminators, DCGAN init
    losses      every GAN loss in one registry, by name
    training    GAN: the one training loop every notebook uses
    settings    GAN.Settings: what a GAN is besides its networks, what a checkpoint stores
    callbacks, ema, augment, checks   small pieces beside the loop (progress, lr schedule, stop
                press; the weight average; shifted views; the friendly model and data checks)
    unrolled    UnrolledGAN: G looks ahead at D's next updates (a subclass of GAN)
    checkpoints saving and loading a GAN (plain data, weights_only=True)
    recipes     the tuned GANs of the series, train-or-load
    critics     the Wasserstein view: 1D distances, clipped and penalised critics
    collapse    mode collapse measured: variants x seeds, one table
    moment_matching  a generator trained with MMD alone (notebook 02)
    metrics     mode coverage, MMD, 2D divergences, nearest neighbours
    classifier  a small MNIST classifier and the scores built on it (FID, IS)
    plots       image grids, training curves, 2D views, animations
    widgets     latent sliders, interpolation, the live 2D training view
    basics      notebook 01's discriminative and generative classifiers
    exercises   checks for the notebooks' exercises

Quick start::

    import ganlab
    ganlab.seed(0)
    data = ganlab.data.toy("ring8", 10_000)
    gan = ganlab.GAN(ganlab.models.mlp_generator(latent_dim=2, out_shape=(2,)),
                     ganlab.models.mlp_discriminator(in_shape=(2,)),
                     loss="non-saturating")
    history = gan.fit(data, steps=2000)          # or seconds=60
"""
from . import modes, store, runtime, data, models, losses, checkpoints  # noqa: F401
from . import settings, callbacks, ema, augment, checks, placement, batching, history  # noqa: F401
from . import training, unrolled, moment_matching, metrics  # noqa: F401
from . import results  # noqa: F401
from . import classifier  # noqa: F401
from . import conditional, critics, recipes, collapse, exercises  # noqa: F401
from .runtime import device, seed, quick, budget, mode, set_mode  # noqa: F401
from .training import GAN  # noqa: F401

__version__ = "0.2.0"
