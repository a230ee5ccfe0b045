"""Every tensor lives on the device it is meant for, and checkpoints move between devices.

No GPU here, so tests/fake_accelerator.py stands in for one: its tensors fail on a
device mix, on .numpy() and on a generator of the wrong device, as CUDA's do.
"""
import pytest
import torch

import ganlab
from ganlab import classifier, collapse, critics, metrics, models, plots, race, recipes, widgets
from ganlab.training import GAN

from fake_accelerator import AcceleratorTensor, DeviceMixError, fake_accelerator


@pytest.fixture
def accelerator():
    with fake_accelerator() as dev:
        yield dev


def test_the_fake_accelerator_fails_where_a_gpu_would(accelerator):
    x = torch.randn(4, 2, device=accelerator)
    assert isinstance(x, AcceleratorTensor) and ganlab.device() == accelerator
    with pytest.raises(DeviceMixError):
        torch.cat([x, torch.zeros(4, 2)])
    with pytest.raises(DeviceMixError):
        x + torch.ones(4, 2)
    with pytest.raises(TypeError, match="numpy"):
        x.numpy()
    with pytest.raises(DeviceMixError, match="Generator"):
        torch.randn(3, device=accelerator, generator=torch.Generator().manual_seed(0))
    with pytest.raises(DeviceMixError):
        torch.randn(3, generator=torch.Generator(device=accelerator))
    # what a GPU allows: 0-d CPU scalars, CPU indices, copies, .item(), formatting
    assert (x * torch.tensor(2.0)).shape == (4, 2)
    assert x[torch.tensor([0, 2])].shape == (2, 2)
    assert torch.equal(x.cpu() * 2, (x * 2).cpu()) and isinstance(x.sum().item(), float)
    assert f"{x.sum():.2f}" == f"{x.sum().item():.2f}"
    w = torch.nn.Linear(2, 1).to(accelerator)
    w(x).sum().backward()
    assert isinstance(w.weight.grad, AcceleratorTensor)


NOTEBOOK_05_CELL_AS_IT_WAS = '''
ring = ganlab.data.toy("ring8", 2000, seed=0)
blob = torch.randn(2000, 2, generator=torch.Generator().manual_seed(1)) * 0.5
probe = torch.cat([ring[:500], blob[:500]])
'''


def test_the_check_catches_notebook_05_as_it_was(accelerator):
    """The cell that built `probe` from a device tensor and a CPU tensor, before its fix."""
    with pytest.raises(DeviceMixError):
        exec(NOTEBOOK_05_CELL_AS_IT_WAS, {"ganlab": ganlab, "torch": torch})


def test_training_sampling_and_scores_stay_on_the_accelerator(accelerator):
    data = ganlab.data.toy("ring8", 1000, seed=0)
    gan = recipes.toy_gan(hidden=(16,), batch_size=64)
    gan.fit(data, steps=5, progress=False)
    assert isinstance(gan.sample(8), AcceleratorTensor)
    assert metrics.mode_coverage(gan.sample(100), "ring8")["n_modes"] == 8
    unrolled = recipes.toy_gan(hidden=(16,), batch_size=64, unroll=2)
    unrolled.fit(data, steps=2, progress=False)
    gp = recipes.toy_gan("wgan-gp", hidden=(16,), batch_size=64, pack=2)
    gp.fit(data, steps=2, progress=False)
    mnist = recipes.mlp_mnist(g_hidden=(16,), d_hidden=(16,), batch_size=16)
    images, _ = ganlab.data.mnist("held_out", limit=64)
    mnist.fit(images, steps=2, progress=False)
    scores = classifier.digit_scores(mnist.sample(32))
    assert 0 <= scores["confident"] <= 1
    assert metrics.memorization(mnist.sample(16), images, images, n=16)["median_ratio"] > 0
    dc = recipes.dcgan_mnist(width=4, batch_size=8)
    dc.fit(images, steps=1, progress=False)
    log = race.train_scored(dc, images, seconds=0.2, points=2, n=8, progress=False)
    assert len(log["frechet"]) == 2


def test_notebook_04s_race_and_tuned_dcgan_on_the_accelerator(accelerator):
    """What notebook 04 trains; the notebook itself runs on the accelerator in reference mode only."""
    images, _ = ganlab.data.mnist("held_out", limit=64)
    contenders = {"DCGAN": lambda seed, device: recipes.dcgan_tuned(width=4, d_width=8, batch_size=8, seed=seed,
                                                                    device=device),
                  "MLP": lambda seed, device: recipes.mlp_mnist(g_hidden=(16,), d_hidden=(16,), batch_size=8,
                                                                seed=seed, device=device)}
    result = race.run(contenders, images, seconds=0.3, seeds=1, points=2, n=8, progress=False)
    assert [len(logs) for logs in result.values()] == [1, 1]
    assert all(p["images"] > 0 for logs in result.values() for p in logs[0])
    assert "DCGAN" in race.table(result, at="time")


