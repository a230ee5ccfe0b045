"""The live 2D view, GAN-Lab style, drawn in the page: one class for notebooks 02, 05 and 06.

    LiveView(target="ring8")                    watch a GAN learn a toy target
    LiveView(target="draw")                     ... a target you draw with the mouse (02)
    LiveView(losses=("minimax", "non-saturating", "wasserstein", "wgan-gp"))
                                                D or a critic, switchable (05)
    LiveView(target="grid25", remedies=LiveView.REMEDIES, timeline=True)
                                                minibatch std, packing, unrolling on and off,
                                                the mode timeline growing as it trains (06)

The canvas (ganlab.canvas.Canvas2D) shows, in the colours of plots.toy_view, D's output
over the plane (teal: D says real, brown: fake; for a critic, its score scaled to its
largest magnitude), the real points (black), G's samples (orange), where G's gradient
pushes each of them (purple) and the warped noise grid (grey). Beside it: the share of G's samples on the target over training, and
with timeline=True the share of samples at each mode over time (rows: modes).

Every control has a method that does what it does (step, run, reset, set_loss,
set_remedies), so notebooks and tests drive the view without a browser; `figure()` draws
the same moment as a matplotlib figure for a saved or printed copy. A frame costs
the kernel only the arrays: `frame()` computes them, `redraw()` sends them.
"""
import time

import ipywidgets as W
import torch

from . import data as _data
from . import metrics as _metrics
from . import models as _models
from . import plots as _plots
from .canvas import Canvas2D, DrawTarget, as_bytes
from .runtime import resolve_device, seeded
from .unrolled import gan_or_unrolled

# per loss: D (critic) updates per G update; the Wasserstein critics need several
N_CRITIC = {"wasserstein": 5, "wgan-gp": 5}


