"""Pictures of a generator steered by hand, and a game with them.

    SliderPanel(...)            one code vector, sliders for some of its dimensions, "new random",
                                a render callback: the panel behind the next two
    LatentSliders(gan)          drag a few latent dimensions, see the image change
    DigitAndStyle(cgan)         notebook 07: pick the digit, drag the style, see that style as all ten digits
    InterpolationSlider(gan)    walk the straight (or great-circle) line between two codes
    SpotTheFake(real, fake)     a real and a generated image side by side: click the fake, keep score

ipywidgets 8 boxes; pictures are PNG bytes in an ipywidgets.Image. Import them from
ganlab.widgets (which holds every widget by name).
"""
import torch
import ipywidgets as W

from . import plots as _plots


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
