"""The widgets of issue 32: one slider panel, the drawing pad, the live view, the three sliders."""
import pytest
import torch

from ganlab import conditional, models, recipes, widgets
from ganlab.training import GAN


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
