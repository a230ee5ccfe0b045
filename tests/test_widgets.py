"""The widgets of issue 32: one slider panel, the drawing pad, the live view, the three sliders."""
import numpy as np
import pytest
import torch

from ganlab import conditional, models, recipes, widgets
from ganlab.training import GAN


@pytest.fixture(autouse=True)
def _one_thread():
    """These models are tiny: one thread is faster than two, and far faster on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def image_gan(latent_dim=8):
    torch.manual_seed(0)
    return GAN(models.mlp_generator(latent_dim=latent_dim, hidden=(32,)), models.mlp_discriminator(hidden=(32,)))


def count_redraws(gan):
    """Count the generator's sampling calls: one redraw of a panel is one call (two for DigitAndStyle)."""
    calls = []
    inner = gan.sample
    gan.sample = lambda *a, **k: (calls.append(1), inner(*a, **k))[1]
    return calls


def test_latent_sliders_new_z_is_new_redraws_once_and_keeps_z_unclamped():
    gan = image_gan()
    view = widgets.LatentSliders(gan, dims=range(6), seed=4, value_range=0.5)
    start = view.z.clone()
    assert torch.equal(start, gan.noise(1, seed=4))                  # the documented starting z
    calls = count_redraws(gan)
    view.button.click()
    assert not torch.allclose(view.z, start), "the first 'new random z' gave the starting z again"
    assert len(calls) == 1, f"'new random z' redrew {len(calls)} times"
    # with sliders of range ±0.5 some of the 8 values lie outside it: the sliders show them
    # clamped, but z keeps what was drawn (an independent draw of the same stream)
    stream = torch.Generator().manual_seed(4)
    torch.randn(1, 8, generator=stream)
    expected = torch.randn(1, 8, generator=stream)
    assert torch.equal(view.z, expected)
    assert (expected[0, :6].abs() > 0.5).any()
    for d, s in zip(view.dims, view.sliders):
        assert s.value == pytest.approx(max(-0.5, min(0.5, expected[0, d].item())), abs=1e-6)
    second = view.z.clone()
    view.new_z()
    assert not torch.equal(view.z, second) and len(calls) == 2
    view.sliders[2].value = 0.25                                      # a slider moves z and redraws once
    assert view.z[0, 2].item() == 0.25 and len(calls) == 3


def test_digit_and_style_shares_the_panel():
    torch.manual_seed(0)
    gan = recipes.conditional_mnist(seed=0, device="cpu", style_dim=8, g_hidden=(16,), d_hidden=(16,))
    view = widgets.DigitAndStyle(gan, seed=2, value_range=0.5)
    start = view.style.clone()
    assert torch.equal(start, gan.styles(1, seed=2))
    calls = count_redraws(gan)
    row = view.row.value
    view.new_style()
    assert not torch.equal(view.style, start) and view.row.value != row
    assert len(calls) == 2, f"'new random style' drew {len(calls)} times (one digit and one row per redraw)"
    assert (view.style.abs() > 0.5).any()                             # not clamped to the sliders' range


# ---------------------------------------------------------------- the drawing pad and the live view

def test_draw_target_presets_text_and_samples():
    pad = widgets.DrawTarget(preset="ring")
    ring = pad.points
    assert ring.shape[1] == 2 and len(ring) > 100
    assert torch.allclose(ring.norm(dim=1), torch.full((len(ring),), 1.3), atol=1e-5)   # the preset's radius
    for name in widgets.DrawTarget.PRESETS:
        pad.presets.value = name                                      # what the menu does
        assert len(pad.points) > 50 and pad.points.abs().max() < 2 and pad.presets.value == "(preset)"
    pad.write("GAN")
    width = pad.points[:, 0].max() - pad.points[:, 0].min()
    assert width == pytest.approx(0.8 * 4, rel=1e-4)                  # the text spans 80% of the canvas
    pad.set_points(torch.tensor([[0.5, -1.0]]))                       # one point: samples are its noise
    s = pad.sample(20_000, seed=0)
    assert torch.allclose(s.mean(0), torch.tensor([0.5, -1.0]), atol=0.01)
    assert s.std(0).tolist() == pytest.approx([pad.jitter * 4 / 4] * 2, rel=0.05)
    pad.clear_button.click()
    assert len(pad.points) == 0
    with pytest.raises(ValueError, match="empty"):
        pad.sample(10)
    with pytest.raises(ValueError, match="preset"):
        pad.preset("heart")
    with pytest.raises(ValueError, match="shape"):
        pad.set_points(torch.zeros(3))


