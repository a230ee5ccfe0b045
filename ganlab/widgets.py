"""Things to drag and click: latent sliders, interpolation, the live 2D trainer.

    LatentSliders(gan)          drag a few latent dimensions, see the image change
    InterpolationSlider(gan)    walk the straight line between two codes
    LiveTraining2D()            GAN-Lab-style live view: play / pause / step D, G or both
    DigitAndStyle(cgan)         notebook 07: pick the digit, drag the style, see that style as all ten digits
    PriorSlider(...)            notebook 01: move p(y), watch the Bayes boundary move
    SpotTheFake(real, fake)     a real and a generated image side by side: click the fake, keep score
    DrawTarget(preset)          draw a 2D target with the mouse (ganlab.canvas)
    LiveView(target)            the live 2D view drawn in the page, for 02, 05 and 06 (ganlab.live)
    ThetaSlider, DStarSlider, TruncationSlider   notebooks 05, 01, 03 (ganlab.sliders)

All are ipywidgets 8 boxes (no extension to install: they work in JupyterLab
and in Colab); DrawTarget and LiveView paint on an anywidget canvas (see ganlab.canvas). Pictures are PNG bytes in an ipywidgets.Image, drawn with
matplotlib's Agg backend, so what the kernel draws is what the page shows.
Every widget also has a method that does what a click does (step(), set z,
...) so notebooks, tests and CI can drive it without a browser.
"""
import math
import time

import ipywidgets as W
import torch
from matplotlib.figure import Figure

from . import data as _data
from . import metrics as _metrics
from . import models as _models
from . import plots as _plots
from .training import GAN
from .canvas import DrawTarget  # noqa: F401  (widgets.DrawTarget)
from .live import LiveView  # noqa: F401
from .sliders import DStarSlider, PriorSlider, ThetaSlider, TruncationSlider  # noqa: F401


def interpolate(z0, z1, n=10, spherical=False):
    """n codes from z0 to z1 (both (latent_dim,) or (1, latent_dim)): (n, latent_dim).

    spherical=True follows the great circle (slerp), which keeps the norm of
    Gaussian codes typical; a straight line passes through low-norm codes.
    """
    z0, z1 = z0.reshape(-1), z1.reshape(-1)
    t = torch.linspace(0, 1, n, device=z0.device)[:, None]
    if not spherical:
        return (1 - t) * z0 + t * z1
    omega = torch.arccos((z0 / z0.norm()).dot(z1 / z1.norm()).clamp(-1, 1))
    if omega.abs() < 1e-6:
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def _image_widget(scale_px=168):
    return W.Image(format="png", layout=W.Layout(width=f"{scale_px}px", height=f"{scale_px}px"))


class SliderPanel(W.HBox):
    """One code vector, a slider for a few of its dimensions, a "new random" button and a picture.

    code:    the starting code, (1, size); by default the first draw of the panel's own
             random stream (seeded with `seed`), so "new random" gives the stream's next draws.
    render:  called with no argument after every change; it draws the code into
             `pictures` (the panel shows them beside the sliders).
    A slider moves one dimension of the code and redraws once. The button replaces the
    whole code, moves every slider to it (clamped to the slider's range: the code itself
    keeps its values) and redraws once.
    """

    def __init__(self, size, render, pictures, dims, seed=0, value_range=3.0, name="z", button="new random z",
                 code=None, device=None):
        self.dims = list(dims)
        if any(d < 0 or d >= size for d in self.dims):
            raise ValueError(f"dims must be between 0 and {size - 1}, got {self.dims}")
        self.render, self.size = render, size
        self._rng = torch.Generator(device=device).manual_seed(seed)
        self.code = self._draw()              # drawn even when a code is given: the stream stays the same
        if code is not None:
            self.code = code.reshape(1, size).clone().to(self.code.device)
        self._moving = False
        self.sliders = [W.FloatSlider(value=self._clamped(float(self.code[0, d]), value_range), min=-value_range,
                                      max=value_range, step=0.05, description=f"{name}[{d}]",
                                      continuous_update=True, readout_format=".2f") for d in self.dims]
        for d, s in zip(self.dims, self.sliders):
            s.observe(self._slid(d), names="value")
        self.button = W.Button(description=button, icon="refresh", layout=W.Layout(width="auto"))
        self.button.on_click(lambda _: self.new_code())
        super().__init__([W.VBox(list(pictures)), W.VBox(self.sliders + [self.button])])

    def _draw(self):
        return torch.randn(1, self.size, device=self._rng.device, generator=self._rng)

    @staticmethod
    def _clamped(value, limit):
        return max(-limit, min(limit, value))

    def _slid(self, d):
        def handler(change):
            if self._moving:             # new_code() moves the sliders itself, then redraws once
                return
            self.code[0, d] = float(change["new"])
            self.render()
        return handler

    def new_code(self):
        """What the button does: the stream's next code, the sliders moved to it, one redraw."""
        self.code = self._draw()
        self._moving = True
        try:
            for d, s in zip(self.dims, self.sliders):
                s.value = self._clamped(float(self.code[0, d]), s.max)    # the picture may go past the range
        finally:
            self._moving = False
        self.render()


