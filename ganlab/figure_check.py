"""The figure check: what a machine can see wrong with a figure at notebook width.

    check_figure(fig)            a list of sentences (empty: nothing found)
    install_notebook_check()     in a notebook kernel, check every figure each cell draws

The test suite sets GANLAB_FIGURE_CHECK=1 (conftest.py), so every notebook's figures are
checked while nbval runs them; tests/test_figures.py shows the check failing the defects a
December 2026 review found by eye.
"""
import os

from .style import MAX_WIDTH_PX, MIN_FONT_PT


def _renderer(fig):
    """Lay the figure out as a draw would (constrained layout, tick positions) without painting a
    pixel, and return the renderer that measures its text."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()


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