def test_live_view_learns_a_drawing_and_follows_a_new_one():
    view = widgets.LiveView(target="draw", preset="two clusters", hidden=(32, 32))
    assert view.record["on_target"][0] < 0.1                         # G starts at the origin, between them
    view.run(300, frames=3, progress=False)
    assert view.gan.step == 300 and len(view.record["on_target"]) == 4
    assert view.record["on_target"][-1] > 0.5
    # the canvas holds what the frame computed, as float32 bytes
    fake = torch.from_numpy(np.frombuffer(view.canvas.fake, dtype=np.float32).copy()).reshape(-1, 2)
    assert fake.shape == (view.n_fake, 2) and torch.allclose(fake, view.gan.sample(z=view.gan.noise(300, seed=0)))
    # a new drawing (what the mouse sends) becomes the target; the models stay
    step = view.gan.step
    view.canvas.drawing = [1.5, 1.5] * 10
    assert view.gan.step == step and view.record["step"] == [step]
    assert (view.real - torch.tensor([1.5, 1.5])).norm(dim=1).max() < 0.3
    view.canvas.drawing = []
    assert view.real is None and "empty" in view.status.value
    view.step("both", 1)                                              # nothing to train on: no error, no step
    assert view.gan.step == step


def test_live_view_frame_is_d_and_the_generators_push():
    view = widgets.LiveView(target="ring8", hidden=(16,), heat_res=8, steps_per_frame=4)
    view.play.value += 1                                             # one tick of play: at most 4 steps
    assert 1 <= view.gan.step <= 4 and view.record["step"][-1] == view.gan.step
    view.reset_button.click()
    assert view.gan.step == 0 and view.record["step"] == [0]
    view.step("d", 5)
    frame = view.frame()
    (x0, x1), (y0, y1) = view.bounds
    corner = torch.tensor([[x0, y0]])                                  # the heat's first cell
    with torch.no_grad():
        view.gan.discriminator.eval()
        expected = torch.sigmoid(view.gan.discriminator(corner)).item()
    assert frame["heat"].dtype == torch.uint8 and frame["heat"].shape == (8, 8)
    assert abs(frame["heat"][0, 0].item() - 255 * expected) <= 0.51
    # each arrow is minus the gradient of G's loss (non-saturating: -log sigmoid(D)), scaled
    x = frame["fake"][:1].clone().requires_grad_(True)
    (-torch.nn.functional.logsigmoid(view.gan.discriminator(x))).sum().backward()
    direction = -x.grad[0] / x.grad[0].norm()
    arrow = frame["arrows"][0] / frame["arrows"][0].norm()
    assert torch.allclose(direction, arrow, atol=1e-4)
    assert frame["arrows"].norm(dim=1).max() == pytest.approx(0.08 * view.canvas.extent, rel=1e-5)
    assert frame["grid"].shape == (2 * 9 * 25, 2) and frame["grid_points"] == 25
    # a critic's surface is scaled to its largest magnitude: 0 and 255 are the extremes it reaches
    view.set_loss("wasserstein")
    assert view.gan.loss.name == "wasserstein" and view.gan.n_critic == 5 and view.gan.step == 0
    view.step("d", 3)
    heat = view.frame()["heat"].float()
    assert heat.min() == 0 or heat.max() == 255


def test_live_view_takes_samples_or_a_pad_as_its_target():
    points = torch.randn(500, 2) * 0.3 + torch.tensor([3.0, -1.0])
    view = widgets.LiveView(target=points, hidden=(8,))
    assert torch.equal(view.real, points) and view.bounds[0][0] < 2.5 < 3.5 < view.bounds[0][1]
    view.step("both", 2)
    assert view.gan.step == 2
    pad = widgets.DrawTarget(preset="spiral")
    view = widgets.LiveView(target=pad, hidden=(8,))
    assert view.canvas is pad.canvas and pad in view.children        # one canvas: drawn on and painted
    pad.preset("ring")                                                # the pad's new drawing is the target
    assert (view.real.norm(dim=1) - 1.3).abs().mean() < 0.1