class LatentSliders(W.VBox):
    """Sliders for a few latent dimensions of `gan`'s generator and the image they make.

    dims: which latent dimensions get a slider (default: the first six).
    The other dimensions keep the values of the current z; "new random z" draws a new one.
    z starts as gan.noise(1, seed=seed) unless given.
    """

    def __init__(self, gan, dims=None, z=None, seed=0, value_range=3.0):
        self.gan = gan
        self.image = _image_widget()
        self.panel = SliderPanel(gan.latent_dim, self._redraw, [self.image],
                                 dims if dims is not None else range(min(6, gan.latent_dim)), seed=seed,
                                 value_range=value_range, name="z", button="new random z", code=z,
                                 device=gan.device)
        self._redraw()
        super().__init__([self.panel])

    dims = property(lambda self: self.panel.dims)
    sliders = property(lambda self: self.panel.sliders)
    button = property(lambda self: self.panel.button)

    @property
    def z(self):
        return self.panel.code

    @z.setter
    def z(self, value):
        self.panel.code = value

    def new_z(self):
        """What the button does: a fresh z, sliders moved to its values, one redraw."""
        self.panel.new_code()

    def _redraw(self):
        self.image.value = _plots.png_bytes(self.gan.sample(z=self.z), nrow=1, scale=6)


class DigitAndStyle(W.VBox):
    """Notebook 07: buttons pick the digit, sliders move a few style dimensions of a ConditionalGAN.

    Under the big image, the same style code drawn as every digit: what the style
    carries (slant, thickness, size) should stay while the digit changes.
    The style starts as gan.styles(1, seed=seed).
    """

    def __init__(self, gan, dims=None, seed=0, digit=0, value_range=3.0):
        if not hasattr(gan, "style_dim"):
            raise TypeError("DigitAndStyle needs a ConditionalGAN (ganlab.conditional); for a plain GAN "
                            "use LatentSliders")
        self.gan = gan
        self.digit = W.ToggleButtons(options=[(str(k), k) for k in range(gan.n_classes)], value=digit,
                                     description="digit", style={"button_width": "32px"})
        self.digit.observe(lambda _: self._redraw(), names="value")
        self.image = _image_widget()
        self.row = W.Image(format="png")
        self.panel = SliderPanel(gan.style_dim, self._redraw, [self.image],
                                 dims if dims is not None else range(min(6, gan.style_dim)), seed=seed,
                                 value_range=value_range, name="style", button="new random style",
                                 device=gan.device)
        self._redraw()
        super().__init__([self.digit, self.panel, W.Label("the same style, every digit:"), self.row])

    dims = property(lambda self: self.panel.dims)
    sliders = property(lambda self: self.panel.sliders)
    button = property(lambda self: self.panel.button)

    @property
    def style(self):
        return self.panel.code

    @style.setter
    def style(self, value):
        self.panel.code = value

    def pick(self, digit):
        """What a digit button does."""
        self.digit.value = int(digit)

    def new_style(self):
        """What the button does: a fresh style code, sliders moved to its values, one redraw."""
        self.panel.new_code()

    def _redraw(self):
        n = self.gan.n_classes
        self.image.value = _plots.png_bytes(self.gan.sample(z=self.style, labels=self.digit.value), nrow=1, scale=6)
        self.row.value = _plots.png_bytes(self.gan.sample(z=self.style.expand(n, -1), labels=range(n)),
                                          nrow=n, scale=2)


