import math

import numpy as np
import pytest
import torch

import ganlab
from ganlab import basics, models, plots, widgets
from ganlab.training import GAN


def toy_gan(loss="non-saturating", latent_dim=2):
    torch.manual_seed(0)
    g = models.mlp_generator(latent_dim=latent_dim, hidden=(16,), out_shape=(2,), output=None)
    d = models.mlp_discriminator(in_shape=(2,), hidden=(16,))
    return GAN(g, d, loss=loss, seed=0)


def linear_critic(wx, wy):
    """A discriminator whose score is wx * x + wy * y, weights set by hand."""
    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight[:] = torch.tensor([[wx, wy]])
        lin.bias.zero_()
    return lin


def image_gan(latent_dim=8):
    torch.manual_seed(0)
    return GAN(models.mlp_generator(latent_dim=latent_dim, hidden=(32,)), models.mlp_discriminator(hidden=(32,)))


def test_image_grid_layout_and_range():
    imgs = torch.stack([torch.full((1, 4, 4), v) for v in (-1.0, 0.0, 1.0)])
    grid = plots.image_grid(imgs, nrow=2, pad=1)
    assert grid.shape == (1 + 2 * 5, 1 + 2 * 5)
    assert grid[1, 1] == 0.0 and grid[1, 6] == 0.5 and grid[6, 1] == 1.0   # -1 -> 0, 0 -> 0.5, 1 -> 1
    assert grid[0, 0] == 1.0                                                # white padding
    png = plots.png_bytes(imgs, nrow=3)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_heatmap_shape_orientation_and_values():
    gan = toy_gan()
    gan.discriminator = linear_critic(1.0, 0.0)         # D's score is the x coordinate
    hm = plots.discriminator_heatmap(gan, ((-2, 2), (-1, 1)), resolution=21)
    assert hm.shape == (21, 21)
    assert hm[0, 0] == pytest.approx(1 / (1 + math.exp(2)), rel=1e-5)    # x = -2: sigmoid(-2)
    assert hm[5, -1] == pytest.approx(1 / (1 + math.exp(-2)), rel=1e-5)  # x = +2, any row
    assert np.allclose(hm[0], hm[-1])                                    # no dependence on y


def test_generator_gradients_point_towards_higher_scores():
    gan = toy_gan()
    gan.discriminator = linear_critic(0.0, 2.0)         # D prefers large y
    _, push = plots.generator_gradients(gan, gan.noise(10, seed=0))
    assert (push[:, 1] > 0).all() and torch.allclose(push[:, 0], torch.zeros(10))


def test_toy_view_and_curves_draw():
    gan = toy_gan("wgan-gp")
    real = ganlab.data.toy("ring8", 300, seed=0)
    gan.fit(real, steps=3, batch_size=32, progress=False)
    fig = plots.toy_view(gan, real)
    assert len(fig.axes) == 2                   # the view and its colour bar
    fig = plots.training_curves(gan)                                     # a critic: no ½, no log 4
    assert [len(a.lines) for a in fig.axes] == [2, 2]
    fig = plots.training_curves(gan.history, equilibrium=True)
    assert [len(a.lines) for a in fig.axes] == [3, 3]
    assert list(fig.axes[1].lines[2].get_ydata()) == [0.5, 0.5]          # the line D = 1/2
    assert np.allclose(fig.axes[0].lines[2].get_ydata(), math.log(4))   # D's loss there, log 4
    assert len(plots.warped_grid(gan, lines=5)) == 10


def test_saturation_curves_match_closed_form():
    fig = plots.generator_gradient_curves()
    (mm, ns) = fig.axes[0].lines
    d = mm.get_xdata()
    # |d/ds log(1 - σ(s))| = σ(s) = D ;  |d/ds -log σ(s)| = 1 - σ(s) = 1 - D
    assert np.allclose(mm.get_ydata(), d, atol=1e-5)
    assert np.allclose(ns.get_ydata(), 1 - d, atol=1e-5)


def test_animation_is_html():
    html = plots.animate_images([torch.zeros(4, 1, 8, 8), torch.ones(4, 1, 8, 8)], titles=["a", "b"])
    assert "<script" in html.data and "anim" in html.data.lower()


