"""GAN.Settings: what a GAN is besides its two networks, and exactly what its checkpoint stores.

    gan = ganlab.GAN(G, D, lr=1e-3, n_critic=5)   # the settings as keywords
    gan.settings                                   # Settings(loss='non-saturating', lr=0.001, ...)

Each setting is checked here once, with a sentence saying what a good value looks like.
"""
import dataclasses
import math
import warnings

from . import losses as _losses
from .checks import outside_ganlab


@dataclasses.dataclass
class Settings:
    """What a GAN is besides its two networks: exactly what a checkpoint stores (gan.settings).

    loss:           a name from ganlab.losses.names() or a Loss
    latent_dim:     taken from generator.latent_dim when the builder set it
    lr, d_lr, g_lr: learning rates (d_lr / g_lr override lr for one side)
    betas:          Adam's betas; beta1 = 0.5 is DCGAN's choice (0.9 often oscillates)
    optimizer:      "adam", "rmsprop" (the WGAN paper's choice) or "sgd"
    n_critic:       discriminator updates per generator update
    clip_value, penalty_weight: override the loss's weight clipping / gradient penalty
    batch_size:     fit()'s batch size unless fit is given one
    fresh_noise_for_g: G's update draws new noise instead of learning from the fake batch D
                    just judged (one more generator pass per step; the case study does this)
    augment:        shift every image D sees, real and generated, by up to this many
                    pixels (ganlab.augment): on a small data set it keeps D from memorising
    ema:            keep an exponential moving average of G's weights with this decay
                    (e.g. 0.999) and sample from it (ganlab.ema)
    channels_last:  store convolution weights and activations pixel by pixel, all channels
                    of a pixel together (None: on for convolutional models on a CPU, where
                    oneDNN's kernels prefer it; the same arithmetic in another order)
    autocast:       "bfloat16" runs training's convolutions and matrix products in bfloat16
                    (weights, optimizer and losses stay float32; sampling stays float32);
                    "auto": bfloat16 where the device has it natively (runtime.fast_bfloat16),
                    saved as "auto" so the model decides again wherever it is loaded.
                    None (the default) trains in float32.

    A subclass with settings of its own declares them in a Settings subclass (see
    UnrolledGAN). Renaming or removing a field needs a migration in ganlab.checkpoints."""
    loss: str = "non-saturating"
    latent_dim: int = None
    lr: float = 2e-4
    d_lr: float = None
    g_lr: float = None
    betas: tuple = (0.5, 0.999)
    optimizer: str = "adam"
    n_critic: int = 1
    clip_value: float = None
    penalty_weight: float = None
    ema: float = None
    batch_size: int = 64
    augment: int = 0
    fresh_noise_for_g: bool = False
    channels_last: bool = None
    autocast: str = None                      # None (float32), "bfloat16" or "auto" (kept unresolved)

    def __post_init__(self):
        for name in ("lr", "d_lr", "g_lr"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, (bool, str)) or not isinstance(value, (int, float))
                                      or not 0 < value < math.inf):
                raise ValueError(f"{name} must be a positive number such as 2e-4, got {value!r}")
            if value is not None and value > 0.1:
                warnings.warn(f"{name}={value} is far above the learning rates GANs train with (1e-4 to 1e-3 with "
                              f"Adam): each update overshoots, and training usually diverges or stalls with D's "
                              f"loss at 0. Try 2e-4.", stacklevel=outside_ganlab())
        if isinstance(self.betas, (int, float, str)) or len(tuple(self.betas)) != 2:
            raise ValueError(f"betas is Adam's pair (beta1, beta2), e.g. betas=(0.5, 0.999); got {self.betas!r}")
        self.betas = tuple(float(b) for b in self.betas)
        if int(self.n_critic) < 1:
            raise ValueError(f"n_critic must be at least 1, got {self.n_critic}")
        self.n_critic = int(self.n_critic)
        if self.ema is not None and not 0 < self.ema < 1:
            raise ValueError(f"ema is a decay between 0 and 1 (typically 0.999), got {self.ema}")
        if self.autocast not in (None, "bfloat16", "auto"):
            raise ValueError(f"autocast is None (float32), \"bfloat16\" or \"auto\", got {self.autocast!r}")
        if isinstance(self.batch_size, bool) or int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ValueError(f"batch_size must be a whole number of samples, 1 or more; got {self.batch_size!r}")
        self.batch_size, self.augment, self.fresh_noise_for_g = int(self.batch_size), int(self.augment), \
            bool(self.fresh_noise_for_g)

    @classmethod
    def from_keywords(cls, owner, generator, loss, keywords):
        """The settings of a GAN being built (its class's name `owner`) from its keywords:
        an unknown keyword is refused naming every known one; latent_dim defaults to G's."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(keywords) - fields)
        if unknown:
            raise TypeError(f"{owner} has no setting {', '.join(map(repr, unknown))}; "
                            f"its settings are {', '.join(sorted(fields))}")
        s = cls(loss=loss, **keywords)
        if s.latent_dim is None:
            s.latent_dim = getattr(generator, "latent_dim", None)
        if s.latent_dim is None:
            raise ValueError("pass latent_dim=... (the length of the noise vector z your generator takes)")
        return s

    def make_loss(self):
        """The Loss these settings name, with their clipping or penalty weight; the settings then
        record the loss's own name and values, so a checkpoint stores what trained."""
        loss = _losses.get(self.loss)
        if self.clip_value is not None:
            loss.clip_value = self.clip_value
        if self.penalty_weight is not None:
            loss.penalty_weight = self.penalty_weight
        self.loss, self.clip_value, self.penalty_weight = loss.name, loss.clip_value, loss.penalty_weight
        return loss
