"""The friendly errors and warnings at the trainer's door: a learner's model or data that
does not fit gets a sentence saying what is wrong and what to do, before any training.
"""
import math
import os
import sys
import warnings

import torch
from torch import nn

from .models import eval_mode


def outside_ganlab():
    """The stacklevel for warnings.warn that points at the learner's own line: the first caller
    outside ganlab (and outside the code dataclasses generate), however deep the call came."""
    frame, level, root = sys._getframe(2), 2, os.path.dirname(__file__)
    generated = lambda code: code.co_filename == "<string>" and code.co_name == "__init__"     # noqa: E731
    while frame is not None and (frame.f_code.co_filename.startswith(root) or generated(frame.f_code)):
        frame, level = frame.f_back, level + 1
    return level


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite; the models keep their last good weights."""


def finite(value, what, step):
    """`value` (a loss), or TrainingDiverged saying what usually causes a NaN or infinite loss."""
    if math.isfinite(value):
        return value
    raise TrainingDiverged(
        f"training stopped at step {step}: the {what} is {value}. The models keep "
        f"their weights from before this update and the history is kept. Usual causes: a "
        f"learning rate too high (try a tenth of it), a Wasserstein loss without weight "
        f"clipping or gradient penalty, data not scaled to the generator's output range "
        f"(ganlab.data.mnist gives [-1, 1] for a tanh generator), or log(0) in a hand-written loss.")


def sample_count(n):
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n is how many samples to draw, a whole number 0 or more; got {n!r}")
    return n


def noise_rows(z, latent_dim):
    """z given to sample(), as a float32 tensor (n, latent_dim): a NumPy array or a list is converted."""
    if not isinstance(z, torch.Tensor):
        z = torch.as_tensor(z, dtype=torch.float32)
    if z.dtype != torch.float32:
        z = z.float()
    if z.dim() != 2 or z.shape[1] != latent_dim:
        raise ValueError(f"z must have shape (n, {latent_dim}), got {tuple(z.shape)}")
    return z


def last_layer(module):
    leaves = [m for m in module.modules() if not list(m.children())]
    real = [m for m in leaves if not isinstance(m, (nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout))]
    return real[-1] if real else None


def no_final_sigmoid(discriminator):
    if isinstance(last_layer(discriminator), nn.Sigmoid):
        raise ValueError(
            "the discriminator ends in nn.Sigmoid (as the PyTorch DCGAN tutorial's does). ganlab's losses "
            "take raw scores and apply the sigmoid themselves (log-sigmoid stays exact where log(sigmoid) "
            "rounds to -inf), and a Wasserstein critic must not be squashed at all: remove the last "
            "nn.Sigmoid(), e.g. D = nn.Sequential(*list(D.children())[:-1]).")


def shapes(gan, real):
    """Fail early, in words, when the models and the data do not fit together (no random draws)."""
    with eval_mode(gan.generator, gan.discriminator), torch.no_grad():
        k = 2 * gan.pack
        z = torch.zeros(k, gan.latent_dim, device=gan.device)
        try:
            fake = gan.generator(z)
        except Exception as err:
            try:
                gan.generator(z.reshape(k, gan.latent_dim, 1, 1))
            except Exception:
                raise ValueError(f"the generator failed on noise of shape (batch, latent_dim) = "
                                 f"{tuple(z.shape)}: {type(err).__name__}: {err}") from None
            raise ValueError(
                f"the generator takes z shaped (batch, {gan.latent_dim}, 1, 1), as the PyTorch DCGAN "
                f"tutorial's does; ganlab passes z as (batch, latent_dim). Put nn.Unflatten(1, "
                f"({gan.latent_dim}, 1, 1)) in front: G = nn.Sequential(nn.Unflatten(1, "
                f"({gan.latent_dim}, 1, 1)), G)") from None
        if tuple(fake.shape[1:]) != tuple(real.shape[1:]):
            raise ValueError(
                f"the generator makes samples of shape {tuple(fake.shape[1:])} but the data "
                f"has shape {tuple(real.shape[1:])}: they must match (check out_shape or "
                f"the data's layout, e.g. MNIST as (N, 1, 28, 28))")
        scores = gan.score(fake)
        if scores.shape[0] != k // gan.pack or scores.numel() != k // gan.pack:
            raise ValueError(
                f"the discriminator must give one score per sample, shape (B, 1); for "
                f"a batch of {k} it gave shape {tuple(scores.shape)}")
        if not gan.loss.name.startswith("w") and not _raw_scores(gan, real):
            warnings.warn(
                "the discriminator's scores all lie strictly between 0 and 1, as after a sigmoid: ganlab's "
                "losses apply the sigmoid themselves, so a sigmoid inside D's forward keeps D(x) stuck near "
                "0.5. Return the raw score (the logit) from forward.", stacklevel=3)


def _raw_scores(gan, real):
    """False when D's scores of real samples and of samples far outside the data all lie in
    (0, 1), as a sigmoid's do. Raw scores of an untrained D can be that narrow on the data,
    but they move out of (0, 1) on samples a hundred times larger; a sigmoid's cannot."""
    inside = lambda s: bool(((s >= 0) & (s <= 1)).all())        # noqa: E731  (a sigmoid's may round to 0 or 1)
    x = real[: 2 * gan.pack]
    if not (isinstance(x, torch.Tensor) and x.is_floating_point()) or not inside(gan.score(x)):
        return True
    try:
        return not (inside(gan.score(x * 100 + 100)) and inside(gan.score(-x * 100 - 100)))
    except Exception:                          # a discriminator that reads part of x as labels, say
        return True


