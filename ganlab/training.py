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
import copy
import math
import signal
import threading
import time

import torch
from torch import nn
from tqdm.auto import tqdm

from . import checkpoints as _checkpoints
from . import losses as _losses
from .checkpoints import CheckpointError  # noqa: F401  (raised by GAN.load)
from .data import training_tensor
from .runtime import computing, own_streams, resolve_device

HISTORY_KEYS = ("step", "d_loss", "g_loss", "d_real", "d_fake", "time")


def recent_means(history, n=1000):
    """Each history number (d_loss, g_loss, d_real, d_fake) averaged over the last n steps.

    Counted in steps, not entries: a shipped reference model keeps only every k-th step."""
    if not history["step"]:
        raise ValueError("the history is empty: train first (gan.fit)")
    last = history["step"][-1]
    keep = max(1, sum(step > last - n for step in history["step"]))
    return {k: sum(history[k][-keep:]) / keep for k in ("d_loss", "g_loss", "d_real", "d_fake")}


def linear_decay(progress):
    """A learning-rate schedule for fit(lr_schedule=...): the factor 1 - progress, from 1 down to 0."""
    return 1.0 - progress


@contextlib.contextmanager
def _finish_the_step_on_interrupt():
    """While fit runs, Ctrl-C (SIGINT, the notebook's stop button) lets the step under way
    finish and then stops: a step is never half applied. A second press stops at once."""
    pressed = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return

    def press(signum, frame):
        if pressed:
            raise KeyboardInterrupt
        pressed.append(signum)

    before = signal.signal(signal.SIGINT, press)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, before if before is not None else signal.default_int_handler)


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


def _last_layer(module):
    leaves = [m for m in module.modules() if not list(m.children())]
    real = [m for m in leaves if not isinstance(m, (nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout))]
    return real[-1] if real else None


