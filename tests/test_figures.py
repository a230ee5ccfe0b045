"""Every figure of the series is one a reader can read at notebook width.

How every figure the notebooks draw gets checked (the decision): re-running all seven
notebooks in reference mode only to look at their figures would add ~2.5 min to a suite
that must stay under 10. Instead the suite's conftest sets GANLAB_FIGURE_CHECK=1; the
notebooks' kernels inherit it, and importing ganlab.plots there adds a call at the end
of every cell (ganlab.figure_check.install_notebook_check) that runs plots.check_figure on each
figure the cell drew, before the inline backend shows it, and fails the cell on a
problem. So nbval's quick-mode run of every notebook checks every figure every notebook
draws, the same code drawing the same panels and titles as reference mode, at no extra
cost. (scripts/render checks in reference mode are for a person: GANLAB_FIGURE_CHECK=warn.)

The tests here show the check catches what the December review found by eye (each
rebuilt as a small bad figure), passes the course's plotting helpers, and works in a
kernel-like setting (the cell transformer).
"""
import ast

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import ganlab
from ganlab import basics, collapse, figure_check, models, plots, recipes, style, widgets


@pytest.fixture(autouse=True)
def course_style():
    with plt.rc_context():
        plots.use_style()
        yield


def legends_outside_their_axes(fig):
    """True when every legend of the figure sits outside its axes' data area."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            a, b = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
            if a.x0 < b.x1 - 1 and a.y0 < b.y1 - 1 and a.x1 > b.x0 + 1 and a.y1 > b.y0 + 1:
                return False
    return True


def labelled(ax):
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


def has(problems, words):
    return any(words in p for p in problems)


@pytest.fixture(scope="module")
def toy():
    gan = recipes.toy_gan(hidden=(16,), batch_size=64, seed=0)
    data = ganlab.data.toy("ring8", 500, seed=0)
    gan.fit(data, steps=20, progress=False)
    return gan, data


# ------------------------------------------------- the review's defects, rebuilt: the check fails each

def test_check_fails_a_figure_wider_than_a_notebook_column():
    fig, axes = plt.subplots(1, 5, figsize=(20, 4))          # 06's unrolled figure: 1,990 px
    for ax in axes:
        ax.plot([0, 1], [0, 1]), ax.set_title("grid25, GAN")
    assert has(plots.check_figure(fig), "px wide")
    assert not has(plots.check_figure(plots.fit_width(fig)), "px wide")


def test_check_fails_tiny_titles_and_legends():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], label="ours")
    ax.set_title("modes covered", fontsize=5)                  # 06 c36's titles shrunk to ~5 pt
    ax.legend(fontsize=6)
    problems = plots.check_figure(fig)
    assert has(problems, "title 'modes covered' at 5.0 pt") and has(problems, "legend entry 'ours' at 6.0 pt")


def test_check_fails_a_legend_over_a_colour_bar():
    """02 c17's toy_view: a legend placed right of the axes, where tight_layout also put the colour bar."""
    fig = plt.figure(figsize=(6.4, 5), layout="none")
    ax = fig.subplots()
    im = ax.imshow(np.random.default_rng(0).random((20, 20)), cmap="RdBu")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="D(x)")
    ax.scatter([1, 2], [3, 4], label="real"), ax.scatter([5, 6], [7, 8], label="generated")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    assert has(plots.check_figure(fig), "overlaps colour bar 'D(x)'")


def test_check_fails_tick_labels_that_run_together():
    """05 c12: long tick labels on a narrow linear axis spanning decades."""
    fig, ax = plt.subplots(figsize=(2.5, 2.5))
    ax.plot([0, 1], [0, 1])
    ax.set_xticks(np.linspace(0, 1, 8), [f"{v:.6f}" for v in np.linspace(0, 1, 8)])
    assert has(plots.check_figure(fig), "x tick label")