def data_range(data, where="the data", background=False):
    """Warn when image data lie outside [-1, 1] (a tanh generator cannot reach them), or in [0, 1].

    background: warn about [0, 1] only when a third of the pixels sit at the lowest value, as a
    digit's background does (uniform noise in [0, 1], scored on purpose, has none)."""
    if not (isinstance(data, torch.Tensor) and data.dim() == 4 and data.is_floating_point() and data.numel()):
        return
    lo, hi = data.min().item(), data.max().item()
    if lo < -1.01 or hi > 1.01:
        hint = " (pixel values 0-255?)" if hi > 2 else ""
        warnings.warn(f"{where} lie in [{lo:.3g}, {hi:.3g}]{hint}, but ganlab's generators make images in [-1, 1] "
                      f"(tanh) and the scores compare with digits in [-1, 1]: rescale, e.g. images / 127.5 - 1 for "
                      f"0-255 or images * 2 - 1 for [0, 1] (ganlab.data.mnist gives [-1, 1])", stacklevel=outside_ganlab())
    elif lo >= 0 and hi > 0.5 and (not background or (data == lo).float().mean().item() > 0.3):
        warnings.warn(f"{where} lie in [{lo:.3g}, {hi:.3g}], like images in [0, 1], but ganlab's generators make "
                      f"images in [-1, 1] (tanh): rescale with images * 2 - 1 (ganlab.data.mnist gives [-1, 1])",
                      stacklevel=outside_ganlab())


def budget(gan, data, steps, epochs, seconds, batch_size):
    """fit's steps from steps= / epochs= / seconds=, each checked; and the data and model checked
    for what a step would fail on or train badly with. Returns the number of steps (or None)."""
    if steps is not None and epochs is not None:
        raise ValueError("give steps= or epochs=, not both")
    if steps is None and epochs is None and seconds is None:
        raise ValueError("say how long to train: steps=, epochs= or seconds=")
    if epochs is not None:
        if not isinstance(data, torch.Tensor):
            raise ValueError("epochs= needs a data tensor; with a sampler give steps=")
        steps = epochs * math.ceil(data.shape[0] / batch_size)
    if steps is not None and int(steps) < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if seconds is not None and (isinstance(seconds, (bool, str)) or not isinstance(seconds, (int, float))
                                or not 0 < seconds < math.inf):
        raise ValueError(f"seconds is a time budget in seconds, a number above 0 such as 60; got {seconds!r} "
                         f"(to train until you press stop, give a large number)")
    if batch_size < 2 and any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in gan.generator.modules()):
        raise ValueError(f"batch_size={batch_size} with batch norm in the generator: batch norm needs at "
                         f"least 2 samples per batch; use a batch of 16 or more")
    data_range(data, "the training images")
    if gan._optimizers_fresh_from_compact_copy:
        gan._optimizers_fresh_from_compact_copy = False
        warnings.warn("this model was loaded from a compact copy, which keeps no optimizer state: training "
                      "goes on with fresh Adam moments, not as the original run would have. Train from a full "
                      "checkpoint (gan.save without compact) to continue exactly.", stacklevel=3)
    return steps
