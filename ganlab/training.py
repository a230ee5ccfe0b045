"""GAN: the one training loop of the series, for any generator/discriminator pair.

    gan = GAN(generator, discriminator, loss="non-saturating")
    history = gan.fit(data, steps=2000)       # or seconds=60, or epochs=5; tqdm bar, Ctrl-C safe
    images = gan.sample(16)
    gan.save("checkpoints/mine.pt"); gan = GAN.load("checkpoints/mine.pt")

One *step* is n_critic discriminator (critic) updates followed by one generator
update. Each update draws a fresh real batch by indexing the data tensor (it
stays on the device) and fresh noise z ~ N(0, I) from the trainer's own random
generator; G's update learns from the fake batch D's last update just judged
(unless fresh_noise_for_g), as the PyTorch DCGAN tutorial does. Dropout inside the
models draws from a random stream the trainer keeps too, so a saved run resumes
bit for bit and training never disturbs torch's global random state.

Every GAN variant in the series is a small delta on this loop: a loss from
ganlab.losses (with its clipping or gradient penalty), n_critic, a packed
discriminator (PacGAN: D judges `pack` samples at once, set on the model), or a
subclass that changes one step (ganlab.unrolled.UnrolledGAN).
"""
import contextlib
import dataclasses
import math
import time

import torch
from torch import nn

from . import checkpoints as _checkpoints
from . import checks as _checks
from . import ema as _ema
from . import losses as _losses
from .augment import random_shift  # noqa: F401  (ganlab.training.random_shift, as before)
from .callbacks import LrSchedule, Progress, finish_the_step_on_interrupt, linear_decay  # noqa: F401
from .checkpoints import CheckpointError  # noqa: F401  (raised by GAN.load)
from .data import training_tensor
from .runtime import Streams, computing, fast_bfloat16, own_streams, resolve_device
from .settings import Settings

HISTORY_KEYS = ("step", "d_loss", "g_loss", "d_real", "d_fake", "time")


