"""Every plotting helper draws a figure a learner can read: labelled axes, legends beside the data, scales."""
import matplotlib.pyplot as plt
import pytest
import torch

import ganlab
from ganlab import basics, collapse, plots, recipes, widgets


def legends_outside_their_axes(fig):
    """True when every legend of the figure sits right of its axes (outside the data)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            if legend.get_window_extent(renderer).x0 < ax.get_window_extent(renderer).x1 - 1:
                return False
    return True


def labelled(ax):
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


@pytest.fixture(scope="module")
def toy():
    gan = recipes.toy_gan(hidden=(16,), batch_size=64, seed=0)
    data = ganlab.data.toy("ring8", 500, seed=0)
    gan.fit(data, steps=20, progress=False)
    return gan, data


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
    live = widgets.LiveTraining2D(steps_per_frame=1)
    live.step("both", 2, redraw=False)
    fig = live.figure()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    assert legends_outside_their_axes(fig)
    assert all(labelled(ax) for ax in fig.axes[1:3])