class GAN:
    """A generator, a discriminator, their optimizers, a loss and a history.

    generator:      nn.Module, z (B, latent_dim) -> samples (B, ...)
    discriminator:  nn.Module, samples (B, ...) -> raw scores (B, 1), no final sigmoid
    loss:           a name from ganlab.losses.names() or a Loss
    latent_dim:     taken from generator.latent_dim when the builder set it
    lr, d_lr, g_lr: learning rates (d_lr / g_lr override lr for one side)
    betas:          Adam's betas; beta1 = 0.5 is DCGAN's choice (0.9 often oscillates)
    optimizer:      "adam", "rmsprop" (the WGAN paper's choice) or "sgd"
    n_critic:       discriminator updates per generator update
    clip_value, penalty_weight: override the loss's weight clipping / gradient penalty
    seed:           seeds the trainer's noise, batch draws and dropout (None: from torch's global RNG)
    batch_size:     fit()'s batch size unless fit is given one
    fresh_noise_for_g: G's update draws new noise instead of learning from the fake batch D
                    just judged (one more generator pass per step; the case study does this)
    augment:        shift every image D sees, real and generated, by up to this many
                    pixels (differentiable augmentation, Zhao et al. 2020): on a small
                    data set it keeps D from memorising the training images
    ema:            keep an exponential moving average of G's weights with this decay
                    (e.g. 0.999) and sample from it: it smooths out the step-to-step
                    wobble of the adversarial game (Yazici et al., 2019)
    channels_last:  store convolution weights and activations pixel by pixel, all channels
                    of a pixel together (None: on for convolutional models on a CPU, where
                    oneDNN's kernels prefer it; the same arithmetic in another order)
    autocast:       "bfloat16" runs training's convolutions and matrix products in bfloat16
                    (weights, optimizer and losses stay float32; sampling stays float32).
                    None (the default) trains in float32. runtime.fast_bfloat16(device)
                    says whether this machine has native bfloat16 arithmetic.
    """

    def __init__(self, generator, discriminator, loss="non-saturating", latent_dim=None,
                 lr=2e-4, d_lr=None, g_lr=None, betas=(0.5, 0.999), optimizer="adam",
                 n_critic=1, clip_value=None, penalty_weight=None, device=None, seed=None, ema=None,
                 batch_size=64, augment=0, fresh_noise_for_g=False, channels_last=None, autocast=None):
        if not isinstance(generator, nn.Module) or not isinstance(discriminator, nn.Module):
            raise TypeError("generator and discriminator must be torch.nn.Module objects")
        self.latent_dim = latent_dim if latent_dim is not None else getattr(generator, "latent_dim", None)
        if self.latent_dim is None:
            raise ValueError("pass latent_dim=... (the length of the noise vector z your generator takes)")
        if int(n_critic) < 1:
            raise ValueError(f"n_critic must be at least 1, got {n_critic}")
        self.loss = _losses.get(loss)
        if isinstance(_last_layer(discriminator), nn.Sigmoid):
            raise ValueError(
                "the discriminator ends in nn.Sigmoid (as the PyTorch DCGAN tutorial's does). ganlab's losses "
                "take raw scores and apply the sigmoid themselves (log-sigmoid stays exact where log(sigmoid) "
                "rounds to -inf), and a Wasserstein critic must not be squashed at all: remove the last "
                "nn.Sigmoid(), e.g. D = nn.Sequential(*list(D.children())[:-1]).")
        if clip_value is not None:
            self.loss.clip_value = clip_value
        if penalty_weight is not None:
            self.loss.penalty_weight = penalty_weight
        self.device = resolve_device(device)
        if autocast not in (None, "bfloat16"):
            raise ValueError(f"autocast is None (float32) or \"bfloat16\", got {autocast!r}")
        self.autocast = autocast
        convolutional = any(isinstance(m, nn.modules.conv._ConvNd)
                            for net in (generator, discriminator) for m in net.modules())
        on_by_default = convolutional and self.device.type == "cpu"
        self.channels_last = on_by_default if channels_last is None else bool(channels_last)
        layout = dict(memory_format=torch.channels_last) if self.channels_last else {}
        self.generator = generator.to(self.device, **layout)
        self.discriminator = discriminator.to(self.device, **layout)
        self.pack = getattr(discriminator, "pack", 1)
        self.n_critic = int(n_critic)
        if ema is not None and not 0 < ema < 1:
            raise ValueError(f"ema is a decay between 0 and 1 (typically 0.999), got {ema}")
        self.ema = ema
        self.batch_size = int(batch_size)
        self.augment = int(augment)
        self.fresh_noise_for_g = bool(fresh_noise_for_g)
        self.ema_generator = None
        if ema is not None:
            self.ema_generator = copy.deepcopy(self.generator).requires_grad_(False)
        self.config = dict(loss=self.loss.name, latent_dim=self.latent_dim, lr=lr, d_lr=d_lr,
                           g_lr=g_lr, betas=tuple(betas), optimizer=optimizer, n_critic=self.n_critic,
                           clip_value=self.loss.clip_value, penalty_weight=self.loss.penalty_weight, ema=ema,
                           batch_size=self.batch_size, augment=self.augment,
                           fresh_noise_for_g=self.fresh_noise_for_g, channels_last=channels_last, autocast=autocast)
        self.d_optimizer = _optimizer(optimizer, self.discriminator.parameters(), d_lr or lr, tuple(betas), self.device)
        self.g_optimizer = _optimizer(optimizer, self.generator.parameters(), g_lr or lr, tuple(betas), self.device)
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
        self.dropout_rng = None          # torch's global stream as training left it (see _own_random_stream)
        self.step = 0
        self.elapsed = 0.0
        self.history = {k: [] for k in HISTORY_KEYS}
        self.extras = {}      # anything a notebook wants saved with the model (tensors, numbers, lists)
        self.interrupted = False
        self.provenance = None     # where a shipped reference model was trained (set by GAN.load)
        self._in_own_stream = False

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
            z = self.noise(n, seed=seed)
        elif z.dim() != 2 or z.shape[1] != self.latent_dim:
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
        if self.pack > 1:
            if x.shape[0] % self.pack:
                raise ValueError(f"batch of {x.shape[0]} is not a multiple of the discriminator's pack={self.pack}")
            x = x.reshape(x.shape[0] // self.pack, self.pack * x.shape[1], *x.shape[2:])
        if weights is None:
            s = self.discriminator(x)
        else:
            s = torch.func.functional_call(self.discriminator, weights, (x,))
        return s.float().reshape(-1, 1)         # losses in float32, also under bfloat16 autocast

    # ------------------------------------------------------------ training

    def _check_shapes(self, real):
        """Fail early, in words, when the models and the data do not fit together."""
        g_was, d_was = self.generator.training, self.discriminator.training
        self.generator.eval(), self.discriminator.eval()
        try:
            with torch.no_grad():
                k = 2 * self.pack
                z = torch.zeros(k, self.latent_dim, device=self.device)
                try:
                    fake = self.generator(z)
                except Exception as err:
                    try:
                        self.generator(z.reshape(k, self.latent_dim, 1, 1))
                    except Exception:
                        raise ValueError(f"the generator failed on noise of shape (batch, latent_dim) = "
                                         f"{tuple(z.shape)}: {type(err).__name__}: {err}") from None
                    raise ValueError(
                        f"the generator takes z shaped (batch, {self.latent_dim}, 1, 1), as the PyTorch DCGAN "
                        f"tutorial's does; ganlab passes z as (batch, latent_dim). Put nn.Unflatten(1, "
                        f"({self.latent_dim}, 1, 1)) in front: G = nn.Sequential(nn.Unflatten(1, "
                        f"({self.latent_dim}, 1, 1)), G)") from None
                if tuple(fake.shape[1:]) != tuple(real.shape[1:]):
                    raise ValueError(
                        f"the generator makes samples of shape {tuple(fake.shape[1:])} but the data "
                        f"has shape {tuple(real.shape[1:])}: they must match (check out_shape or "
                        f"the data's layout, e.g. MNIST as (N, 1, 28, 28))")
                scores = self.score(fake)
                if scores.shape[0] != k // self.pack or scores.numel() != k // self.pack:
                    raise ValueError(
                        f"the discriminator must give one score per sample, shape (B, 1); for "
                        f"a batch of {k} it gave shape {tuple(scores.shape)}")
        finally:
            self.generator.train(g_was), self.discriminator.train(d_was)

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
            # ema ← decay · ema + (1 − decay) · current; the decay warms up over the first
            # steps, min(ema, (1 + t) / (10 + t)), so the average does not cling to the random init
            decay = min(self.ema, (1 + self.step) / (10 + self.step))
            with torch.no_grad():
                torch._foreach_lerp_(list(self.ema_generator.parameters()),
                                     list(self.generator.parameters()), 1 - decay)
                for avg, b in zip(self.ema_generator.buffers(), self.generator.buffers()):
                    avg.copy_(b)
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

    @contextlib.contextmanager
    def _own_random_stream(self):
        """Run with torch's global random stream swapped for the trainer's own (dropout draws from it)."""
        if self._in_own_stream:            # fit() already swapped it for the whole loop
            yield
            return
        cuda = self.device.type == "cuda"
        self._in_own_stream = True
        with torch.random.fork_rng(devices=[self.device] if cuda else []):
            if self.dropout_rng is None:
                torch.manual_seed(self.seed)
            else:
                torch.set_rng_state(self.dropout_rng["cpu"])
                if cuda and self.dropout_rng.get("cuda") is not None:
                    torch.cuda.set_rng_state(self.dropout_rng["cuda"], self.device)
            try:
                yield
            finally:
                self._in_own_stream = False
                self.dropout_rng = {"cpu": torch.get_rng_state(),
                                    "cuda": torch.cuda.get_rng_state(self.device) if cuda else None}

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
        if steps is not None and epochs is not None:
            raise ValueError("give steps= or epochs=, not both")
        if steps is None and epochs is None and seconds is None:
            raise ValueError("say how long to train: steps=, epochs= or seconds=")
        batch_size = batch_size or self.batch_size
        data = training_tensor(data, self.device)
        if epochs is not None:
            if not isinstance(data, torch.Tensor):
                raise ValueError("epochs= needs a data tensor; with a sampler give steps=")
            steps = epochs * math.ceil(data.shape[0] / batch_size)
        if steps is not None and int(steps) < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        if seconds is not None and not seconds > 0:
            raise ValueError(f"seconds must be > 0, got {seconds}")
        draw = self.batches(data, batch_size)
        self._check_shapes(self._a_few(data))      # not drawn from the trainer's stream: resuming stays exact
        first = self.step
        stop_at = math.inf if steps is None else first + int(steps)
        every = every or (max(1, int(steps) // 10) if steps is not None else 100)
        if seconds is None:
            bar = tqdm(total=int(steps), desc=f"{self.loss.name} GAN", disable=not progress)
        else:
            bar = tqdm(total=round(seconds), unit="s", desc=f"{self.loss.name} GAN, {seconds:.0f} s",
                       disable=not progress, bar_format="{l_bar}{bar}| {n:.0f}/{total} s [{remaining} left{postfix}]")
        groups = self.d_optimizer.param_groups + self.g_optimizer.param_groups
        base_lrs = [g["lr"] for g in groups]
        started, called_at = time.perf_counter(), first
        self.interrupted = False
        try:
            with self._own_random_stream(), _finish_the_step_on_interrupt() as pressed:
                while self.step < stop_at:
                    now = time.perf_counter() - started
                    if seconds is not None and now > seconds:
                        break
                    if lr_schedule is not None:
                        done = max((self.step - first) / steps if steps else 0.0, now / seconds if seconds else 0.0)
                        for g, lr in zip(groups, base_lrs):
                            g["lr"] = lr * lr_schedule(min(done, 1.0))
                    record = self.train_step(draw, batch_size, n_critic)
                    if seconds is None:
                        bar.update(1)
                    elif self.step % 20 == 0:
                        bar.n = min(now, seconds)
                        bar.refresh()
                    if self.step % 50 == 0:
                        bar.set_postfix(step=self.step, D=f"{record['d_loss']:.3f}", G=f"{record['g_loss']:.3f}")
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
            for g, lr in zip(groups, base_lrs):
                g["lr"] = lr
        return self.history

    def _a_few(self, data):
        """2 * pack real samples for the shape check, without touching the trainer's random stream."""
        if isinstance(data, torch.Tensor):
            return data[:2 * self.pack]
        with own_streams():
            return data(2 * self.pack)

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
        return _checkpoints.load(path, generator, discriminator, device)

    def __repr__(self):
        return (f"{type(self).__name__}(loss={self.loss!r}, latent_dim={self.latent_dim}, n_critic={self.n_critic}, "
                f"step={self.step}, device={self.device})")


def random_shift(images, max_px, generator=None):
    """Shift each image (B, C, H, W) by its own random offset of up to max_px pixels.

    The border that comes in is filled with -1, the background of images in [-1, 1].
    A gather from the padded images (its gradient is a scatter-add), so G learns
    through it. Anything that is not an image batch is returned unchanged.
    """
    if images.dim() != 4 or max_px <= 0:
        return images
    b, c, h, w = images.shape
    p, dev = max_px, images.device
    padded = torch.nn.functional.pad(images, (p,) * 4, value=-1.0).flatten(2)      # (B, C, (H+2p)(W+2p))
    dy, dx = torch.randint(0, 2 * p + 1, (2, b, 1), device=dev, generator=generator)
    top_left = (torch.arange(h, device=dev)[:, None] * (w + 2 * p) + torch.arange(w, device=dev)).flatten()
    index = (top_left + dy * (w + 2 * p) + dx).unsqueeze(1).expand(b, c, h * w)   # (B, C, H*W)
    return padded.gather(2, index).view(b, c, h, w)
