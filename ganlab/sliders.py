"""Three sliders a learner reaches for: θ (notebook 05), p_g (01) and truncation (03).

    ThetaSlider(slide)              two 1D distributions sliding apart: JS goes flat, W1 keeps
                                    growing, and the push each gives the generator
    DStarSlider(p_data, xs)         move the generator's density: D* and its value V(D*) move with it
    TruncationSlider(gan)           shrink the code z -> ψ z: quality against variety
    PriorSlider(model, x, y)        notebook 01: move p(y), watch the Bayes boundary move

Each is an ipywidgets box with one slider and one picture (matplotlib, drawn without
pyplot). Everything a picture marks is computed once when the widget is made (the
slider moves along precomputed values), so a move only redraws. `show(value)` does
what moving the slider does.
"""
import copy
import math

import ipywidgets as W
import numpy as np
import torch
from matplotlib.figure import Figure

from . import plots as _plots


class _OneSlider(W.VBox):
    """A slider over fixed values and a picture redrawn for each; subclasses draw(fig, index)."""

    def __init__(self, values, value, description, figsize):
        self.values = list(values)
        self.figsize, self._pngs = figsize, {}
        self.slider = W.SelectionSlider(options=[(f"{v:g}", i) for i, v in enumerate(self.values)],
                                        value=int(np.argmin([abs(v - value) for v in self.values])),
                                        description=description, continuous_update=True,
                                        layout=W.Layout(width="420px"))
        self.image = W.Image(format="png")
        self.slider.observe(lambda ch: self.redraw(), names="value")
        self.redraw()
        super().__init__([self.slider, self.image])

    @property
    def index(self):
        return self.slider.value

    @property
    def value(self):
        return self.values[self.index]

    def show(self, value):
        """What moving the slider does: jump to the precomputed value nearest `value`."""
        self.slider.value = int(np.argmin([abs(v - value) for v in self.values]))

    def redraw(self):
        if self.index not in self._pngs:         # each stop is drawn once, then shown from memory
            fig = Figure(figsize=self.figsize, layout="constrained")
            self.draw(fig, self.index)
            self._pngs[self.index] = _plots.figure_png(fig, dpi=72)
        self.image.value = self._pngs[self.index]


class ThetaSlider(_OneSlider):
    """Notebook 05, section 1: slide θ and see JS go flat while W1 grows, and both pushes.

    slide: what ganlab.critics.sliding_apart returned (its shifts are the slider's stops);
    std: the two Gaussians' width it used.
    """

    def __init__(self, slide, std=0.1, theta=0.5):
        self.slide, self.std = slide, std
        super().__init__(slide["shift"], theta, "θ", (13, 3.4))

    def draw(self, fig, i):
        s, theta = self.slide, self.slide["shift"][i]
        ax_p, ax_d, ax_g = fig.subplots(1, 3)
        x = np.linspace(-0.5, max(s["shift"]) + 0.5, 800)
        bump = lambda m: np.exp(-0.5 * ((x - m) / self.std) ** 2) / (self.std * math.sqrt(2 * math.pi))  # noqa: E731
        ax_p.fill_between(x, bump(0.0), color="k", alpha=0.5, label="real, at 0")
        ax_p.fill_between(x, bump(theta), color="tab:orange", alpha=0.6, label=f"generated, at θ = {theta:g}")
        ax_p.set_xlabel("x"), ax_p.set_ylabel("density"), ax_p.legend(fontsize=7, loc="upper right")
        ax_p.set_title("the two distributions")
        for key, label, style in (("js", "JS", "o-"), ("wasserstein", "W1", "o-"),
                                  ("d_estimate", "JS as a trained D reads it", "x--"),
                                  ("critic_estimate", "W1 as a trained critic reads it", "x--")):
            ax_d.plot(s["shift"], s[key], style, label=label, ms=4)
        ax_d.axvline(theta, color="0.3", lw=1)
        ax_d.axhline(math.log(2), color="grey", ls=":", lw=1)
        ax_d.set_xlabel("θ"), ax_d.legend(fontsize=7, loc="upper left")
        ax_d.set_title(f"JS = {s['js'][i]:.3f} (log 2 = 0.693), W1 = {s['wasserstein'][i]:.3f}")
        ax_g.plot(s["shift"], s["d_gradient"], "o-", ms=4, label="under the trained D")
        ax_g.plot(s["shift"], s["critic_gradient"], "o-", ms=4, label="under the trained critic")
        ax_g.axvline(theta, color="0.3", lw=1)
        ax_g.set_yscale("log"), ax_g.set_xlabel("θ"), ax_g.set_ylabel("|∂ loss_G / ∂ x|")
        ax_g.legend(fontsize=7, loc="lower left")
        ax_g.set_title(f"push: D {s['d_gradient'][i]:.2g}, critic {s['critic_gradient'][i]:.2g}")


def game_value(d, p_real, p_fake, xs):
    """V(D) = ∫ p_data log D + p_g log(1 − D) dx by the trapezoid rule on the grid xs."""
    d = d.clamp(1e-12, 1 - 1e-12)
    return torch.trapezoid(p_real * d.log() + p_fake * (1 - d).log(), xs).item()