class InterpolationSlider(W.VBox):
    """A slider t in [0, 1] that shows G((1 - t) z0 + t z1), plus the whole path as a strip."""

    def __init__(self, gan, z0=None, z1=None, seed=0, n=9, spherical=False):
        self.gan = gan
        self.z0 = (z0 if z0 is not None else gan.noise(1, seed=seed)).reshape(1, -1).to(gan.device)
        self.z1 = (z1 if z1 is not None else gan.noise(1, seed=seed + 1)).reshape(1, -1).to(gan.device)
        self.spherical = spherical
        self.image = _image_widget()
        self.strip = W.Image(format="png")
        self.slider = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.02, description="t",
                                    continuous_update=True)
        self.slider.observe(lambda ch: self._redraw(), names="value")
        path = interpolate(self.z0, self.z1, n, spherical)
        self.strip.value = _plots.png_bytes(gan.sample(z=path), nrow=n, scale=2)
        self._redraw()
        super().__init__([W.HBox([self.image, self.slider]), self.strip])

    def z_at(self, t):
        if self.spherical:
            return interpolate(self.z0, self.z1, 101, True)[round(t * 100)][None]
        return (1 - t) * self.z0 + t * self.z1

    def _redraw(self):
        self.image.value = _plots.png_bytes(self.gan.sample(z=self.z_at(self.slider.value)), nrow=1, scale=6)