def recent_means(history, n=1000):
    """Each history number (d_loss, g_loss, d_real, d_fake) averaged over the last n steps.

    Counted in steps, not entries: a shipped reference model keeps only every k-th step."""
    if not history["step"]:
        raise ValueError("the history is empty: train first (gan.fit)")
    last = history["step"][-1]
    keep = max(1, sum(step > last - n for step in history["step"]))
    return {k: sum(history[k][-keep:]) / keep for k in ("d_loss", "g_loss", "d_real", "d_fake")}


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite; the models keep their last good weights."""


def _optimizer(name, params, lr, betas, device):
    if name == "adam":
        # the fused kernel updates every tensor in one call: on a 2-core CPU it takes the
        # MLP generator's Adam step from about 0.46 ms to 0.19 ms (same arithmetic).
        # PyTorch has it on CUDA and, since 2.4, on the CPU.
        fused = device.type == "cuda" or (device.type == "cpu" and _torch_at_least(2, 4))
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose adam, rmsprop or sgd")


def _torch_at_least(major, minor):
    got = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2])
    return got >= (major, minor)


def _setting(name):
    """gan.NAME reads and writes gan.settings.NAME, so what is saved is what trains."""
    return property(lambda self: getattr(self.settings, name), lambda self, v: setattr(self.settings, name, v))


class GAN:
    """A generator, a discriminator, their optimizers, a loss and a history.

    generator:      nn.Module, z (B, latent_dim) -> samples (B, ...)
    discriminator:  nn.Module, samples (B, ...) -> raw scores (B, 1), no final sigmoid
    device, seed:   where it trains; the seed of the trainer's noise, batch draws and dropout
                    (None: from torch's global RNG)
    loss and **settings: see GAN.Settings (e.g. lr=2e-4, n_critic=5, ema=0.999), kept in
                    gan.settings and saved with the model.
    A subclass (class MyGAN(GAN)) is known to GAN.load by its name once it is defined.
    """

    Settings = Settings
    kinds = {}                       # class name -> class, filled by subclassing; GAN.load reads it

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        GAN.kinds[cls.__name__] = cls

    def __init__(self, generator, discriminator, loss="non-saturating", device=None, seed=None, **settings):
        if not isinstance(generator, nn.Module) or not isinstance(discriminator, nn.Module):
            raise TypeError("generator and discriminator must be torch.nn.Module objects")
        fields = {f.name for f in dataclasses.fields(self.Settings)}
        unknown = sorted(set(settings) - fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no setting {', '.join(map(repr, unknown))}; "
                            f"its settings are {', '.join(sorted(fields))}")
        s = self.Settings(loss=loss, **settings)
        if s.latent_dim is None:
            s.latent_dim = getattr(generator, "latent_dim", None)
        if s.latent_dim is None:
            raise ValueError("pass latent_dim=... (the length of the noise vector z your generator takes)")
        self.loss = _losses.get(s.loss)
        _checks.no_final_sigmoid(discriminator)
        if s.clip_value is not None:
            self.loss.clip_value = s.clip_value
        if s.penalty_weight is not None:
            self.loss.penalty_weight = s.penalty_weight
        s.loss, s.clip_value, s.penalty_weight = self.loss.name, self.loss.clip_value, self.loss.penalty_weight
        self.settings = s
        self.device = resolve_device(device)
        self.autocast = s.autocast
        if s.autocast == "auto":
            self.autocast = "bfloat16" if fast_bfloat16(self.device) else None
        convolutional = any(isinstance(m, nn.modules.conv._ConvNd)
                            for net in (generator, discriminator) for m in net.modules())
        self.channels_last = (convolutional and self.device.type == "cpu") if s.channels_last is None \
            else bool(s.channels_last)
        layout = dict(memory_format=torch.channels_last) if self.channels_last else {}
        self.generator = generator.to(self.device, **layout)
        self.discriminator = discriminator.to(self.device, **layout)
        self.pack = getattr(discriminator, "pack", 1)
        self._packs_itself = any(getattr(m, "packs_itself", False) for m in discriminator.modules())
        self.ema_generator = _ema.averaged_copy(self.generator) if s.ema is not None else None
        self.d_optimizer = _optimizer(s.optimizer, self.discriminator.parameters(), s.d_lr or s.lr, s.betas,
                                      self.device)
        self.g_optimizer = _optimizer(s.optimizer, self.generator.parameters(), s.g_lr or s.lr, s.betas, self.device)
        # D judges real and fake batches in one pass (one matmul per layer instead of two)
        # unless a layer mixes samples across the batch (batch norm, minibatch std): then
        # the batches stay separate, so each is normalised or summarised on its own, as in DCGAN
        self.joint_d_pass = not any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                                    or getattr(m, "mixes_batch", False)
                                    for m in self.discriminator.modules())
        if seed is None:
            seed = int(torch.randint(2**62, (1,)).item())
        self.seed = int(seed)
        self.rng = torch.Generator(device=self.device).manual_seed(self.seed)
        self.streams = Streams(self.seed, self.device)     # dropout's stream, as training left it
        self.step = 0
        self.elapsed = 0.0
        self.history = {k: [] for k in HISTORY_KEYS}
        self.extras = {}      # anything a notebook wants saved with the model (tensors, numbers, lists)
        self.interrupted = False
        self.provenance = None     # where a shipped reference model was trained (set by GAN.load)
        self._optimizers_fresh_from_compact_copy = False       # set by load; fit warns once

    # the settings, read as attributes (gan.n_critic, gan.ema, ...) and as the dict checkpoints keep
    latent_dim, n_critic, ema = _setting("latent_dim"), _setting("n_critic"), _setting("ema")
    batch_size, augment, fresh_noise_for_g = _setting("batch_size"), _setting("augment"), _setting("fresh_noise_for_g")
    config = property(lambda self: dataclasses.asdict(self.settings))

    # ------------------------------------------------------------ sampling

    def noise(self, n, seed=None):
        """z ~ N(0, I), shape (n, latent_dim); a seed gives the same z every time."""
        gen = self.rng if seed is None else torch.Generator(device=self.device).manual_seed(seed)
        return torch.randn(n, self.latent_dim, device=self.device, generator=gen)

    @torch.no_grad()
    def sample(self, n=64, z=None, seed=None, ema=True):
        """n generated samples (or one per row of z), in eval mode, on the device.

        With an ema decay set, samples come from the averaged generator unless ema=False.
        """
        if z is None:
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"n is how many samples to draw, a whole number 0 or more; got {n!r}")
            z = self.noise(n, seed=seed)
        elif not isinstance(z, torch.Tensor):
            z = torch.as_tensor(z, dtype=torch.float32)           # a NumPy array or a list
        if z.dtype != torch.float32:
            z = z.float()
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {tuple(z.shape)}")
        net = self.ema_generator if (ema and self.ema_generator is not None) else self.generator
        was_training = net.training
        net.eval()
        try:
            return net(z.to(self.device)).contiguous()
        finally:
            net.train(was_training)

    def score(self, x, weights=None):
        """The discriminator's raw scores for samples x, as (B', 1); packs x when D is packed.

        weights: a {name: tensor} dict to use instead of D's own (for look-ahead steps).
        """
        if self.pack > 1 and not self._packs_itself:       # a discriminator of your own with .pack set
            if x.shape[0] % self.pack:
                raise ValueError(f"batch of {x.shape[0]} is not a multiple of the discriminator's pack={self.pack}")
            x = x.reshape(x.shape[0] // self.pack, self.pack * x.shape[1], *x.shape[2:])
        if weights is None:
            s = self.discriminator(x)
        else:
            s = torch.func.functional_call(self.discriminator, weights, (x,))
        return s.float().reshape(-1, 1)         # losses in float32, also under bfloat16 autocast

    # ------------------------------------------------------------ training

    def _fail(self, what, value):
        raise TrainingDiverged(
            f"training stopped at step {self.step + 1}: the {what} is {value}. The models keep "
            f"their weights from before this update and the history is kept. Usual causes: a "
            f"learning rate too high (try a tenth of it), a Wasserstein loss without weight "
            f"clipping or gradient penalty, data not scaled to the generator's output range "
            f"(ganlab.data.mnist gives [-1, 1] for a tanh generator), or log(0) in a hand-written loss.")

    def _seen_by_d(self, x):
        """What D is shown during training: x, randomly shifted when augment is on."""
        return random_shift(x, self.augment, self.rng) if self.augment else x

    def d_update(self, real, fake):
        """One discriminator (critic) update on a real and a (detached) fake batch; returns
        (D's loss with any gradient penalty, and the loss's report of D's scores on the real
        and on the fake batch, as the history keeps them). train_step() calls it; it can also
        train D alone against fakes of your own (collapse.discriminator_alone does)."""
        real, fake = self._seen_by_d(real), self._seen_by_d(fake)
        if self.joint_d_pass:
            scores = self.score(torch.cat([real, fake]))
            real_scores, fake_scores = scores.split(scores.shape[0] // 2)
        else:
            real_scores, fake_scores = self.score(real), self.score(fake)
        d_loss, _ = self.loss.d_loss(real_scores, fake_scores)
        if self.loss.penalty_weight:
            penalty = _losses.gradient_penalty(self.score, real, fake, generator=self.rng)
            d_loss = d_loss + self.loss.penalty_weight * penalty
        with torch.no_grad():      # one device sync for the three numbers the history keeps
            value, d_real, d_fake = torch.stack([d_loss, self.loss.report(real_scores),
                                                 self.loss.report(fake_scores)]).tolist()
        if not math.isfinite(value):
            self._fail("discriminator loss", value)
        self.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_optimizer.step()
        if self.loss.clip_value is not None:
            with torch.no_grad():
                params = list(self.discriminator.parameters())
                torch._foreach_clamp_min_(params, -self.loss.clip_value)
                torch._foreach_clamp_max_(params, self.loss.clip_value)
        return value, d_real, d_fake

    def sample_train(self, n):
        """Generated samples in training mode, with gradients (used by the loop)."""
        return self.generator(self.noise(n))

    def generator_scores(self, fake, real_batches):
        """D's scores of G's fake batch for G's update; a subclass may judge with another D."""
        self.discriminator.requires_grad_(False)       # no gradients for D's weights here
        try:
            return self.score(self._seen_by_d(fake))
        finally:
            self.discriminator.requires_grad_(True)

    def generator_loss(self, fake, real_batches):
        """The loss G descends for its batch `fake`; a subclass may add to it."""
        return self.loss.g_loss(self.generator_scores(fake, real_batches))

    def g_update(self, fake, real_batches=None):
        """One generator update through D's scores of `fake` (made by G, with gradients);
        returns G's loss."""
        g_loss = self.generator_loss(fake, real_batches)
        value = g_loss.item()
        if not math.isfinite(value):
            self._fail("generator loss", value)
        self.g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_optimizer.step()
        if self.ema_generator is not None:
            _ema.update(self.ema_generator, self.generator, self.ema, self.step)
        return value

    def train_step(self, real_batches, batch_size, n_critic=None, update="both"):
        """One step: n_critic D updates then one G update. update: "both", "d" or "g".

        real_batches() returns a fresh real batch each time it is called.
        Returns the step's history record (a dict).
        """
        if update not in ("both", "d", "g"):
            raise ValueError(f"update must be 'both', 'd' or 'g', got {update!r}")
        start = time.perf_counter()
        self.generator.train(), self.discriminator.train()
        n_critic = n_critic or self.n_critic
        d_loss = d_real = d_fake = g_loss = float("nan")
        fake = None
        precision = (torch.autocast(self.device.type, dtype=torch.bfloat16) if self.autocast == "bfloat16"
                     else contextlib.nullcontext())
        with self._own_random_stream(), precision:       # dropout draws from the trainer's stream
            if update in ("both", "d"):
                for i in range(n_critic):
                    if update == "both" and i == n_critic - 1 and not self.fresh_noise_for_g:
                        # the last critic update and G's update share one generated batch: D learns
                        # on it detached, then G learns from how the updated D scores it (one pass
                        # through G per step instead of two)
                        fake = self.sample_train(batch_size)
                        d_loss, d_real, d_fake = self.d_update(real_batches(), fake.detach())
                    else:
                        with torch.no_grad():
                            critic_fake = self.sample_train(batch_size)
                        d_loss, d_real, d_fake = self.d_update(real_batches(), critic_fake)
            if update in ("both", "g"):
                g_loss = self.g_update(fake if fake is not None else self.sample_train(batch_size), real_batches)
            if update == "g":  # still report how D sees things, without updating it
                with torch.no_grad():
                    rs, fs = self.score(real_batches()), self.score(self.sample_train(batch_size))
                    d_loss = self.loss.d_loss(rs, fs)[0].item()
                    d_real, d_fake = self.loss.report(rs).item(), self.loss.report(fs).item()
            if update == "d":
                with torch.no_grad():
                    g_loss = self.loss.g_loss(self.score(self.sample_train(batch_size))).item()
        self.step += 1
        self.elapsed += time.perf_counter() - start
        record = dict(step=self.step, d_loss=d_loss, g_loss=g_loss, d_real=d_real,
                      d_fake=d_fake, time=self.elapsed)
        for k in HISTORY_KEYS:
            self.history[k].append(record[k])
        return record

    def _own_random_stream(self):
        """torch's global streams swapped for the trainer's own while it trains (dropout draws from them)."""
        return self.streams.swapped_in()

    dropout_rng = property(lambda self: self.streams.state,
                           lambda self, state: setattr(self.streams, "state", state))

    def batches(self, data, batch_size):
        """A function returning a fresh random batch of `data` (a tensor or a sampler)."""
        data = training_tensor(data, self.device)
        if not isinstance(data, torch.Tensor):
            return lambda: data(batch_size).to(self.device)
        if batch_size % self.pack:
            raise ValueError(f"batch_size {batch_size} must be a multiple of the discriminator's pack={self.pack}")
        n = data.shape[0]
        return lambda: data[torch.randint(n, (batch_size,), device=self.device, generator=self.rng)]

    def fit(self, data, steps=None, epochs=None, seconds=None, batch_size=None, callback=None, every=None,
            progress=True, n_critic=None, lr_schedule=None):
        """Train; returns the history (dict of lists, one entry per step, keys HISTORY_KEYS).

        data:      a tensor (N, ...) on any device, a Dataset or DataLoader (read once),
                   or a function n -> n real samples
        steps:     generator updates to make; or epochs: passes over N samples;
        seconds:   or a time budget: stop once this much training time has passed in this
                   call (with steps too, whichever comes first). A fast machine does more
                   steps in the same seconds.
        callback:  called as callback(gan) every `every` steps and after the last
        progress:  show a tqdm progress bar (in seconds, with time left, for a time budget)
        lr_schedule: a function of the progress through this call (0 to 1, by steps or
                   by seconds, whichever is further) giving the factor for both learning
                   rates, e.g. linear_decay; the rates are restored when fit returns
        A kernel interrupt (Ctrl-C, the stop button) ends training cleanly after the
        step under way: the models and history are kept, gan.interrupted is set, and
        fit can be called again to continue. Resuming is exact: fit split into any
        number of calls, with save and load between them, gives the same weights as
        one call with the same steps (on one kind of device; a second stop press,
        which stops at once, or a callback that changes the models, is not covered).
        """
        batch_size = batch_size or self.batch_size
        data = training_tensor(data, self.device)
        steps = _checks.budget(self, data, steps, epochs, seconds, batch_size)
        draw = self.batches(data, batch_size)
        _checks.shapes(self, self._a_few(data))      # not drawn from the trainer's stream: resuming stays exact
        first, started, self.interrupted = self.step, time.perf_counter(), False
        stop_at = math.inf if steps is None else first + int(steps)
        every = every or (max(1, int(steps) // 10) if steps is not None else 100)
        bar, lrs, called_at = Progress(self.loss.name, steps, seconds, progress), \
            LrSchedule(lr_schedule, self.d_optimizer, self.g_optimizer), first
        try:
            with self._own_random_stream(), finish_the_step_on_interrupt() as pressed:
                while self.step < stop_at:
                    now = time.perf_counter() - started
                    if seconds is not None and now > seconds:
                        break
                    lrs.before_step(max((self.step - first) / steps if steps else 0.0,
                                        now / seconds if seconds else 0.0))
                    bar.after_step(self.train_step(draw, batch_size, n_critic), now)
                    if callback is not None and ((self.step - first) % every == 0 or self.step == stop_at):
                        callback(self)
                        called_at = self.step
                    if pressed:
                        raise KeyboardInterrupt
                if callback is not None and called_at != self.step:     # stopped by the time budget
                    callback(self)
        except KeyboardInterrupt:
            self.interrupted = True
            print(f"Training interrupted at step {self.step}: the models and the history are kept. "
                  f"Call fit() again to continue.")
            if computing():           # inside a comparison: stop all of it, not just this run
                raise
        finally:
            bar.close()
            lrs.restore()
        return self.history

    def _a_few(self, data):
        """2 * pack real samples for the shape check, without touching the trainer's random stream."""
        if isinstance(data, torch.Tensor):
            return data[:2 * self.pack].to(self.device)
        with own_streams():
            return data(2 * self.pack).to(self.device)      # a sampler may hand back CPU samples

    # ------------------------------------------------------------ saving (see ganlab.checkpoints)

    def state(self):
        """Everything needed to resume exactly, as plain tensors and numbers."""
        return _checkpoints.state(self)

    def save(self, path, compact=False):
        """Save to `path` (written to a temporary file first, so a crash never leaves half a file).

        compact=True keeps a small copy to share (half precision, no optimizer state)."""
        return _checkpoints.save(self, path, compact=compact)

    @classmethod
    def load(cls, path, generator=None, discriminator=None, device=None):
        """Load a GAN saved by save(); resumes exactly (models, optimizers, step, random streams).

        Models built with ganlab.models are rebuilt from the file; for your own
        nn.Module classes, pass fresh instances as generator= and discriminator=.
        The file is read with weights_only=True, so it cannot run code. A model
        trained on a GPU loads on a CPU and back.
        """
        return _checkpoints.load(path, generator, discriminator, device, kinds=dict(GAN.kinds, GAN=GAN), asked=cls)

    def __repr__(self):
        return (f"{type(self).__name__}(loss={self.loss!r}, latent_dim={self.latent_dim}, n_critic={self.n_critic}, "
                f"step={self.step}, device={self.device})")