class DStarSlider(_OneSlider):
    """Notebook 01, section 7: slide the generator's density p_g = N(μ, std²) past p_data.

    D* = p_data / (p_data + p_g) and its value V(D*) = 2 JS(p_data, p_g) − log 4 are
    computed on the grid xs for every μ in `means`; the right panel follows V as μ moves.
    p_data: a function of a tensor of x values (a density).
    """

    def __init__(self, p_data, xs, means=None, std=1.2, mean=0.0):
        self.xs = xs.double()
        self.pd = p_data(self.xs).double()
        self.std = std
        means = list(np.round(np.arange(-4, 4.01, 0.25), 2)) if means is None else list(means)
        self.curves = [self._d_star(m) for m in means]
        self.game = [game_value(d, self.pd, pg, self.xs) for pg, d in self.curves]
        super().__init__(means, mean, "mean of p_g", (12, 3.4))

    def _d_star(self, mean):
        pg = torch.exp(-0.5 * ((self.xs - mean) / self.std) ** 2) / (self.std * math.sqrt(2 * math.pi))
        return pg, self.pd / (self.pd + pg).clamp(min=1e-300)

    def draw(self, fig, i):
        (pg, d), xs = self.curves[i], self.xs.numpy()
        ax_p, ax_d, ax_v = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 0.8]})
        ax_p.plot(xs, self.pd, label="p_data"), ax_p.plot(xs, pg, label="p_g")
        ax_p.set_title(f"p_g = N({self.values[i]:g}, {self.std:g}²)"), ax_p.legend(fontsize=7)
        ax_d.plot(xs, d, "k"), ax_d.axhline(0.5, color="0.5", ls=":")
        ax_d.set_ylim(0, 1), ax_d.set_title("D*(x) = p_data / (p_data + p_g)")
        for ax in (ax_p, ax_d):
            ax.set_xlim(-6, 6), ax.set_xlabel("x")
        ax_v.plot(self.values, self.game, color="tab:purple")
        ax_v.plot([self.values[i]], [self.game[i]], "o", color="tab:purple")
        ax_v.axhline(-math.log(4), color="0.5", ls=":", label="−log 4 (p_g = p_data)")
        ax_v.set_xlabel("mean of p_g"), ax_v.legend(fontsize=7, loc="upper right")
        ax_v.set_title(f"V(D*) = {self.game[i]:.3f}")


class TruncationSlider(_OneSlider):
    """Notebook 03: sample G(ψ z) for one fixed batch of z; ψ < 1 shrinks every code.

    For each ψ in `psis`, n samples are scored by the shipped classifier: the share it
    reads with confidence (> 0.9, quality), how far the samples spread from their mean
    image (variety, the RMS pixel distance) and which digits they are.
    """

    def __init__(self, gan, psis=(0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5), n=500, seed=0, psi=1.0, classifier=None):
        from . import classifier as _classifier

        self.gan = gan
        z = gan.noise(n, seed=seed)
        self.pictures, self.confident, self.spread, self.histograms = [], [], [], []
        for psi in psis:
            images = gan.sample(z=psi * z)
            probs, _ = _classifier.predict(images, classifier)
            top, digit = probs.max(1)
            self.confident.append(float((top > 0.9).float().mean()))
            self.histograms.append(torch.bincount(digit, minlength=10).tolist())
            flat = images.flatten(1).float().cpu()
            self.spread.append(float((flat - flat.mean(0)).pow(2).sum(1).mean().sqrt()))
            self.pictures.append(images[:24].cpu())
        super().__init__(psis, psi, "ψ", (13, 3.3))

    def draw(self, fig, i):
        ax_img, ax_q, ax_h = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1, 1]})
        _plots.show_images(self.pictures[i], nrow=6, ax=ax_img, title=f"G(ψ z), ψ = {self.values[i]:g}")
        ax_q.plot(self.values, self.confident, "o-", color="tab:blue", label="read with confidence (quality)")
        ax_s = ax_q.twinx()
        ax_s.plot(self.values, self.spread, "s-", color="tab:orange", label="spread (variety)")
        ax_q.axvline(self.values[i], color="0.3", lw=1)
        ax_q.set_ylim(0, 1), ax_q.set_xlabel("ψ"), ax_q.set_ylabel("confident share", color="tab:blue")
        ax_s.set_ylabel("RMS distance to the mean image", color="tab:orange")
        ax_q.set_title(f"confident {self.confident[i]:.0%}, spread {self.spread[i]:.1f}")
        ax_h.bar(range(10), self.histograms[i], color="0.4")
        ax_h.set_xticks(range(10)), ax_h.set_xlabel("digit (classifier's reading)")
        ax_h.set_title(f"{sum(h > 0 for h in self.histograms[i])} digits present")


class PriorSlider(W.VBox):
    """Notebook 01: slide the class prior p(y=1) and redraw the generative model's boundary.

    model: a ganlab.basics.GaussianClassifier (the slider moves the prior of its own copy,
    `self.model`); x, y: the 2D points and their labels.
    """

    def __init__(self, model, x, y, names=("class 0", "class 1"), discriminative=None):
        from . import basics

        self.model = copy.deepcopy(model)        # its own copy: moving p(y) leaves the caller's model as it was
        self.x, self.y, self.names = x, y, names
        self.discriminative = discriminative
        self.slider = W.FloatSlider(value=float(model.prior[1]), min=0.02, max=0.98, step=0.02,
                                    description="p(y=1)", continuous_update=True)
        self.image = W.Image(format="png")
        self._basics = basics
        self.slider.observe(lambda ch: self._redraw(), names="value")
        self._redraw()
        super().__init__([self.slider, self.image])

    def _redraw(self):
        self.model.set_prior(self.slider.value)
        fig = Figure(figsize=(5, 4))
        ax = fig.subplots()
        self._basics.plot_boundaries(self.x, self.y, generative=self.model,
                                     discriminative=self.discriminative, ax=ax, names=self.names)
        ax.set_title(f"p(y=1) = {self.slider.value:.2f}")
        self.image.value = _plots.figure_png(fig, dpi=72)
