"""Every widget of the series by name, and the matplotlib live view.

    LatentSliders(gan)          drag a few latent dimensions, see the image change      (ganlab.panels)
    DigitAndStyle(cgan)         notebook 07: pick the digit, drag the style              (ganlab.panels)
    InterpolationSlider(gan)    walk the straight line between two codes                 (ganlab.panels)
    SpotTheFake(real, fake)     a real and a generated image side by side: click the fake (ganlab.panels)
    PriorSlider(...)            notebook 01: move p(y), watch the Bayes boundary move    (ganlab.sliders)
    DStarSlider, ThetaSlider, TruncationSlider   notebooks 01, 05, 03                   (ganlab.sliders)
    DrawTarget(preset)          draw a 2D target with the mouse                          (ganlab.canvas)
    LiveView(target)            the live 2D view drawn in the page: 02, 05 and 06        (ganlab.live)
    LiveTraining2D()            the live 2D view as a matplotlib figure per frame (here)

All are ipywidgets 8 boxes. Most show PNG pictures drawn in the kernel with matplotlib's
Agg backend (no extension to install; they work in JupyterLab and in Colab); DrawTarget
and LiveView paint arrays on an anywidget canvas instead (see ganlab.canvas for why).
Every widget also has a method that does what a click does (step(), set z, ...) so
notebooks, tests and CI can drive it without a browser.
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
from .panels import (DigitAndStyle, InterpolationSlider, LatentSliders, SliderPanel,  # noqa: F401
                     SpotTheFake, interpolate)
from .canvas import DrawTarget  # noqa: F401  (widgets.DrawTarget)
from .live import LiveView  # noqa: F401
from .sliders import DStarSlider, PriorSlider, ThetaSlider, TruncationSlider  # noqa: F401


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