def test_check_fails_text_outside_the_figure():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.text(1.3, 0.5, "a note placed past the right edge", transform=ax.transAxes)
    assert has(plots.check_figure(fig), "reaches outside the figure")


def test_check_fails_a_title_over_another_panels_title():
    """02 c17: tight_layout after a constrained layout let titles collide."""
    fig = plt.figure(figsize=(5, 3), layout="none")
    for ax in fig.subplots(1, 2):
        ax.set_title("GAN on grid25, step 3000, seconds budget spent")
    assert has(plots.check_figure(fig), "overlaps title")


# ------------------------------------------------- the course's helpers pass it

def test_helpers_pass_the_check(toy):
    gan, data = toy
    figs = {"histograms": plots.distance_histograms({"a": torch.rand(50), "b": torch.rand(50) + 1}),
            "digits": plots.digit_histograms({"real": [10] * 10, "generated": list(range(10))}),
            "curves": plots.training_curves(gan.history),
            "saturation": plots.generator_gradient_curves(),
            "toy view": plots.toy_view(gan, data),
            "surface": plots.score_surface(gan.discriminator, data),
            "modes": plots.samples_over_modes(gan.sample(300), "grid25"),
            "confusion": plots.confusion_matrix(np.eye(10) * 40 + 1, title="asked vs read"),
            "snapshots": plots.snapshot_strip([torch.zeros(16, 1, 28, 28)] * 9, [0, *range(5000, 45000, 5000)],
                                              batch_size=64),
            "nearest": plots.nearest_neighbours_grid(torch.rand(4, 1, 28, 28), torch.rand(30, 1, 28, 28)),
            "labels": plots.show_images(torch.zeros(20, 1, 28, 28), nrow=10, labels=list(range(20)))}
    for name, fig in figs.items():
        assert plots.check_figure(fig) == [], name
        plt.close(fig)


def test_histograms_and_curves(toy):
    gan, _ = toy
    figs = [plots.distance_histograms({"a": torch.rand(50), "b": torch.rand(50) + 1}),
            plots.digit_histograms({"real": [10] * 10, "generated": list(range(10))}),
            plots.training_curves(gan.history),
            plots.generator_gradient_curves()]
    for fig in figs:
        data_axes = [ax for ax in fig.axes if ax.lines or ax.patches]
        assert data_axes and all(labelled(ax) for ax in data_axes), fig
        assert legends_outside_their_axes(fig)
        plt.close(fig)


def test_histograms_share_their_bins():
    fig = plots.distance_histograms({"real": torch.rand(200), "noise": torch.rand(200) * 3 + 5})
    a, b = fig.axes[0].containers
    assert np.isclose(a[0].get_width(), b[0].get_width())        # one bin width for both groups


def test_training_curves_draw_the_equilibrium_and_log_steps(toy):
    gan, _ = toy
    history = dict(step=list(range(1, 5001)), d_loss=[1.4] * 5000, g_loss=[0.7] * 5000,
                   d_real=[0.5] * 5000, d_fake=[0.5] * 5000)
    fig = plots.training_curves(history)
    losses, scores = fig.axes[:2]
    assert losses.get_xscale() == "log"                       # 5,000 steps span more than two decades
    assert any(np.allclose(line.get_ydata(), np.log(4)) for line in losses.lines)
    assert any(np.allclose(line.get_ydata(), 0.5) for line in scores.lines)
    critic = dict(history, d_real=[3.0] * 5000, d_fake=[-2.0] * 5000)          # raw scores: no ½ line
    assert not any(np.allclose(line.get_ydata(), 0.5) for line in plots.training_curves(critic).axes[1].lines)


def test_samples_over_modes_shows_each_modes_high_quality_disc():
    centres, std = ganlab.data.toy_modes("grid25")
    fig = plots.samples_over_modes(centres.repeat(4, 1), "grid25")
    ax = fig.axes[0]
    discs = [p for p in ax.patches if hasattr(p, "radius")]
    assert len(discs) == 25 and all(np.isclose(d.radius, 3 * float(std)) for d in discs)
    samples, modes = ax.collections[0], ax.collections[1]
    assert modes.get_zorder() > samples.get_zorder() > discs[0].get_zorder()        # hollow modes above a haze
    assert modes.get_facecolor().size == 0                                              # hollow markers


