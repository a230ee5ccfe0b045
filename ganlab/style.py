"""The course's one look: a palette, a width, font sizes, and a check a machine can run.

    use_style()                 apply it (each notebook's setup cell calls plots.use_style() once)
    colour("WGAN-GP")           the one colour a method has in every figure of the series
    REAL, REAL_1D, FAKE, ERROR  real samples (black in 2D, dark blue in 1D), generated, errors
    log_steps(last)             the snapshot rule: 0, then log-spaced steps up to the last
    check_figure(fig)           what a reader would find wrong at notebook width (a list of sentences)

Nothing here changes matplotlib on import; use_style() does, once, when asked.
"""
import math
import os
import re

import matplotlib as mpl
from matplotlib.text import Text

REAL = "black"             # real samples in 2D pictures
REAL_1D = "#1f3b73"        # real data as a histogram or a curve (dark blue)
FAKE = "#e66100"           # generated samples, everywhere
ERROR = "#c0182a"          # red: only for something wrong (a missed mode, a failed check)
REFERENCE = "0.35"         # reference lines: ½, log 4, a threshold
GRID = "0.55"              # the warped noise grid

DPI = 100                  # the notebook's dpi: figure inches x DPI = pixels on screen
MAX_WIDTH_IN = 10.0        # a notebook column shows about 1,000 px without shrinking
MAX_WIDTH_PX = int(MAX_WIDTH_IN * DPI)
MIN_FONT_PT = 8            # the smallest text a figure may carry (about 11 px at DPI 100)

# one colour per method, the same in every notebook (none of them is the fake orange or the error red)
METHODS = {
    "gan": "#0072b2",              # the plain (non-saturating) GAN
    "non-saturating": "#0072b2",
    "minimax": "#56b4e9",
    "least-squares": "#a6761d",
    "wgan-clip": "#8c564b",
    "wgan-gp": "#9467bd",
    "pacgan2": "#009e73",
    "pacgan4": "#004d38",
    "unrolled": "#cc79a7",
    "minibatch std": "#8a8a00",
    "mmd": "#17becf",
    "dcgan": "#6a3d9a",
    "mlp": "#b15928",
    "conditional": "#2b8cbe",
    "ema": "#4d4d4d",
}
_ALIASES = {"wgan (clip)": "wgan-clip", "clip": "wgan-clip", "weight clipping": "wgan-clip", "wgan": "wgan-clip",
            "gradient penalty": "wgan-gp", "gp": "wgan-gp", "pacgan": "pacgan2", "pack 2": "pacgan2",
            "pack 4": "pacgan4", "minibatch": "minibatch std", "mbstd": "minibatch std",
            "ns": "non-saturating", "lsgan": "least-squares", "dcgan_tuned": "dcgan", "mlp_mnist": "mlp"}
_SPARE = ["#3b5b92", "#7a9a01", "#b2182b", "#5e3c99", "#1b9e77", "#666666", "#e7298a", "#a6cee3"]


def _key(name):
    return re.sub(r"\s+", " ", str(name).strip().lower().replace("_", " "))


def colour(name):
    """The colour of a method (or model) by name, the same in every figure.

    Looks for a known method name at the start of `name` ("WGAN-GP, lr 1e-4" is WGAN-GP);
    an unknown name gets a fixed spare colour chosen from its letters (stable across runs).
    """
    k = _key(name)
    k = _ALIASES.get(k, k)
    if k in METHODS:
        return METHODS[k]
    words = sorted(list(METHODS) + list(_ALIASES), key=len, reverse=True)     # longest match first
    for w in words:                                                            # a name that starts with one
        if re.match(re.escape(w) + r"(\b|$)", k):
            return METHODS[_ALIASES.get(w, w)]
    for w in words:                                                            # then one anywhere in it
        if re.search(r"\b" + re.escape(w) + r"\b", k):
            return METHODS[_ALIASES.get(w, w)]
    return _SPARE[sum(map(ord, k)) % len(_SPARE)]