class LiveTraining2D(W.VBox):
    """Train a small GAN on a 2D target and watch it: the GAN-Lab-style view.

    Left: real (black) and generated (orange) samples over D's heatmap, the
    warped noise grid and the generator's gradient arrows. Middle: D and G
    losses. Right: Jensen-Shannon divergence between real and generated
    samples, estimated on a 2D histogram (0 = same, log 2 = disjoint).

    Controls: play / pause, one step of D, of G or of both, reset, target,
    loss, learning rates, D steps per G step. Drive it from code with
    step(update, n) and run(steps) (what the buttons do).
    """

    LOSSES = ("minimax", "non-saturating", "least-squares", "wgan-gp", "hinge")

    def __init__(self, target="ring8", loss="non-saturating", d_lr=1e-3, g_lr=1e-3, n_critic=1,
                 hidden=(64, 64), latent_dim=2, batch_size=256, steps_per_frame=25, seed=0, device=None):
        self.hidden, self.latent_dim, self.batch_size = tuple(hidden), latent_dim, batch_size
        self.seed, self.device = seed, device
        self.divergence = {"step": [], "js": []}
        self.image = W.Image(format="png")
        self.status = W.HTML()
        self.play = W.Play(value=0, min=0, max=10**9, step=1, interval=400, description="play")
        self.play.observe(lambda ch: self.step("both", self.steps_per_frame.value), names="value")
        self.buttons = {}
        for label, update in (("step D", "d"), ("step G", "g"), ("step both", "both")):
            b = W.Button(description=label)
            b.on_click(lambda _, u=update: self.step(u, 1))
            self.buttons[update] = b
        self.reset_button = W.Button(description="reset", icon="undo")
        self.reset_button.on_click(lambda _: self.reset())
        self.target = W.Dropdown(options=_data.TOY_NAMES, value=target, description="target")
        self.loss = W.Dropdown(options=self.LOSSES, value=loss, description="loss")
        self.d_lr = W.FloatLogSlider(value=d_lr, base=10, min=-5, max=-1, description="D lr", readout_format=".0e")
        self.g_lr = W.FloatLogSlider(value=g_lr, base=10, min=-5, max=-1, description="G lr", readout_format=".0e")
        self.n_critic = W.IntSlider(value=n_critic, min=1, max=10, description="D steps/G")
        self.steps_per_frame = W.IntSlider(value=steps_per_frame, min=1, max=200, description="steps/frame")
        self.target.observe(lambda ch: self.reset(), names="value")
        self.loss.observe(lambda ch: self.reset(), names="value")
        self.d_lr.observe(lambda ch: self._set_lr(), names="value")
        self.g_lr.observe(lambda ch: self._set_lr(), names="value")
        self.n_critic.observe(lambda ch: setattr(self.gan, "n_critic", ch["new"]), names="value")
        self.reset(redraw=False)
        controls = W.VBox([
            W.HBox([self.play, *self.buttons.values(), self.reset_button]),
            W.HBox([self.target, self.loss]),
            W.HBox([self.d_lr, self.g_lr]),
            W.HBox([self.n_critic, self.steps_per_frame]),
        ])
        super().__init__([controls, self.status, self.image])
        self.redraw()

    # ---------------------------------------------------------------- model

    def reset(self, redraw=True):
        """New models for the current target and loss (what 'reset' and the dropdowns do)."""
        torch.manual_seed(self.seed)
        g = _models.mlp_generator(latent_dim=self.latent_dim, hidden=self.hidden, out_shape=(2,), output=None)
        d = _models.mlp_discriminator(in_shape=(2,), hidden=self.hidden)
        self.gan = GAN(g, d, loss=self.loss.value, d_lr=self.d_lr.value, g_lr=self.g_lr.value,
                       betas=(0.5, 0.999), n_critic=self.n_critic.value, seed=self.seed, device=self.device)
        self.real = _data.toy(self.target.value, 20_000, seed=self.seed, device=self.gan.device)
        self.bounds = _plots.bounds_for(self.real)
        self._draw = self.gan.batches(self.real, self.batch_size)
        self.divergence = {"step": [], "js": []}
        self._measure()
        if redraw:
            self.redraw()

    def _set_lr(self):
        for group in self.gan.d_optimizer.param_groups:
            group["lr"] = self.d_lr.value
        for group in self.gan.g_optimizer.param_groups:
            group["lr"] = self.g_lr.value

    def _measure(self):
        fake = self.gan.sample(4000, seed=self.seed + 1)
        js = _metrics.js_divergence_2d(self.real[:4000], fake, bins=40, bounds=self.bounds)
        self.divergence["step"].append(self.gan.step)
        self.divergence["js"].append(js)
        return js

    def step(self, update="both", n=1, redraw=True):
        """Train n steps (update: "both", "d" only or "g" only), then redraw the view."""
        try:
            for _ in range(n):
                self.gan.train_step(self._draw, self.batch_size, update=update)
        except FloatingPointError as err:   # diverged: stop playing, say why, keep the view
            self.play.playing = False
            self.status.value = f"<b style='color:#b00'>{err}</b>"
            return
        self._measure()
        if redraw:
            self.redraw()

    def run(self, steps, frames=10, progress=True):
        """Train `steps` steps, redrawing `frames` times (for notebooks that run unattended)."""
        from tqdm.auto import tqdm

        per = max(1, steps // frames)
        done = 0
        with tqdm(total=steps, desc="live 2D GAN", disable=not progress) as bar:
            while done < steps:
                k = min(per, steps - done)
                self.step("both", k, redraw=False)
                done += k
                bar.update(k)
        self.redraw()
        return self

    # ---------------------------------------------------------------- drawing

    def figure(self):
        """The current view as a matplotlib Figure (drawn without pyplot)."""
        fig = Figure(figsize=(15, 4.2), layout="constrained")       # makes room for the outside legends
        ax_view, ax_loss, ax_js = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})
        _plots.toy_view(self.gan, self.real, ax=ax_view, bounds=self.bounds, n_fake=400)
        h = self.gan.history
        if h["step"]:
            w = max(1, len(h["step"]) // 50)
            ax_loss.plot(h["step"], _plots.smooth(_nan_to_prev(h["d_loss"]), w), label="D loss")
            ax_loss.plot(h["step"], _plots.smooth(_nan_to_prev(h["g_loss"]), w), label="G loss")
            _plots.legend_outside(ax_loss)
        ax_loss.set_title(f"losses ({self.gan.loss.name})"), ax_loss.set_xlabel("step"), ax_loss.set_ylabel("loss")
        ax_js.plot(self.divergence["step"], self.divergence["js"], marker=".", color="tab:purple")
        ax_js.axhline(math.log(2), ls="--", c="0.5", lw=0.8)
        ax_js.text(0, math.log(2), " log 2 (disjoint)", va="bottom", fontsize=8, color="0.4")
        ax_js.set_ylim(0, 0.75), ax_js.set_xlabel("step"), ax_js.set_ylabel("JS divergence (nats)")
        ax_js.set_title(f"JS(real, generated) = {self.divergence['js'][-1]:.3f}")
        return fig

    def redraw(self):
        start = time.perf_counter()
        self.image.value = _plots.figure_png(self.figure(), dpi=72)
        self.status.value = (f"target <b>{self.target.value}</b>, loss <b>{self.gan.loss.name}</b>, "
                             f"step {self.gan.step}; drawn in {time.perf_counter() - start:.2f} s")


def _nan_to_prev(values):
    """Steps that updated only D (or G) have no value for the other loss: carry the last one."""
    out, last = [], 0.0
    for v in values:
        last = last if (v is None or v != v) else v
        out.append(last)
    return out


class SpotTheFake(W.VBox):
    """Humans as judges: one real and one generated image side by side; click the fake one.

    real, fake: images (N, C, H, W) in [-1, 1]. Each pair takes a random real and a random
    fake image and puts the fake on a random side, all drawn from a generator seeded with
    `seed`. answer("left") / answer("right") is what the two buttons do: it scores the
    answer, says whether it was right, and shows the next pair. `fake_side` is the answer.
    """

    def __init__(self, real, fake, seed=0, scale=5):
        if real.dim() != 4 or fake.dim() != 4 or real.shape[1:] != fake.shape[1:]:
            raise ValueError(f"real and fake must be image batches (N, C, H, W) of one shape, "
                             f"got {tuple(real.shape)} and {tuple(fake.shape)}")
        self.real, self.fake, self.scale = real.detach().cpu(), fake.detach().cpu(), scale
        self._rng = torch.Generator().manual_seed(seed)
        self.images = {side: _image_widget(real.shape[-1] * scale) for side in ("left", "right")}
        self.buttons = {side: W.Button(description=f"{side} is fake") for side in ("left", "right")}
        for side, button in self.buttons.items():
            button.on_click(lambda _, s=side: self.answer(s))
        self.status = W.HTML("Which of the two digits did the generator draw?")
        self.spotted = self.answered = 0
        self.next_pair()
        super().__init__([W.HBox(list(self.images.values())), W.HBox(list(self.buttons.values())), self.status])

    def next_pair(self):
        """A new pair: a random real and a random fake image, the fake on a random side."""
        i = int(torch.randint(len(self.real), (1,), generator=self._rng))
        j = int(torch.randint(len(self.fake), (1,), generator=self._rng))
        self.fake_side = "left" if torch.rand(1, generator=self._rng).item() < 0.5 else "right"
        real_side = "right" if self.fake_side == "left" else "left"
        self.images[self.fake_side].value = _plots.png_bytes(self.fake[j:j + 1], nrow=1, scale=self.scale)
        self.images[real_side].value = _plots.png_bytes(self.real[i:i + 1], nrow=1, scale=self.scale)

    def answer(self, side):
        """What a button does: score the guess that `side` shows the fake, then show the next pair."""
        if side not in ("left", "right"):
            raise ValueError(f"answer 'left' or 'right', got {side!r}")
        right = side == self.fake_side
        self.answered += 1
        self.spotted += right
        self.status.value = (f"{'Right' if right else 'Wrong'}: the fake was on the {self.fake_side}. "
                             f"You spotted <b>{self.spotted} of {self.answered}</b> "
                             f"(guessing would spot about half).")
        self.next_pair()
        return right