def test_the_palette_gives_a_method_one_colour():
    assert style.colour("WGAN-GP") == style.colour("WGAN-GP, lr 1e-4") == style.METHODS["wgan-gp"]
    assert style.colour("PacGAN4 (ours)") != style.colour("PacGAN2 (ours)")
    assert style.colour("PacGAN4 (ours)") == style.colour("PacGAN4, paper at 400k steps")
    named = set(style.METHODS.values())
    assert style.FAKE not in named and style.ERROR not in named
    assert style.colour("something new") == style.colour("something new")


def test_snapshot_rule_is_log_spaced_in_images_seen():
    moments = style.snapshot_images(45_683 * 128)
    assert moments[:5] == [0, 1_000, 2_000, 5_000, 10_000] and moments[-1] == 45_683 * 128
    decades = np.log10(moments[1:-1])
    assert np.allclose(decades[3:] - decades[:-3], 1.0)                # three per factor of ten, every decade
    assert style.snapshot_images(500) == [0, 500] and style.next_snapshot(5_000) == 10_000


def test_a_strip_halves_its_moments_until_they_fit_and_refuses_fewer_than_three_frames():
    steps = [0] + [-(-m // 64) for m in style.snapshot_images(10_000 * 64)[1:-1]] + [10_000]
    snaps = [torch.zeros(16, 1, 28, 28)] * len(steps)
    for frames in (3, 4, 5):
        fig = plots.snapshot_strip(snaps, steps, batch_size=64, frames=frames)
        assert 3 <= len(fig.axes) <= frames
        plt.close(fig)
    with pytest.raises(ValueError, match="at least 3"):
        plots.snapshot_strip(snaps, steps, batch_size=64, frames=2)


def test_two_models_strips_show_the_same_numbers_of_images_seen():
    def frames(batch, last):
        steps = [0] + [-(-m // batch) for m in style.snapshot_images(last * batch)[1:-1]] + [last]
        fig = plots.snapshot_strip([torch.zeros(16, 1, 28, 28)] * len(steps), steps, batch_size=batch)
        shown = [int(ax.get_title().split("\n")[0].removeprefix("step ").replace(",", "")) * batch for ax in fig.axes]
        plt.close(fig)
        return shown
    mlp, dcgan = frames(128, 45_683), frames(64, 26_000)                     # 5.8M and 1.7M images
    assert len(mlp) <= 9 and len(dcgan) <= 9 and mlp[-1] == 45_683 * 128 and dcgan[-1] == 26_000 * 64
    moments = [0, 5_000, 20_000, 100_000, 500_000]                            # every other moment from 5,000
    assert all(m <= a < m + 128 and m <= b < m + 64 for m, a, b in zip(moments, mlp, dcgan))
    assert len(dcgan) == len(moments) + 1


def test_the_cell_transformer_checks_figures_and_keeps_the_cells_value():
    tree = figure_check._CheckCells().visit(ast.parse("x = 1\nx + 1"))
    assert ast.unparse(tree).splitlines()[-1] == "_ganlab_check_figures(x + 1)"
    tree = figure_check._CheckCells().visit(ast.parse("y = 2"))
    assert ast.unparse(tree).splitlines()[-1] == "_ganlab_check_figures()"
    check = figure_check._cell_check("raise")
    plt.close("all")
    assert check(5) == 5
    fig, _ = plt.subplots(figsize=(20, 3))
    with pytest.raises(AssertionError, match="px wide"):
        check()


def test_two_dimensional_views(toy):
    gan, data = toy
    view = plots.toy_view(gan, data)
    main = view.axes[0]
    assert labelled(main) and legends_outside_their_axes(view)
    assert len(view.axes) == 2 and view.axes[1].get_ylabel() == "D(x)"          # the heatmap's colour bar
    surface = plots.score_surface(gan.discriminator, data)
    assert len(surface.axes) == 2 and surface.axes[1].get_ylabel() == "critic score"
    modes = plots.samples_over_modes(gan.sample(300), "ring8")
    assert labelled(modes.axes[0]) and modes.axes[0].get_xlim() == modes.axes[0].get_ylim()
    flat = plots.surface(torch.nn.Sequential(torch.nn.Linear(2, 1)), ((-1, 1), (-1, 1)))
    flat["scores"] = torch.full_like(flat["scores"], 3.0) + 1e-9 * torch.rand_like(flat["scores"])
    image = plots.score_surface(flat, data).axes[0].images[0]
    low, high = image.get_clim()
    assert high - low >= 1e-3                 # rounding noise is not stretched over the colour scale
    noted = plots.score_surface(flat, data, flat_note=True)
    assert len(noted.axes) == 1 and "flat" in noted.axes[0].texts[0].get_text()     # a note, not a colour bar


def test_timeline_and_boundaries():
    t = collapse.coverage_over_time(recipes.toy_gan(hidden=(8,), batch_size=32), ganlab.data.toy("ring8", 300),
                                    "ring8", steps=4, every=2, n_samples=50, progress=False)
    fig = plots.mode_timeline(t["nearest"], t["step"])
    assert labelled(fig.axes[0]) and len(fig.axes) == 2                       # with its colour bar
    x, y = basics.two_classes(100)
    fig = basics.plot_boundaries(x, y, generative=basics.GaussianClassifier().fit(x, y))
    assert labelled(fig.axes[0]) and legends_outside_their_axes(fig)
    fig = basics.plot_density(basics.GaussianClassifier().fit(x, y).log_density, x)
    assert labelled(fig.axes[0]) and fig.axes[1].get_ylabel() == "p(x)"          # with its colour bar


def test_live_view_figure_keeps_its_legends_clear():
    live = widgets.LiveView(target="ring8", hidden=(16,), remedies=("packing",), timeline=True)
    live.step("both", 2, redraw=False)
    fig = live.figure()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    assert legends_outside_their_axes(fig)
    assert all(labelled(ax) for ax in fig.axes[:2]) and plots.check_figure(fig) == []
    shares = fig.axes[1].get_lines()                     # the record beside the picture, as the view keeps it
    assert [list(line.get_ydata()) for line in shares] == [live.record["on_target"], live.record["covered"]]
    empty = widgets.LiveView(target="draw", hidden=(8,))
    empty.pad.clear()
    with pytest.raises(ValueError, match="draw a target"):
        empty.figure()


def test_diagrams_pass_the_check_and_read_shapes_from_the_models():
    from ganlab import diagrams, models

    G, D = models.dcgan_generator(width=8), models.dcgan_discriminator(width=8)
    rows = diagrams.layer_shapes(G, torch.zeros(2, 100))
    assert [shape for _, shape in rows] == [(100,), (32, 7, 7), (16, 14, 14), (1, 28, 28)]
    fig = diagrams.dcgan_layers(G, D)
    labels = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"32×7×7", "16×14×14", "1×28×28", "8×14×14", "16×7×7", "1×1×1 score"} <= labels
    for fig in (fig, diagrams.training_loop(), diagrams.discriminator_vs_critic(),
                diagrams.conditional_gan(recipes.conditional_mnist()), diagrams.packing(4)):
        assert plots.check_figure(fig) == []
        plt.close(fig)


def test_the_dcgan_diagram_leaves_the_callers_networks_as_they_were():
    from ganlab import diagrams
    G, D = models.dcgan_generator(width=4), models.dcgan_discriminator(width=4)
    fig = diagrams.dcgan_layers(G, D)
    assert G.training and D.training                              # not switched to eval mode
    plt.close(fig)
