import math

import pytest
import torch

from ganlab import data, metrics


def test_mode_coverage_on_hand_made_samples():
    centres, std = data.toy_modes("grid25")
    perfect = data.toy("grid25", 2500, seed=0)
    cov = metrics.mode_coverage(perfect, centres, std)
    assert cov["covered"] == 25
    # a 2D Gaussian puts 1 - exp(-9/2) = 98.9% of its mass within 3 std of its centre
    assert cov["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.006)
    one = centres[7].repeat(2500, 1)
    cov = metrics.mode_coverage(one, "grid25")
    assert cov["covered"] == 1 and cov["high_quality"] == 1.0 and cov["counts"][7] == 2500
    far = torch.full((2500, 2), 1.0)                         # between modes, 14 std from any
    cov = metrics.mode_coverage(far, "grid25")
    assert cov["covered"] == 0 and cov["high_quality"] == 0.0
    # just inside / just outside 3 std of a centre
    edge = torch.tensor([[2.0 + 2.9 * std, 0.0], [4.0, 3.1 * std]])
    cov = metrics.mode_coverage(edge, "grid25")
    assert cov["high_quality"] == 0.5 and cov["covered"] == 1


def test_mmd_zero_for_same_sample_and_grows_with_distance():
    x = data.toy("gaussian", 400, seed=0)
    assert metrics.mmd(x, x).item() == pytest.approx(0, abs=1e-6)
    near = metrics.mmd(x, x + 0.1).item()
    far = metrics.mmd(x, x + 1.0).item()
    assert 0 < near < far
    # by hand for two single points a, b with one kernel: 2 - 2 exp(-d²/2σ²)
    a, b = torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]])
    assert metrics.mmd(a, b, bandwidths=(5.0,)).item() == pytest.approx(2 - 2 * math.exp(-25 / 50))


def test_js_divergence_bounds():
    x = data.toy("ring8", 20000, seed=0)
    y = data.toy("ring8", 20000, seed=1)
    assert metrics.js_divergence_2d(x, y, bins=30) < 0.02
    assert metrics.js_divergence_2d(x, x) == pytest.approx(0, abs=1e-6)
    assert metrics.js_divergence_2d(x, x + 10) == pytest.approx(math.log(2), abs=1e-6)
    assert metrics.kl_divergence_2d(x, x) == pytest.approx(0, abs=1e-6)
    assert metrics.kl_divergence_2d(x, x + 10) > 10


def test_nearest_neighbours_against_brute_force():
    torch.manual_seed(0)
    q, r = torch.randn(50, 1, 4, 4), torch.randn(300, 1, 4, 4)
    d, i = metrics.nearest_neighbours(q, r, k=2, chunk=7)
    brute = ((q.flatten(1)[:, None] - r.flatten(1)[None]) ** 2).sum(-1).sqrt()
    assert torch.equal(i[:, 0], brute.argmin(1))
    assert torch.allclose(d[:, 0], brute.min(1).values, atol=1e-4)
    d_self, i_self = metrics.nearest_neighbours(r, r, exclude_self=True, chunk=64)
    assert (i_self[:, 0] != torch.arange(300)).all() and (d_self > 0).all()


def test_memorization_flags_copies():
    gen = torch.Generator().manual_seed(0)
    train = torch.randn(300, 20, generator=gen)
    held_out = torch.randn(100, 20, generator=gen)
    copies = train[:100] + 0.01 * torch.randn(100, 20, generator=gen)
    fresh = torch.randn(100, 20, generator=gen)
    assert metrics.memorization(copies, train, held_out)["median_ratio"] < 0.05
    m = metrics.memorization(fresh, train, held_out)
    assert 0.8 < m["median_ratio"] < 1.25 and m["generated"].shape == (100,)


def test_reverse_kl_by_hand():
    from ganlab.data import toy_modes

    centres, _ = toy_modes("ring8")
    even = metrics.mode_coverage(centres.repeat(10, 1), "ring8")
    assert even["reverse_kl"] == pytest.approx(0.0, abs=1e-9)          # every mode the same share
    one = metrics.mode_coverage(centres[:1].repeat(80, 1), "ring8")
    assert one["reverse_kl"] == pytest.approx(math.log(8))              # all on one mode
    half = metrics.mode_coverage(torch.cat([centres[:1].repeat(30, 1), centres[1:2].repeat(10, 1)]), "ring8")
    q = torch.tensor([0.75, 0.25])
    assert half["reverse_kl"] == pytest.approx(float((q * (q * 8).log()).sum()))
    nowhere = metrics.mode_coverage(torch.full((5, 2), 9.0), "ring8")
    assert nowhere["reverse_kl"] == math.inf


def test_between_modes_finds_the_threads_between_neighbouring_modes():
    centres, _ = data.toy_modes("grid25")
    thread = torch.stack([torch.linspace(-1.6, -0.4, 50), torch.full((50,), 2.0)], dim=1)   # between (-2, 2) and (0, 2)
    haze = torch.tensor([[1.0, 1.0], [-3.0, 3.0], [1.0, -1.0]]) + 0.003                   # off mode, off the lines
    assert metrics.between_modes(thread, "grid25") == 1.0
    assert metrics.between_modes(haze, "grid25") == 0.0
    assert metrics.between_modes(torch.cat([thread, haze]), "grid25") == pytest.approx(50 / 53)
    assert math.isnan(metrics.between_modes(centres, "grid25"))                            # every sample on a mode