def test_pictures_and_widgets_draw_accelerator_models(accelerator):
    data = ganlab.data.toy("grid25", 500, seed=0)
    gan = recipes.toy_gan(hidden=(16,), batch_size=64)
    gan.fit(data, steps=3, progress=False)
    plots.toy_view(gan, data)
    plots.samples_over_modes(gan.sample(200), "grid25")
    plots.show_images(torch.rand(4, 1, 28, 28, device=accelerator))
    plots.nearest_neighbours_grid(torch.rand(2, 1, 6, 6, device=accelerator), torch.rand(5, 1, 6, 6, device=accelerator))
    t = collapse.coverage_over_time(gan, data, "grid25", steps=4, every=2, progress=False)
    plots.mode_timeline(t["nearest"], t["step"])
    live = widgets.LiveView(steps_per_frame=2, hidden=(16,))         # on ganlab.device(): the accelerator
    live.step("both", 2)
    live.figure()
    mnist = recipes.mlp_mnist(g_hidden=(16,), d_hidden=(16,))
    sliders = widgets.LatentSliders(mnist, dims=range(2), seed=0)
    before = sliders.image.value
    sliders.sliders[0].value = 2.0
    assert sliders.image.value != before
    widgets.InterpolationSlider(mnist, seed=1)


def test_the_conditional_gan_of_notebook_07_on_the_accelerator(accelerator):
    from ganlab import conditional

    images, labels = ganlab.data.mnist("held_out", limit=200)
    assert isinstance(images, AcceleratorTensor)
    pairs = conditional.pairs(images, labels)
    gan = recipes.conditional_mnist(style_dim=8, g_hidden=(16,), d_hidden=(16,), batch_size=16)
    gan.fit(pairs, steps=3, progress=False)
    assert isinstance(gan.sample(labels=range(10)), AcceleratorTensor)
    gan.sample(z=gan.styles(4, seed=0).cpu(), labels=torch.tensor([1, 2, 3, 4]))     # CPU codes and labels
    asked = conditional.requested_digit_scores(gan, n_per_class=5)
    assert asked["confusion"].sum() == 50
    assert set(conditional.style_agreement(gan, n_styles=6)) >= {"ink", "slant"}
    path = conditional.label_path(gan, gan.styles(1, seed=0), 1, 7, n=3)
    assert isinstance(gan.sample(z=path), AcceleratorTensor)
    assert conditional.spread_per_digit(images, labels).shape == (10,)
    with torch.no_grad():
        gan.score(conditional.pairs(images, (labels + 1) % 10))
    steer = widgets.DigitAndStyle(gan, seed=0)
    before = bytes(steer.image.value)
    steer.pick(5)
    assert bytes(steer.image.value) != before
    plots.confusion_matrix(asked["confusion"])


def test_critics_and_moment_matching_on_the_accelerator(accelerator):
    ring = ganlab.data.toy("ring8", 300, seed=0)
    blob = torch.randn(300, 2, device=accelerator) * 0.5
    critic = critics.clipped_critic(ring, blob, hidden=8, depth=2, steps=3, clip_value=0.01)
    assert len(critics.layer_gradient_norms(critic, torch.cat([ring, blob]))) == 3
    est = critics.estimate_divergence(ring, blob, steps=3)
    assert isinstance(est["estimate"], float)
    g = models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(2,), output=None)
    values = ganlab.moment_matching.fit_mmd(g, ring, steps=2, batch_size=32, progress=False)
    assert len(values) == 2


def test_a_checkpoint_moves_from_the_accelerator_to_the_cpu_and_back(tmp_path, capsys):
    with fake_accelerator() as dev:
        gan = recipes.toy_gan(hidden=(16,), batch_size=32, seed=3)
        gan.fit(ganlab.data.toy("ring8", 500, seed=0), steps=4, progress=False)
        z = torch.randn(5, 2)
        on_accelerator = gan.sample(z=z.to(dev)).cpu()
        path = gan.save(tmp_path / "gpu.pt")
    laptop = GAN.load(path)                              # no accelerator here
    assert laptop.device.type == "cpu" and laptop.step == 4
    assert "noise stream restarts" in capsys.readouterr().out
    assert torch.allclose(laptop.sample(z=z), on_accelerator, atol=1e-6)
    laptop.fit(ganlab.data.toy("ring8", 500, seed=0), steps=2, progress=False)
    back = laptop.save(tmp_path / "cpu.pt")
    with fake_accelerator():
        again = GAN.load(back)
        assert again.step == 6 and isinstance(again.sample(2), AcceleratorTensor)
        again.fit(ganlab.data.toy("ring8", 500, seed=0), steps=1, progress=False)


def test_loading_leaves_the_global_random_state_alone(tmp_path):
    gan = recipes.toy_gan(hidden=(8,), batch_size=32)
    gan.fit(ganlab.data.toy("ring8", 200, seed=0), steps=2, progress=False)
    path = gan.save(tmp_path / "a.pt")
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    GAN.load(path).fit(ganlab.data.toy("ring8", 200, seed=0), steps=2, progress=False)
    assert torch.equal(torch.rand(3), expected)          # neither loading nor training moved it


def test_a_sampler_of_cpu_samples_trains_on_the_accelerator(accelerator):
    """fit's shape check scores two of the sampler's samples with D: they move to D's device first."""
    ring = ganlab.data.toy("ring8", 500, seed=0)                  # on the CPU, handed out by the sampler
    gan = recipes.toy_gan(hidden=(8,), batch_size=32)
    gan.fit(lambda n: ring[torch.randint(len(ring), (n,))], steps=2, progress=False)
    assert gan.step == 2