def test_live_view_remedies_and_the_mode_timeline():
    from ganlab import metrics
    from ganlab.models import MinibatchStd
    from ganlab.unrolled import UnrolledGAN

    view = widgets.LiveView(target="ring8", hidden=(16,), remedies=widgets.LiveView.REMEDIES, timeline=True)
    assert view.remedies == () and view.gan.pack == 1 and type(view.gan) is GAN
    view.toggles["packing"].value = True                             # what a click on a toggle does
    assert view.remedies == ("packing",) and view.gan.pack == 2 and view.gan.step == 0
    view.set_remedies("minibatch std", "unrolling")
    assert isinstance(view.gan, UnrolledGAN) and view.gan.pack == 1
    assert any(isinstance(m, MinibatchStd) for m in view.gan.discriminator.modules())
    view.run(4, frames=2, progress=False)
    assert len(view.record["counts"]) == 3
    # the timeline's last column: samples per mode, counted here by hand
    fake = view.gan.sample(1000, seed=view.seed + 1)
    centres, std = ganlab_data().toy_modes("ring8")
    dist = torch.cdist(fake, centres)
    near, which = dist.min(1)
    by_hand = torch.bincount(which[near <= 3 * std], minlength=8)
    assert torch.equal(view.record["counts"][-1], by_hand)
    assert view.canvas.strip_shape == [8, 3] and len(view.canvas.strip) == 24
    assert view.canvas.chart["x"] == [0, 2, 4] and view.canvas.chart["series"][1]["y"] == view.record["covered"]
    assert metrics.mode_coverage(fake, "ring8")["covered"] / 8 == view.record["covered"][-1]
    view.record = {k: list(range(1001)) for k in ("step", "on_target", "covered")}
    chart = view._chart(most=200)                                   # a long record is thinned, its last point kept
    assert chart["x"][:3] == [0, 5, 10] and chart["x"][-1] == 1000 and len(chart["x"]) == 201
    with pytest.raises(ValueError, match="remedies"):
        widgets.LiveView(remedies=("dropout",))
    with pytest.raises(ValueError, match="remedies"):
        view.set_remedies("dropout")
    with pytest.raises(ValueError, match="mixture"):
        widgets.LiveView(target="draw", timeline=True)


def ganlab_data():
    from ganlab import data
    return data


# ---------------------------------------------------------------- the three sliders

def test_theta_slider_moves_along_the_precomputed_shifts():
    slide = {k: [0.1 * (i + 1) for i in range(3)] for k in ("js", "wasserstein", "d_estimate", "critic_estimate",
                                                             "d_gradient", "critic_gradient")}
    slide["shift"] = [0.0, 1.0, 2.0]
    view = widgets.ThetaSlider(slide, theta=0.9)
    assert view.value == 1.0
    before = view.image.value
    view.show(2.2)
    assert view.value == 2.0 and view.image.value != before


def test_dstar_slider_value_is_twice_js_minus_log_4():
    import math

    xs = torch.linspace(-8, 8, 8001, dtype=torch.float64)
    normal = lambda x, m, s: torch.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))  # noqa: E731
    p_data = lambda x: 0.5 * normal(x, -1.5, 0.5) + 0.5 * normal(x, 1.5, 0.5)                      # noqa: E731
    view = widgets.DStarSlider(p_data, xs, means=[0.0, 1.0, 3.0], std=1.2, mean=1.0)
    pd, pg = p_data(xs), normal(xs, 1.0, 1.2)
    m = (pd + pg) / 2
    js = 0.5 * torch.trapezoid(pd * (pd / m).log(), xs) + 0.5 * torch.trapezoid(pg * (pg / m).log(), xs)
    assert view.game[1] == pytest.approx(2 * js.item() - math.log(4), abs=1e-6)
    assert view.game[0] < view.game[1] < view.game[2] < 0             # further from the data: V rises
    before = view.image.value
    view.show(3.0)
    assert view.value == 3.0 and view.image.value != before


def test_truncation_slider_spread_grows_with_psi():
    gan = image_gan(latent_dim=8)
    view = widgets.TruncationSlider(gan, psis=(0.0, 0.5, 1.0), n=64)
    assert view.spread[0] < 1e-4 < view.spread[1] < view.spread[2]    # ψ = 0: one image, 64 times
    assert all(sum(h) == 64 for h in view.histograms) and all(0 <= c <= 1 for c in view.confident)
    before = view.image.value
    view.show(0.0)
    assert view.image.value != before


def test_widget_benchmark_runs():
    from benchmarks import widgets as bench

    rows = bench.main(["--frames", "2", "--matplotlib-frames", "0", "--train-steps", "2"])
    assert len(rows) == 3 and all(r["whole_ms"] > 0 and r["compute_ms"] > 0 for r in rows)


def test_live_view_and_pad_on_an_accelerator():
    """Every tensor where it belongs: tests/fake_accelerator.py fails on a device mix, as a GPU would."""
    from fake_accelerator import fake_accelerator

    with fake_accelerator() as dev:
        pad = widgets.DrawTarget(preset="two clusters")
        view = widgets.LiveView(target=pad, hidden=(8,), remedies=widgets.LiveView.REMEDIES, device=dev)
        view.step("both", 2)
        view.set_remedies("packing", "minibatch std")
        view.run(2, frames=1, progress=False)
        assert view.real.device.type == view.gan.device.type != "cpu"
        ring = widgets.LiveView(target="ring8", hidden=(8,), timeline=True, loss="wgan-gp", device=dev)
        ring.step("both", 1)
        ring.arrow_alignment(n=20)
        assert len(ring.record["counts"]) == 2


def test_a_live_view_leaves_the_notebooks_random_stream_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    view = widgets.LiveView(target="ring8", hidden=(8,))
    view.reset()
    assert torch.equal(torch.rand(3), expected)
