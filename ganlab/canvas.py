"""A 2D canvas in the notebook that Python paints and the mouse draws on, and a drawing pad.

    Canvas2D(bounds)        the canvas: D's heatmap, real and generated points, gradient
                            arrows, the warped noise grid, a chart and a mode strip, all sent
                            from Python as arrays; points drawn with the mouse come back
    DrawTarget(preset)      a pad to draw a 2D target on: add, erase, clear, presets
                            (ring, two clusters, grid, spiral) and text ("GAN", your initials)

Why anywidget. The live view must redraw many times a second while a GAN trains, and the
learner must draw on it with the mouse. The old view drew a matplotlib figure to PNG in the
kernel for every frame (about 0.3 s); here Python only computes the arrays (D on a grid, G's
samples and gradients) and sends them as bytes, and a ~200-line JavaScript module
(static/canvas2d.js) paints them: a frame costs the kernel a few milliseconds
(`python -m benchmarks.widgets` measures it). We tried the alternatives. ipycanvas draws
from Python command by command and needs its own JupyterLab extension; ipyevents gives mouse
events but no drawing, so it would go with PNG frames again. anywidget ships the JavaScript
with the Python class, with no extension to install: its front end is built into its own
package and it is documented to run in JupyterLab, Notebook 7, Colab and VS Code (see the
README for what was checked here and what rests on anywidget's word). The mouse never
waits for the kernel: a stroke is drawn in the page and sent back as one list when the
button is released.
"""
import math
from pathlib import Path

import anywidget
import ipywidgets as W
import torch
import traitlets as T

STATIC = Path(__file__).parent / "static"


class Canvas2D(anywidget.AnyWidget):
    """The canvas widget. Python sets the arrays (see static/canvas2d.js for what each means)."""

    _esm = STATIC / "canvas2d.js"
    _css = STATIC / "canvas2d.css"
    size = T.Int(360).tag(sync=True)
    bounds = T.List(T.Float(), [-2.0, 2.0, -2.0, 2.0]).tag(sync=True)       # x0, x1, y0, y1
    heat = T.Bytes(b"").tag(sync=True)                  # uint8, heat_res², row 0 at y0
    heat_res = T.Int(0).tag(sync=True)
    real = T.Bytes(b"").tag(sync=True)                  # float32 (x, y) pairs
    fake = T.Bytes(b"").tag(sync=True)
    arrows = T.Bytes(b"").tag(sync=True)                # float32 displacement per fake point
    grid = T.Bytes(b"").tag(sync=True)                  # float32 polylines, grid_points points each
    grid_points = T.Int(0).tag(sync=True)
    drawing = T.List(T.Float(), []).tag(sync=True)      # flat [x0, y0, x1, y1, ...]: the mouse's points
    tool = T.Unicode("none").tag(sync=True)             # "none", "add" or "erase"
    brush_px = T.Int(12).tag(sync=True)
    title = T.Unicode("").tag(sync=True)
    legend = T.Unicode("").tag(sync=True)               # one line along the bottom
    chart = T.Dict({}).tag(sync=True)                   # {x, series: [{name, color, y}], ymax, title}
    strip = T.Bytes(b"").tag(sync=True)                 # uint8 rows x columns (the mode timeline)
    strip_shape = T.List(T.Int(), [0, 0]).tag(sync=True)
    strip_title = T.Unicode("").tag(sync=True)

    @property
    def extent(self):
        x0, x1, y0, y1 = self.bounds
        return max(x1 - x0, y1 - y0)


def as_bytes(t, dtype=torch.float32):
    """A tensor as the raw bytes the canvas reads (float32 or uint8, C order)."""
    return t.detach().to("cpu", dtype).contiguous().numpy().tobytes()


# ---------------------------------------------------------------- presets (data units, for bounds ±2)

def _curve(t, f):
    return torch.stack(f(t), 1)


def preset_points(name, spacing=0.05):
    """A preset drawing: (N, 2) points along its strokes, about `spacing` apart."""
    if name == "ring":
        t = torch.arange(0, 2 * math.pi, spacing / 1.3)
        return _curve(t, lambda t: (1.3 * torch.cos(t), 1.3 * torch.sin(t)))
    if name == "two clusters":
        g = torch.Generator().manual_seed(0)
        blob = torch.randn(150, 2, generator=g) * 0.15
        return torch.cat([blob + torch.tensor([-1.0, -0.6]), blob + torch.tensor([1.0, 0.8])])
    if name == "grid":
        g = torch.Generator().manual_seed(0)
        centres = torch.tensor([(x, y) for x in (-1.2, 0.0, 1.2) for y in (-1.2, 0.0, 1.2)])
        return (centres[:, None] + torch.randn(9, 30, 2, generator=g) * 0.08).reshape(-1, 2)
    if name == "spiral":
        t = torch.arange(0.6, 3 * math.pi, 0.04)
        r = 0.14 * t
        return _curve(t, lambda t: (r * torch.cos(t), r * torch.sin(t)))
    raise ValueError(f"unknown preset {name!r}; presets: {', '.join(DrawTarget.PRESETS)} (or write text)")