RC = {
    "figure.dpi": DPI, "savefig.dpi": DPI,
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
    "legend.fontsize": 9, "legend.title_fontsize": 9, "figure.titlesize": 12,
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=["#0072b2", "#009e73", "#cc79a7", "#8c564b", "#9467bd", "#56b4e9",
                                         "#8a8a00", "#17becf"]),
    "image.cmap": "viridis",
    "legend.frameon": False,
    "axes.formatter.limits": (-4, 5),
}


def use_style():
    """Apply the course's look to every figure drawn after this (sizes, palette, layout, dpi).

    Each notebook calls it once in its setup cell; matplotlib.rcdefaults() undoes it.
    """
    mpl.rcParams.update(RC)


def log_steps(last, first=300, per_decade=2):
    """The snapshot rule of the series: step 0, then steps spaced evenly on a log scale from
    `first` to `last` (per_decade of them per factor of ten, rounded to 2 significant digits),
    then `last`. With batches of the same size, steps are images seen / batch size, so two
    models' strips line up on images seen when both use this rule in images."""
    if last <= 0:
        return [0]
    out = [0]
    if last > first:
        n = max(1, round(per_decade * math.log10(last / first)))
        for i in range(n):
            s = first * (last / first) ** (i / n)
            digits = 10 ** max(0, math.floor(math.log10(s)) - 1)
            out.append(int(round(s / digits) * digits))
    out.append(int(last))
    return sorted(set(out))


# ------------------------------------------------------------------ the check

def _renderer(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas
    if not hasattr(canvas, "get_renderer"):
        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _texts(fig, renderer):
    """(description, box) for every piece of text a reader sees, legends' entries excepted (their box counts)."""
    out = []
    in_legends = set()
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]:
        in_legends.update(id(t) for t in legend.get_texts())
        in_legends.add(id(legend.get_title()))
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        if ax.axison:
            for axis, name in ((ax.xaxis, "x"), (ax.yaxis, "y")):
                if not axis.get_visible():
                    continue
                for tick in axis._update_ticks():
                    for label in (tick.label1, tick.label2):
                        if label.get_visible() and label.get_text():
                            out.append((f"{name} tick label {label.get_text()!r}", label))
                if axis.label.get_visible() and axis.label.get_text():
                    out.append((f"{name} label {axis.label.get_text()!r}", axis.label))
                off = axis.get_offset_text()
                if off.get_visible() and off.get_text():
                    out.append((f"{name} offset {off.get_text()!r}", off))
        for t in (ax.title, ax._left_title, ax._right_title):
            if t.get_visible() and t.get_text():
                out.append((f"title {t.get_text()!r}", t))
        for t in ax.texts:
            if t.get_visible() and t.get_text():
                out.append((f"text {t.get_text()!r}", t))
    for t in fig.texts:
        if t is not fig._suptitle and t.get_visible() and t.get_text():
            out.append((f"figure text {t.get_text()!r}", t))
    if fig._suptitle is not None and fig._suptitle.get_visible() and fig._suptitle.get_text():
        out.append((f"suptitle {fig._suptitle.get_text()!r}", fig._suptitle))
    return [(d, t, t.get_window_extent(renderer)) for d, t in out if id(t) not in in_legends]


def _short(description, n=50):
    return description if len(description) <= n else description[:n - 1] + "…'"


def _overlap(a, b, tol=1.0):
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol


def check_figure(fig, max_width_px=MAX_WIDTH_PX, min_font_pt=MIN_FONT_PT):
    """What a machine can see wrong with a figure at notebook width: a list of sentences (empty: none).

    - wider than max_width_px as a notebook shows it (saved with a tight bounding box at the figure's dpi);
    - text smaller than min_font_pt points (every title, label, tick label, legend entry, note);
    - text reaching outside the figure's own rectangle (cut off wherever the figure is saved plainly);
    - text boxes on top of one another: titles, axis and tick labels, notes, legends, colour bars
      (each artist's window extent, as matplotlib draws it).
    """
    renderer = _renderer(fig)
    problems = []
    width = fig.get_tightbbox(renderer).width * fig.dpi       # as a notebook saves it (tight), less its 0.1-in pads
    if width > max_width_px + 1:
        problems.append(f"{width:.0f} px wide, over the {max_width_px} px a notebook column shows")
    texts = _texts(fig, renderer)
    legends = [lg for lg in fig.legends + [ax.get_legend() for ax in fig.axes] if lg is not None and lg.get_visible()]
    for legend in legends:
        for t in legend.get_texts() + [legend.get_title()]:
            if t.get_text() and t.get_fontsize() < min_font_pt - 1e-6:
                problems.append(f"legend entry {_short(repr(t.get_text()))} at {t.get_fontsize():.1f} pt, "
                                f"under {min_font_pt} pt")
    small = [(d, t) for d, t, _ in texts if t.get_fontsize() < min_font_pt - 1e-6]
    for d, t in small[:5]:
        problems.append(f"{_short(d)} at {t.get_fontsize():.1f} pt, under {min_font_pt} pt")
    if len(small) > 5:
        problems.append(f"... and {len(small) - 5} more texts under {min_font_pt} pt")
    frame = fig.bbox
    for d, t, box in texts:
        if box.x0 < frame.x0 - 2 or box.x1 > frame.x1 + 2 or box.y0 < frame.y0 - 2 or box.y1 > frame.y1 + 2:
            problems.append(f"{_short(d)} reaches outside the figure")
    boxes = [(d, box) for d, _, box in texts]
    boxes += [(f"legend of {_legend_owner(lg)}", lg.get_window_extent(renderer)) for lg in legends]
    boxes += [(f"colour bar {_short(repr(ax.get_ylabel() or ax.get_xlabel()))}", ax.get_window_extent(renderer))
              for ax in fig.axes if _is_colorbar(ax)]
    clashes = 0
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if _overlap(boxes[i][1], boxes[j][1]):
                clashes += 1
                if clashes <= 6:
                    problems.append(f"{_short(boxes[i][0])} overlaps {_short(boxes[j][0])}")
    if clashes > 6:
        problems.append(f"... and {clashes - 6} more overlapping pairs")
    return problems


def _legend_owner(legend):
    ax = getattr(legend, "axes", None)
    return repr(ax.get_title()) if ax is not None and ax.get_title() else "the figure"


def _is_colorbar(ax):
    return getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>"


# ------------------------------------------------------- the check in a notebook kernel

def install_notebook_check(mode=None):
    """In a notebook kernel: check every figure each cell draws, before it is shown.

    mode "1"/"raise": a figure with problems fails its cell (the test suite sets
    GANLAB_FIGURE_CHECK=1, so nbval fails on it); "warn": the problems go to stderr.
    Works by adding a call at the end of each cell (an IPython AST transformer), so the
    check runs inside the cell, before the inline backend shows and closes the figures.
    """
    import ast

    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    mode = mode or os.environ.get("GANLAB_FIGURE_CHECK", "")
    if ip is None or mode in ("", "0") or any(isinstance(t, _CheckCells) for t in ip.ast_transformers):
        return False
    ip.user_ns["_ganlab_check_figures"] = _cell_check(mode)
    ip.ast_transformers.append(_CheckCells())
    return True


def _cell_check(mode):
    def check(value=None):
        import sys

        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        figs = [plt.figure(n) for n in plt.get_fignums()]
        if isinstance(value, Figure) and value not in figs:
            figs.append(value)
        found = []
        for fig in figs:
            for p in check_figure(fig):
                title = fig._suptitle.get_text() if fig._suptitle is not None else \
                    next((ax.get_title() for ax in fig.axes if ax.get_title()), "")
                found.append(f"figure {title[:40]!r}: {p}")
        if found:
            message = "FIGCHECK: a figure a reader could not read well:\n  " + "\n  ".join(found)
            if mode == "warn":
                print(message, file=sys.stderr)
            else:
                raise AssertionError(message)
        return value
    return check


class _CheckCells:
    """Wrap a cell's last expression as _ganlab_check_figures(expr) (so its value still shows), or
    append _ganlab_check_figures() when the cell ends in a statement."""

    def visit(self, tree):
        import ast

        call = lambda args: ast.Call(func=ast.Name(id="_ganlab_check_figures", ctx=ast.Load()), args=args,
                                     keywords=[])
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            tree.body[-1].value = call([tree.body[-1].value])
        else:
            tree.body.append(ast.Expr(value=call([])))
        return ast.fix_missing_locations(tree)
