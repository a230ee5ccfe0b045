"""The Wasserstein pieces of notebook 05, checked against closed forms."""
import math

import pytest
import torch
from torch import nn

import ganlab
from ganlab import critics


def test_wasserstein_1d_closed_forms():
    x = torch.linspace(0, 1, 1001)
    assert critics.wasserstein_1d(x, x + 2.5) == pytest.approx(2.5, abs=1e-5)       # a pure shift
    assert critics.wasserstein_1d(x, torch.zeros(1001)) == pytest.approx(0.5, abs=1e-3)   # U(0,1) vs 0
    with pytest.raises(ValueError, match="equal size"):
        critics.wasserstein_1d(x, x[:10])


def test_js_1d_is_zero_for_same_and_log2_for_disjoint():
    x = torch.rand(5000, generator=torch.Generator().manual_seed(0))
    assert critics.js_divergence_1d(x, x) == pytest.approx(0.0, abs=1e-9)
    assert critics.js_divergence_1d(x, x + 5) == pytest.approx(math.log(2), abs=1e-6)


def test_trained_estimates_follow_the_two_divergences():
    gen = torch.Generator().manual_seed(0)
    real, other = torch.randn(1000, 1, generator=gen) * 0.1, torch.randn(1000, 1, generator=gen) * 0.1
    far_d = critics.estimate_divergence(real, other + 3, "non-saturating", steps=200)
    far_c = critics.estimate_divergence(real, other + 3, "wgan-gp", steps=200)
    near_c = critics.estimate_divergence(real, other + 1, "wgan-gp", steps=200)
    assert far_d["estimate"] == pytest.approx(math.log(2), abs=0.01)       # saturated
    assert far_c["estimate"] == pytest.approx(3.0, rel=0.2)                  # about W1 = 3
    assert near_c["estimate"] == pytest.approx(1.0, rel=0.2)


def test_layer_gradient_norms_on_a_hand_built_critic():
    # s = 2 * relu(3 x): at x > 0, ds/dx = 6 and ds/dh = 2 for h = 3x
    net = nn.Sequential(nn.Linear(1, 1, bias=False), nn.ReLU(), nn.Linear(1, 1, bias=False))
    with torch.no_grad():
        net[0].weight.fill_(3.0), net[2].weight.fill_(2.0)
    assert critics.layer_gradient_norms(net, torch.tensor([[0.5], [1.0]])) == pytest.approx([6.0, 2.0])


def test_clipping_keeps_weights_in_range_and_needs_one_choice():
    real, fake = ganlab.data.toy("ring8", 200, seed=0), torch.randn(200, 2)
    c = critics.clipped_critic(real, fake, clip_value=0.05, depth=2, hidden=16, steps=20)
    assert all(p.abs().max() <= 0.05 for p in c.parameters())
    with pytest.raises(ValueError, match="exactly one"):
        critics.clipped_critic(real, fake, depth=2, steps=1)


def test_averaged_at_and_rank_correlation():
    values, steps = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1, 2, 3, 4, 5, 6]
    assert critics.averaged_at(values, steps, [2, 6], window=2) == [1.5, 5.5]
    assert critics.rank_correlation([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert critics.rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert critics.rank_correlation([1, 2, 3, 4], [1, 5, 2, 3]) == pytest.approx(0.4)   # Spearman by hand
    with pytest.raises(ValueError):
        critics.rank_correlation([1, 2], [1, 2])


def test_wasserstein_estimate_from_history():
    assert critics.wasserstein_estimate({"d_real": [1.0, 2.0], "d_fake": [0.5, -1.0]}) == [0.5, 3.0]


def test_the_best_discriminator_reads_js_and_pushes_along_its_slope():
    """js_gaussians against a histogram estimate and its limits; best_d_push against the slope of 2 JS."""
    assert critics.js_gaussians(0.0, 0.1) == pytest.approx(0.0, abs=1e-9)
    assert critics.js_gaussians(4.0, 0.1) == pytest.approx(math.log(2), abs=1e-12)
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(200_000, generator=gen), torch.randn(200_000, generator=gen) + 1.0
    assert critics.js_gaussians(1.0, 1.0) == pytest.approx(critics.js_divergence_1d(x, y, bins=200), abs=0.01)
    for theta in (0.05, 0.2, 0.5):           # the envelope theorem: G's loss at D* moves as 2 JS does
        h = 1e-4
        slope = 2 * (critics.js_gaussians(theta + h, 0.1) - critics.js_gaussians(theta - h, 0.1)) / (2 * h)
        assert critics.best_d_push(theta, 0.1) == pytest.approx(slope, rel=1e-4)
    assert 0 < critics.best_d_push(4.0, 0.1) < 1e-80        # gone, but not underflowed to zero
