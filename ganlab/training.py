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

This file holds only the loop. Beside it, one small module each: settings (what a
GAN is and a checkpoint stores), checks (the friendly errors at fit's door),
placement (device choices: fused Adam, channels_last, autocast), batching (real
batches), callbacks (the progress bar, lr schedules, every-k-steps calls), ema,
augment, history, and checkpoints (save, load and the registry of GAN kinds).
"""
import dataclasses
import math
import time

import torch
from torch import nn

from . import batching as _batching
from . import checkpoints as _checkpoints
from . import checks as _checks
from . import ema as _ema
from . import history as _history
from . import losses as _losses
from . import models as _models
from . import placement as _placement
from .augment import random_shift  # noqa: F401  (ganlab.training.random_shift, as before)
from .callbacks import Every, LrSchedule, Progress, finish_the_step_on_interrupt, linear_decay  # noqa: F401
from .checkpoints import CheckpointError  # noqa: F401  (raised by GAN.load)
from .checks import TrainingDiverged  # noqa: F401  (raised by fit)
from .data import training_tensor
from .history import KEYS as HISTORY_KEYS, recent_means  # noqa: F401  (ganlab.training.recent_means, as before)
from .placement import optimizer as _optimizer  # noqa: F401  (moment_matching trains with the same Adam)
from .runtime import Streams, computing, resolve_device
from .settings import Settings


def _setting(name):
    """gan.NAME reads and writes gan.settings.NAME, so what is saved is what trains."""
    return property(lambda self: getattr(self.settings, name), lambda self, v: setattr(self.settings, name, v))


class GAN(_checkpoints.Saved):
    """A generator, a discriminator, their optimizers, a loss and a history.

    generator:      nn.Module, z (B, latent_dim) -> samples (B, ...)
    discriminator:  nn.Module, samples (B, ...) -> raw scores (B, 1), no final sigmoid
    device, seed:   where it trains; the seed of the trainer's noise, batch draws and dropout
                    (None: from torch's global RNG)
    loss and **settings: see GAN.Settings (e.g. lr=2e-4, n_critic=5, ema=0.999), kept in
                    gan.settings and saved with the model.
    Saving and loading (gan.save, GAN.load, gan.state) come from ganlab.checkpoints.Saved; a
    subclass (class MyGAN(GAN)) is known to GAN.load by its name once it is defined.
    """

    Settings = Settings

    def __init__(self, generator, discriminator, loss="non-saturating", device=None, seed=None, **settings):
        if not isinstance(generator, nn.Module) or not isinstance(discriminator, nn.Module):
            raise TypeError("generator and discriminator must be torch.nn.Module objects")
        self.settings = s = self.Settings.from_keywords(type(self).__name__, generator, loss, settings)
        self.loss = s.make_loss()
        _checks.no_final_sigmoid(discriminator)
        self.device = resolve_device(device)
        self.autocast = _placement.autocast(s.autocast, self.device)          # "auto" stays in the settings
        self.channels_last = _placement.channels_last(s.channels_last, self.device, generator, discriminator)
        layout = dict(memory_format=torch.channels_last) if self.channels_last else {}
        self.generator = generator.to(self.device, **layout)
        self.discriminator = discriminator.to(self.device, **layout)
        self.pack = getattr(discriminator, "pack", 1)
        self._packs_itself = _models.packs_itself(discriminator)
        self.ema_generator = _ema.averaged_copy(self.generator) if s.ema is not None else None
        self.d_optimizer, self.g_optimizer = _placement.optimizers(s, self.discriminator, self.generator, self.device)
        # D judges real and fake batches in one pass (one matmul per layer instead of two)
        # unless a layer mixes samples across the batch (models.mixes_batch)
        self.joint_d_pass = not _models.mixes_batch(self.discriminator)
        if seed is None:
            seed = int(torch.randint(2**62, (1,)).item())
        self.seed = int(seed)
        self.rng = torch.Generator(device=self.device).manual_seed(self.seed)
        self.streams = Streams(self.seed, self.device)     # dropout's stream, as training left it
        self.step = 0
        self.elapsed = 0.0
        self.history = _history.empty()
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
        z = self.noise(_checks.sample_count(n), seed=seed) if z is None else _checks.noise_rows(z, self.latent_dim)
        net = self.ema_generator if (ema and self.ema_generator is not None) else self.generator
        with _models.eval_mode(net):
            return net(z.to(self.device)).contiguous()

    def score(self, x, weights=None):
        """The discriminator's raw scores for samples x, as (B', 1); packs x when D is packed.

        weights: a {name: tensor} dict to use instead of D's own (for look-ahead steps).
        """
        if self.pack > 1 and not self._packs_itself:       # a discriminator of your own with .pack set
            x = _models.pack_rows(x, self.pack)
        if weights is None:
            s = self.discriminator(x)
        else:
            s = torch.func.functional_call(self.discriminator, weights, (x,))
        return s.float().reshape(-1, 1)         # losses in float32, also under bfloat16 autocast

    # ------------------------------------------------------------ training

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
        _checks.finite(value, "discriminator loss", self.step + 1)
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
        value = _checks.finite(g_loss.item(), "generator loss", self.step + 1)
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
        # dropout draws from the trainer's stream; autocast="bfloat16" runs the step in bfloat16
        with self._own_random_stream(), _placement.precision(self.autocast, self.device):
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
        _history.append(self.history, record)
        return record

    def _own_random_stream(self):
        """torch's global streams swapped for the trainer's own while it trains (dropout draws from them)."""
        return self.streams.swapped_in()

    dropout_rng = property(lambda self: self.streams.state,
                           lambda self, state: setattr(self.streams, "state", state))

    def batches(self, data, batch_size):
        """A function returning a fresh random batch of `data` (a tensor or a sampler)."""
        return _batching.drawer(training_tensor(data, self.device), batch_size, self.pack, self.device, self.rng)

    def fit(self, data, steps=None, epochs=None, seconds=None, batch_size=None, callback=None, every=None,
            progress=True, n_critic=None, lr_schedule=None, callbacks=()):
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
        callbacks: ganlab.callbacks.Callback objects, run around every step
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
        _checks.shapes(self, _batching.a_few(data, 2 * self.pack, self.device))   # the trainer's streams untouched
        hooks = [Progress(self.loss.name, steps, seconds, progress)] + \
            ([LrSchedule(lr_schedule)] if lr_schedule is not None else []) + \
            ([Every(callback, every)] if callback is not None else []) + list(callbacks)
        first, started, self.interrupted = self.step, time.perf_counter(), False
        stop_at = math.inf if steps is None else first + int(steps)
        for hook in hooks:
            hook.start(self, steps)
        try:
            with self._own_random_stream(), finish_the_step_on_interrupt() as pressed:
                while self.step < stop_at:
                    now = time.perf_counter() - started
                    if seconds is not None and now > seconds:
                        break
                    done = max((self.step - first) / steps if steps else 0.0, now / seconds if seconds else 0.0)
                    for hook in hooks:
                        hook.before_step(self, done)
                    record = self.train_step(draw, batch_size, n_critic)
                    for hook in hooks:
                        hook.after_step(self, record)
                    if pressed:
                        raise KeyboardInterrupt
                for hook in hooks:
                    hook.finished(self)
        except KeyboardInterrupt:
            self.interrupted = True
            print(f"Training interrupted at step {self.step}: the models and the history are kept. "
                  f"Call fit() again to continue.")
            if computing():           # inside a comparison: stop all of it, not just this run
                raise
        finally:
            for hook in hooks:
                hook.close(self)
        return self.history

    def __repr__(self):
        return (f"{type(self).__name__}(loss={self.loss!r}, latent_dim={self.latent_dim}, n_critic={self.n_critic}, "
                f"step={self.step}, device={self.device})")