def test_latent_sliders_change_the_image():
    gan = image_gan()
    view = widgets.LatentSliders(gan, dims=[0, 3], seed=1)
    before = view.image.value
    view.sliders[1].value = 2.5 if view.sliders[1].value < 0 else -2.5
    assert view.z[0, 3].item() == view.sliders[1].value
    assert view.image.value != before
    before = view.image.value
    view.button.click()
    assert view.image.value != before
    with pytest.raises(ValueError, match="dims"):
        widgets.LatentSliders(gan, dims=[8])


def test_interpolation_endpoints_and_slider():
    z0, z1 = torch.randn(1, 5), torch.randn(1, 5)
    path = widgets.interpolate(z0, z1, 7)
    assert torch.allclose(path[0], z0[0]) and torch.allclose(path[-1], z1[0])
    assert torch.allclose(path[3], (z0[0] + z1[0]) / 2)
    sph = widgets.interpolate(z0, z1, 7, spherical=True)
    assert torch.allclose(sph[-1], z1[0], atol=1e-5)
    gan = image_gan()
    view = widgets.InterpolationSlider(gan)
    start = view.image.value
    view.slider.value = 1.0
    assert view.image.value != start
    assert torch.allclose(view.z_at(1.0), view.z1)


def test_spot_the_fake_scores_right_and_wrong_answers():
    real, fake = torch.ones(5, 1, 4, 4), -torch.ones(3, 1, 4, 4)      # white "real", black "fake" images
    game = widgets.SpotTheFake(real, fake, seed=3, scale=2)
    black, white = plots.png_bytes(fake[:1], nrow=1, scale=2), plots.png_bytes(real[:1], nrow=1, scale=2)
    sides = []
    for k in range(12):
        other = "left" if game.fake_side == "right" else "right"
        assert game.images[game.fake_side].value == black and game.images[other].value == white
        sides.append(game.fake_side)
        guess = game.fake_side if k % 3 else other                    # wrong at k = 0, 3, 6, 9
        assert game.answer(guess) == (guess == sides[-1])
    assert (game.spotted, game.answered) == (8, 12) and "8 of 12" in game.status.value
    assert set(sides) == {"left", "right"}
    again = widgets.SpotTheFake(real, fake, seed=3)
    assert again.fake_side == sides[0]                                 # the seed fixes the sequence
    game.buttons[game.fake_side].click()                               # a click answers too
    assert (game.spotted, game.answered) == (9, 13)
    with pytest.raises(ValueError, match="left"):
        game.answer("middle")
    with pytest.raises(ValueError, match="shape"):
        widgets.SpotTheFake(real, torch.ones(3, 1, 5, 5))