def text_points(text, spacing=0.05, width=3.2):
    """Points along the outline of `text` (e.g. your initials), centred and `width` wide."""
    from matplotlib.textpath import TextPath

    if not text.strip():
        raise ValueError("write some text, e.g. your initials")
    path = TextPath((0, 0), text.strip(), size=1.0)
    polygons = [torch.tensor(p, dtype=torch.float32) for p in path.to_polygons() if len(p) > 1]
    lo = torch.cat(polygons).min(0).values
    hi = torch.cat(polygons).max(0).values
    scale = width / max((hi - lo)[0].item(), 1e-6)
    points = []
    for poly in polygons:
        poly = (poly - (lo + hi) / 2) * scale
        for a, b in zip(poly[:-1], poly[1:]):
            k = max(1, int((b - a).norm() / spacing))
            points.append(a + (b - a) * torch.arange(k)[:, None] / k)
    return torch.cat(points)


class DrawTarget(W.VBox):
    """Draw a 2D target with the mouse: points along your strokes become the data.

    Tools: add (draw strokes), erase (rub points out), clear, a preset menu and a text
    field ("write" lays your initials out as points). `points` is the drawing, (N, 2);
    `sample(n)` draws n target samples from it (a drawn point plus a little noise, so the
    target is a density, not N exact points). set_points / preset / write / clear do what
    the controls do.
    """

    PRESETS = ("ring", "two clusters", "grid", "spiral")

    def __init__(self, preset="ring", text=None, bounds=(-2.0, 2.0), size=360, jitter=0.04, canvas=None):
        self.jitter = jitter
        self.canvas = canvas or Canvas2D(size=size, bounds=[bounds[0], bounds[1], bounds[0], bounds[1]])
        self.canvas.tool = "add"
        self.tools = W.ToggleButtons(options=[("add", "add"), ("erase", "erase")], value="add",
                                     style={"button_width": "60px"})
        self.tools.observe(lambda ch: setattr(self.canvas, "tool", ch["new"]), names="value")
        self.clear_button = W.Button(description="clear", icon="trash", layout=W.Layout(width="80px"))
        self.clear_button.on_click(lambda _: self.clear())
        self.presets = W.Dropdown(options=("(preset)",) + self.PRESETS, value="(preset)",
                                  layout=W.Layout(width="130px"))
        self.presets.observe(self._picked, names="value")
        self.text = W.Text(value=text or "GAN", placeholder="your initials", layout=W.Layout(width="80px"))
        self.write_button = W.Button(description="write", layout=W.Layout(width="60px"))
        self.write_button.on_click(lambda _: self.write(self.text.value))
        if text:
            self.write(text)
        elif preset:
            self.preset(preset)
        super().__init__([W.HBox([self.tools, self.clear_button, self.presets, self.text, self.write_button]),
                          self.canvas])

    @property
    def points(self):
        """The drawing: (N, 2) float32."""
        return torch.tensor(self.canvas.drawing, dtype=torch.float32).reshape(-1, 2)

    def set_points(self, points):
        points = torch.as_tensor(points, dtype=torch.float32)
        if points.dim() != 2 or points.shape[1] != 2:
            raise ValueError(f"points must have shape (N, 2), got {tuple(points.shape)}")
        self.canvas.drawing = points.reshape(-1).tolist()

    def preset(self, name):
        """What the preset menu does: replace the drawing with a preset shape."""
        self.set_points(preset_points(name))

    def write(self, text):
        """What 'write' does: replace the drawing with `text`'s outline (your initials)."""
        self.set_points(text_points(text, width=0.8 * self.canvas.extent))

    def clear(self):
        """What 'clear' does: an empty drawing."""
        self.canvas.drawing = []

    def _picked(self, change):
        if change["new"] in self.PRESETS:
            self.preset(change["new"])
            self.presets.value = "(preset)"          # the menu is an action, not a state

    def sample(self, n, seed=None, device=None):
        """n target samples: random drawn points plus N(0, (jitter·extent/4)²) noise, (n, 2)."""
        points = self.points
        if len(points) == 0:
            raise ValueError("the drawing is empty: draw something (or pick a preset) first")
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        idx = torch.randint(len(points), (n,), generator=g)
        noise = torch.randn(n, 2, generator=g) * self.jitter * self.canvas.extent / 4
        return (points[idx] + noise).to(device or "cpu")
