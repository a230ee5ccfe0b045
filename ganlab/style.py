"""The course's one look: a palette, a width, font sizes, and a check a machine can run.

    use_style()                 apply it (each notebook's setup cell calls plots.use_style() once)
    colour("WGAN-GP")           the one colour a method has in every figure of the series
    REAL, REAL_1D, FAKE, ERROR  real samples (black in 2D, dark blue in 1D), generated, errors
    snapshot_images(last)       the snapshot rule: 0, then 1, 2 and 5 x 10^k images seen, then the last
    log_steps(last)             0, then log-spaced steps up to the last (for curves measured at a few steps)
    legend_outside(ax), legend_below(ax), fit_width(fig)   where legends go; a figure shrunk to the cap

Nothing here changes matplotlib on import; use_style() does, once, when asked.
"""
import math
import re

import matplotlib as mpl
import matplotlib.pyplot as plt

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


SNAPSHOT_SERIES = (1, 2, 5)        # the snapshot moments: these times each power of ten, in images seen


def snapshot_images(last, first=1_000):
    """The snapshot rule of the series, in images seen: 0, then 1, 2 and 5 times each power of
    ten from `first` up to `last`, then `last`. The moments depend on neither the batch size nor
    the budget, so the snapshots of any two models line up on images seen, and the early ones
    (where a generator draws its first strokes) are as many per factor of ten as the late ones."""
    out, value = [0], next_snapshot(0, first)
    while value < last:
        out.append(value)
        value = next_snapshot(value, first)
    return out + [int(last)] if last > 0 else out


def next_snapshot(seen, first=1_000):
    """The first moment of the snapshot rule after `seen` images (none before `first`)."""
    seen = max(seen, first - 1, 1)
    power = 10 ** math.floor(math.log10(seen))
    return min(m * p for p in (power, 10 * power) for m in SNAPSHOT_SERIES if m * p > seen)


def log_steps(last, first=300, per_decade=2):
    """Step 0, then steps spaced evenly on a log scale from
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


# ------------------------------------------------------------------ layout helpers

def legend_outside(ax, **kwargs):
    """A legend to the right of the axes, outside the data."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def _new(ax, figsize):
    if ax is None:
        w, h = figsize
        if w > MAX_WIDTH_IN:
            w, h = MAX_WIDTH_IN, h * MAX_WIDTH_IN / w
        fig, ax = plt.subplots(figsize=(w, h), layout="constrained")    # leaves room for outside legends
        return fig, ax
    return ax.figure, ax


def fit_width(fig, width=MAX_WIDTH_IN):
    """Shrink a figure drawn wider than the course's cap to `width` inches (keeping its proportions)."""
    w, h = fig.get_size_inches()
    if w > width:
        fig.set_size_inches(width, h * width / w)
    return fig


def legend_below(ax, ncol=2, **kwargs):
    """A legend under the axes (under the x label), for figures with a colour bar on the right."""
    from matplotlib.transforms import offset_copy

    below = offset_copy(ax.transAxes, fig=ax.figure, y=-36, units="points")    # past the tick labels and x label
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below, ncol=ncol,
                     borderaxespad=0.0, **kwargs)