def test_live_view_buttons_train_and_redraw():
    live = widgets.LiveView(target="ring8", hidden=(16,), batch_size=64, steps_per_frame=3, lr=2e-4)
    first = live.canvas.fake
    d_before = [p.clone() for p in live.gan.discriminator.parameters()]
    g_before = [p.clone() for p in live.gan.generator.parameters()]
    live.buttons["d"].click()                   # D only: G untouched
    assert live.gan.step == 1 and live.record["step"] == [0, 1]
    assert all(torch.equal(a, b) for a, b in zip(g_before, live.gan.generator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(d_before, live.gan.discriminator.parameters()))
    d_before = [p.clone() for p in live.gan.discriminator.parameters()]
    live.buttons["g"].click()                   # G only: D untouched, G's samples (and the canvas) move
    assert all(torch.equal(a, b) for a, b in zip(d_before, live.gan.discriminator.parameters()))
    assert live.gan.step == 2 and live.canvas.fake != first
    live.buttons["both"].click()
    assert live.gan.step == 3 and "step <b>3</b>" in live.status.value
    assert live.gan.d_optimizer.param_groups[0]["lr"] == pytest.approx(2e-4)
    live.losses.value = "least-squares"         # the loss menu starts training again with that loss
    assert live.gan.loss.name == "least-squares" and live.gan.step == 0 and live.record["step"] == [0]
    live.run(20, frames=2, progress=False)
    assert live.gan.step == 20 and live.record["step"] == [0, 10, 20]


def test_prior_slider_moves_the_boundary():
    x, y = basics.two_classes(300, seed=0)
    model = basics.GaussianClassifier().fit(x, y)
    view = widgets.PriorSlider(model, x, y)
    before = view.image.value
    share_before = (model.predict_proba(x) > 0.5).float().mean()
    prior = model.prior.clone()
    view.slider.value = 0.9
    assert view.image.value != before
    assert (view.model.predict_proba(x) > 0.5).float().mean() > share_before
    assert torch.equal(model.prior, prior)          # the slider moves its own copy, not the caller's model


def test_gaussian_classifier_matches_closed_form_bayes():
    x, y = basics.two_classes(500, seed=1)
    model = basics.GaussianClassifier().fit(x, y)
    assert torch.allclose(model.means[1], x[y == 1].mean(0))
    pt = torch.tensor([[0.3, -0.2]])
    like = [torch.distributions.MultivariateNormal(model.means[k], model.covs[k]).log_prob(pt).exp()
            for k in (0, 1)]
    p1 = model.prior[1]
    want = like[1] * p1 / (like[1] * p1 + like[0] * (1 - p1))
    assert model.predict_proba(pt).item() == pytest.approx(want.item(), rel=1e-5)
    with pytest.raises(ValueError):
        model.set_prior(1.0)


def test_smooth_is_a_trailing_mean_and_histograms_draw():
    assert plots.smooth([1, 2, 3, 4], 2).tolist() == [1.0, 1.5, 2.5, 3.5]
    assert plots.smooth([5, 7], 1).tolist() == [5, 7]
    fig = plots.distance_histograms({"a": torch.rand(50), "b": torch.rand(50) + 2})
    assert len(fig.axes[0].patches) == 80
    fig = plots.digit_histograms({"real": [1] * 10, "generated": [0] * 9 + [5]})
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights[:10] == [0.1] * 10 and heights[-1] == 1.0 and sum(heights[10:19]) == 0


def test_nearest_neighbours_grid_puts_each_match_beside_its_query():
    reference = torch.stack([torch.full((1, 4, 4), v) for v in (-1.0, -0.5, 0.0, 0.5, 1.0)])
    queries = torch.stack([torch.full((1, 4, 4), 0.45), torch.full((1, 4, 4), -0.95)])
    fig = plots.nearest_neighbours_grid(queries, reference, k=2)
    # each row: the query, a gap (no image), then its 2 nearest; shown in [0, 1]: (v + 1) / 2
    tiles = [[float(ax.images[0].get_array()[0, 0]) for ax in fig.axes[r * 4:(r + 1) * 4] if ax.images]
             for r in range(2)]
    assert tiles[0] == pytest.approx([0.725, 0.75, 0.5])
    assert tiles[1] == pytest.approx([0.025, 0.0, 0.25])
    assert [ax.get_xlabel() for ax in fig.axes[2:4]] == ["0.2", "1.8"]        # the distances under the matches


def test_score_surface_draws_the_critic():
    fig = plots.score_surface(linear_critic(1.0, 0.0), ganlab.data.toy("ring8", 100, seed=0),
                              torch.randn(50, 2), bounds=((-1, 1), (-1, 1)), resolution=11)
    values = fig.axes[0].images[0].get_array()
    assert values[0, 0] == pytest.approx(-1.0) and values[0, -1] == pytest.approx(1.0)
    assert len(fig.axes[0].collections) >= 2            # real and fake scatters (plus contours)


def test_image_labels_sit_in_the_blank_strip_under_their_own_row():
    # 4 rows of mid-grey tiles: every row of pixels a label's text covers (9 pt at this size is
    # about 5 data pixels either side of its centre) must be white, in every row of the grid
    import matplotlib.pyplot as plt

    fig = plots.show_images(torch.zeros(16, 1, 28, 28), nrow=4, labels=list(range(16)))
    ax = fig.axes[0]
    grid = ax.images[0].get_array()
    texts = [t for t in ax.texts if t.get_text().isdigit()]
    assert len(texts) == 16
    for t in texts:
        x, y = t.get_position()
        covered = grid[int(y) - 4: int(y) + 5, int(x) - 3: int(x) + 4]
        assert (covered == 1).all(), f"label {t.get_text()} at y = {y} overlaps a tile"
    plt.close(fig)