class LiveView(W.VBox):
    """Train a small GAN on a 2D target and watch it on a canvas; see the module docstring.

    target:     a toy name (ganlab.data.TOY_NAMES), "draw" (a DrawTarget you draw on, starting
                from `preset`), a DrawTarget, or an (N, 2) tensor of target samples
    loss:       the starting loss; losses: the names the loss menu offers
    remedies:   which of REMEDIES get an on/off toggle; on: those switched on at the start
    timeline:   show the mode timeline (the target must be a mixture: ring8, grid25)
    hidden, latent_dim, lr, batch_size: the GAN (an MLP G and D); steps_per_frame: steps per
                tick of play; on_target: the distance (data units) within which a generated
                sample counts as on the target (default: 4% of the view's width)
    """

    REMEDIES = ("minibatch std", "packing", "unrolling")
    LOSSES = ("minimax", "non-saturating", "wasserstein", "wgan-gp", "least-squares", "hinge")

    def __init__(self, target="ring8", loss="non-saturating", losses=None, remedies=(), on=(), timeline=False,
                 hidden=(64, 64), latent_dim=2, lr=1e-3, batch_size=128, steps_per_frame=20, seed=0,
                 preset="ring", on_target=None, heat_res=48, n_fake=300, size=360, device=None):
        unknown = set(remedies) - set(self.REMEDIES) or set(on) - set(remedies)
        if unknown:
            raise ValueError(f"remedies are chosen from {self.REMEDIES} (and `on` from them), got {sorted(unknown)}")
        if timeline:
            if not isinstance(target, str) or target == "draw":
                raise ValueError(f"timeline=True needs a toy mixture with modes (ring8, grid25), got {target!r}")
            _data.toy_modes(target)           # a continuous toy has no modes: it says so
        self.hidden, self.latent_dim, self.lr, self.batch_size = tuple(hidden), latent_dim, lr, batch_size
        self.seed, self.device, self.heat_res, self.n_fake = seed, device, heat_res, n_fake
        self.pad = None
        if isinstance(target, DrawTarget) or target == "draw":
            self.pad = target if isinstance(target, DrawTarget) else DrawTarget(preset=preset, size=size)
            self.canvas = self.pad.canvas
            self.canvas.observe(lambda ch: self._new_target(), names="drawing")
        else:
            self.canvas = Canvas2D(size=size)
        self.target = target
        self.timeline = timeline
        self._on_target = on_target
        self.losses = W.Dropdown(options=tuple(losses or self.LOSSES), value=loss, description="loss",
                                 layout=W.Layout(width="220px"))
        self.losses.observe(lambda ch: self.reset(), names="value")
        self.toggles = {name: W.ToggleButton(value=name in on, description=name, layout=W.Layout(width="auto"))
                        for name in remedies}
        self._quiet = False
        for t in self.toggles.values():
            t.observe(lambda ch: None if self._quiet else self.reset(), names="value")
        self.play = W.Play(value=0, min=0, max=10**9, step=1, interval=150, description="play")
        self.play.observe(lambda ch: self._tick(), names="value")
        self.buttons = {}
        for label, update in (("step D", "d"), ("step G", "g"), ("step both", "both")):
            b = W.Button(description=label, layout=W.Layout(width="90px"))
            b.on_click(lambda _, u=update: self.step(u, 1))
            self.buttons[update] = b
        self.reset_button = W.Button(description="reset", icon="undo", layout=W.Layout(width="80px"))
        self.reset_button.on_click(lambda _: self.reset())
        self.steps_per_frame = W.IntSlider(value=steps_per_frame, min=1, max=200, description="steps/frame")
        self.status = W.HTML()
        self._new_target(reset=False)
        self.reset()
        controls = [W.HBox([self.play, *self.buttons.values(), self.reset_button]),
                    W.HBox([self.losses, self.steps_per_frame])]
        if self.toggles:
            controls.append(W.HBox([W.Label("remedies:"), *self.toggles.values()]))
        super().__init__(controls + [self.status, self.pad if self.pad is not None else self.canvas])

    # ---------------------------------------------------------------- target and model

    def _new_target(self, reset=True):
        """Take the target's samples again (a new drawing keeps the models, restarts the record)."""
        if self.pad is not None:
            if len(self.pad.points) == 0:
                self.real = None
                if reset:
                    self.status.value = "<b>the drawing is empty</b>: draw a target or pick a preset"
                return
            self.real = self.pad.sample(20_000, seed=self.seed, device=self._device())
            x0, x1, y0, y1 = self.canvas.bounds
            self.bounds = ((x0, x1), (y0, y1))
        else:
            if isinstance(self.target, str):
                self.real = _data.toy(self.target, 20_000, seed=self.seed, device=self._device())
            else:
                self.real = torch.as_tensor(self.target, dtype=torch.float32).to(self._device())
            self.bounds = _plots.bounds_for(self.real)
            self.canvas.bounds = [*self.bounds[0], *self.bounds[1]]
        self.canvas.real = as_bytes(self.real[:600])
        self._reference = self.real[torch.randperm(len(self.real), generator=torch.Generator().manual_seed(0))[:2000]]
        if reset:
            self._draw_batch = self.gan.batches(self.real, self.batch_size)
            self.record = self._empty_record()
            self._measure()
            self.redraw()

    def _device(self):
        return resolve_device(self.device)

    @property
    def remedies(self):
        """The remedies switched on now."""
        return tuple(name for name, t in self.toggles.items() if t.value)

    def set_remedies(self, *names):
        """What the toggles do: switch exactly these remedies on (the GAN starts again, once)."""
        unknown = set(names) - set(self.toggles)
        if unknown:
            raise ValueError(f"this view's remedies are {tuple(self.toggles)}, got {sorted(unknown)}")
        self._quiet = True                       # one reset for the whole change, not one per toggle
        try:
            for name, t in self.toggles.items():
                t.value = name in names
        finally:
            self._quiet = False
        self.reset()

    def set_loss(self, name):
        """What the loss menu does: a new GAN with this loss."""
        self.losses.value = name

    def build(self):
        """A fresh GAN with the current loss and remedies (seeded: the same start every time)."""
        loss, on = self.losses.value, self.remedies
        with seeded(self.seed):                        # the notebook's own random stream is left alone
            g = _models.mlp_generator(latent_dim=self.latent_dim, hidden=self.hidden, out_shape=(2,), output=None)
            d = _models.mlp_discriminator(in_shape=(2,), hidden=self.hidden, pack=2 if "packing" in on else 1,
                                          minibatch_std="minibatch std" in on)
        settings = dict(loss=loss, lr=self.lr, betas=(0.5, 0.9), n_critic=N_CRITIC.get(loss, 1), seed=self.seed,
                        device=self.device)
        return gan_or_unrolled(g, d, unroll=5 if "unrolling" in on else 0, **settings)

    def reset(self):
        """New models for the current loss and remedies (what 'reset', the menu and the toggles do)."""
        self.play.playing = False
        self.gan = self.build()
        self.record = self._empty_record()
        if self.real is None:
            return
        self._draw_batch = self.gan.batches(self.real, self.batch_size)
        self._measure()
        self.redraw()

    @staticmethod
    def _empty_record():
        return {"step": [], "on_target": [], "covered": [], "counts": []}

    # ---------------------------------------------------------------- training and measuring

    def _train(self, update, n):
        """n training steps; False (and playing stops, the status says why) if training diverged."""
        try:
            for _ in range(n):
                self.gan.train_step(self._draw_batch, self.batch_size, update=update)
        except FloatingPointError as err:      # diverged: stop, say why, keep the view
            self.play.playing = False
            self.status.value = f"<b style='color:#b00'>{err}</b>"
            return False
        return True

    def step(self, update="both", n=1, redraw=True):
        """Train n steps (update: "both", "d" only or "g" only), measure, redraw."""
        if self.real is None or not self._train(update, n):
            return
        self._measure()
        if redraw:
            self.redraw()

    def _tick(self, budget_s=0.12):
        """One tick of play: up to steps_per_frame steps, but no longer than about one tick's
        interval, so that ticks never queue up in the kernel (an unrolled step is slow)."""
        if self.real is None:
            return
        start, done = time.perf_counter(), 0
        while done < self.steps_per_frame.value and (done == 0 or time.perf_counter() - start < budget_s):
            if not self._train("both", 1):
                return
            done += 1
        self._measure()
        self.redraw()

    def run(self, steps, frames=10, progress=True):
        """Train `steps` steps in `frames` chunks, measuring after each (for unattended notebooks)."""
        from tqdm.auto import tqdm

        per, done = max(1, steps // frames), 0
        with tqdm(total=steps, desc="live 2D GAN", disable=not progress) as bar:
            while done < steps:
                k = min(per, steps - done)
                self.step("both", k, redraw=False)
                done, _ = done + k, bar.update(k)
        self.redraw()
        return self

    @property
    def on_target_radius(self):
        if self._on_target is not None:
            return self._on_target
        (x0, x1), (y0, y1) = self.bounds
        return 0.04 * max(x1 - x0, y1 - y0)

    def share_on_target(self, samples):
        """The share of `samples` within on_target_radius of some target sample."""
        d = torch.cdist(samples.float(), self._reference.float()).min(1).values
        return float((d <= self.on_target_radius).float().mean())

    def arrow_alignment(self, n=500):
        """Mean cosine between the push G's gradient gives each sample and the way to its nearest
        target sample: +1 when every arrow points at the data, 0 for arrows at random."""
        fake, push = _plots.generator_gradients(self.gan, self.gan.noise(n, seed=self.seed + 2))
        nearest = self._reference[torch.cdist(fake, self._reference).argmin(1)]
        way = nearest - fake
        cosine = (push * way).sum(1) / (push.norm(dim=1) * way.norm(dim=1)).clamp(min=1e-12)
        return float(cosine.mean())

    def _measure(self):
        fake = self.gan.sample(1000, seed=self.seed + 1)            # the same z every time
        self.record["step"].append(self.gan.step)
        self.record["on_target"].append(self.share_on_target(fake))
        if self.timeline:
            cover = _metrics.mode_coverage(fake, self.target)
            self.record["covered"].append(cover["covered"] / cover["n_modes"])
            self.record["counts"].append(cover["counts"])

    # ---------------------------------------------------------------- drawing

    @torch.no_grad()
    def _heat(self):
        """D over a heat_res² grid as uint8: sigmoid x 255 for D, 128 ± 127 x score / max|score| for a critic."""
        values = _plots.discriminator_heatmap(self.gan, self.bounds, resolution=self.heat_res)
        values = torch.as_tensor(values)
        if not self.gan.loss.probability:
            values = 0.5 + 0.5 * values / values.abs().max().clamp(min=1e-6)
        return (values.clamp(0, 1) * 255).round().to(torch.uint8)

    @torch.no_grad()
    def _grid(self, lines=9, points=25, extent=2.0):
        """G applied to a regular grid in z's first two dimensions, (2 x lines x points, 2), one pass."""
        t = torch.linspace(-extent, extent, points)
        c = torch.linspace(-extent, extent, lines)
        z = torch.zeros(2, lines, points, self.gan.latent_dim)
        z[0, :, :, 0], z[0, :, :, 1 % self.gan.latent_dim] = t[None, :], c[:, None]      # horizontal lines
        z[1, :, :, 0], z[1, :, :, 1 % self.gan.latent_dim] = c[:, None], t[None, :]      # vertical lines
        return self.gan.sample(z=z.reshape(-1, self.gan.latent_dim).to(self.gan.device)), points

    def frame(self):
        """The arrays of one frame: heat, fake points, arrows (scaled), grid, as tensors."""
        z = self.gan.noise(self.n_fake, seed=self.seed)
        fake, push = _plots.generator_gradients(self.gan, z)
        longest = push.norm(dim=1).max().clamp(min=1e-12)
        arrows = push / longest * 0.08 * self.canvas.extent
        grid, points = self._grid()
        return dict(heat=self._heat(), fake=fake, arrows=arrows, grid=grid, grid_points=points)

    def _chart(self, most=200):
        """The record as the chart's lines; a long record is thinned to `most` points (and its last)
        so that a frame's message stays small however long play runs."""
        r = self.record
        keep = list(range(0, len(r["step"]), max(1, len(r["step"]) // most)))
        if keep[-1] != len(r["step"]) - 1:
            keep.append(len(r["step"]) - 1)
        pick = lambda values: [values[i] for i in keep]                          # noqa: E731
        series = [{"name": "share of samples on the target", "color": "#f46d00", "y": pick(r["on_target"])}]
        if self.timeline:
            series.append({"name": "share of modes covered", "color": "#4575b4", "y": pick(r["covered"])})
        return {"x": pick(r["step"]), "series": series, "ymax": 1, "title": "over training (steps)"}

    def figure(self):
        """The view as a static matplotlib figure (what a saved or printed copy of a notebook
        shows, where the canvas is blank): plots.toy_view's picture of this moment, and the
        record over training beside it."""
        from matplotlib.figure import Figure

        if self.real is None:
            raise ValueError("the drawing is empty: draw a target (or pick a preset) before asking for its figure")
        fig = Figure(figsize=(9.6, 4.4), layout="constrained")
        ax_view, ax_record = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        _plots.toy_view(self.gan, self.real, ax=ax_view, bounds=self.bounds, n_fake=400,
                        title=f"step {self.gan.step} · {self.gan.loss.name}")
        r = self.record
        ax_record.plot(r["step"], r["on_target"], marker=".", color=_plots.FAKE, label="samples on the target")
        if self.timeline:
            ax_record.plot(r["step"], r["covered"], marker=".", color="#4575b4", label="modes covered")
        ax_record.set_ylim(0, 1.02), ax_record.set_xlabel("step"), ax_record.set_ylabel("share")
        ax_record.set_title("over training")
        _plots.legend_outside(ax_record)
        return fig

    def redraw(self):
        """Compute the frame and send it to the canvas in one message; returns the seconds it took."""
        if self.real is None:
            return 0.0
        start = time.perf_counter()
        f = self.frame()
        with self.canvas.hold_sync():
            self.canvas.heat, self.canvas.heat_res = as_bytes(f["heat"], torch.uint8), self.heat_res
            self.canvas.fake, self.canvas.arrows = as_bytes(f["fake"]), as_bytes(f["arrows"])
            self.canvas.grid, self.canvas.grid_points = as_bytes(f["grid"]), f["grid_points"]
            self.canvas.title = f"step {self.gan.step} · {self.gan.loss.name}"
            judge = "D says real" if self.gan.loss.probability else "critic scores high"
            self.canvas.legend = f"teal: {judge} · black: real · orange: G(z) · purple: G's push"
            self.canvas.chart = self._chart()
            if self.timeline and self.record["counts"]:
                counts = torch.stack(self.record["counts"][-120:]).float()                   # (T, K)
                shares = (counts / counts.sum(1, keepdim=True).clamp(min=1)).T                # (K, T)
                self.canvas.strip = as_bytes((shares * 255).round(), torch.uint8)
                self.canvas.strip_shape = list(shares.shape)
                self.canvas.strip_title = "share of samples at each mode (dark: none)"
        seconds = time.perf_counter() - start
        remedies = ", ".join(self.remedies) or "none"
        covered = (f" · modes covered <b>{self.record['covered'][-1] * 100:.0f}%</b>" if self.timeline else "")
        drawn = f" · <span class='ganlab-drawn'>{len(self.pad.points)}</span> points drawn" if self.pad else ""
        self.status.value = (f"step <b>{self.gan.step}</b> · loss <b>{self.gan.loss.name}</b>" + drawn
                             + (f" · remedies: <b>{remedies}</b>" if self.toggles else "")
                             + f" · on target: <b class='ganlab-on-target'>{self.record['on_target'][-1] * 100:.1f}%</b>"
                             + covered + f" · frame {seconds * 1000:.0f} ms")
        return seconds
