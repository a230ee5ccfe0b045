"""Notebook 01's small models: p(x) with the label summed out, and a discriminator for fixed densities."""
import math

import pytest
import torch

from ganlab import basics


def test_log_density_is_the_prior_weighted_mixture():
    x, y = basics.two_classes(400, p1=0.3, seed=0)
    model = basics.GaussianClassifier().fit(x, y)
    pts = torch.randn(50, 2)
    by_hand = sum(model.class_log_likelihood(pts, k).exp() * model.prior[k] for k in (0, 1))
    assert torch.allclose(model.log_density(pts).exp(), by_hand, rtol=1e-5)


def test_a_trained_discriminator_approaches_the_density_ratio():
    """For two Gaussians, D*(x) = p1 / (p1 + p0) has a closed form to compare with."""
    def density(x, mean):
        return torch.exp(-0.5 * (x - mean) ** 2) / math.sqrt(2 * math.pi)

    d = basics.fit_discriminator(lambda n, g: torch.randn(n, 1, generator=g) + 1,
                                 lambda n, g: torch.randn(n, 1, generator=g) - 1, steps=800)
    xs = torch.linspace(-2, 2, 41)
    best = density(xs, 1) / (density(xs, 1) + density(xs, -1))
    assert (d(xs) - best).abs().max() < 0.08
    assert d(xs).shape == xs.shape and torch.is_grad_enabled()


def test_discriminator_samplers_of_the_wrong_shape_are_named():
    with pytest.raises(ValueError, match=r"\(n, 1\)"):
        basics.fit_discriminator(lambda n, g: torch.randn(n), lambda n, g: torch.randn(n, 1), steps=2)


def test_least_squares_discriminator_approaches_its_own_optimum():
    """Trained with targets 1 (real) and 0 (fake), the least-squares optimum is the raw score
    (1·p1 + 0·p0) / (p1 + p0): the same ratio as above, as a raw score (squashed by a sigmoid, the
    output would stay above about 1/2 where the closed form falls to 0.02, and fail the check)."""
    def density(x, mean):
        return torch.exp(-0.5 * (x - mean) ** 2) / math.sqrt(2 * math.pi)

    d = basics.fit_discriminator(lambda n, g: torch.randn(n, 1, generator=g) + 1,
                                 lambda n, g: torch.randn(n, 1, generator=g) - 1, steps=800, loss="least-squares")
    xs = torch.linspace(-2, 2, 41)
    best = density(xs, 1) / (density(xs, 1) + density(xs, -1))
    assert (d(xs) - best).abs().max() < 0.08
    with pytest.raises(ValueError, match="clipped_critic"):
        basics.fit_discriminator(lambda n, g: torch.randn(n, 1), lambda n, g: torch.randn(n, 1), steps=2,
                                 loss="wasserstein")
