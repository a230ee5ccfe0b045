"""Checks for notebook 01's exercises (registered with ganlab.exercises; worked solutions in notebooks/solutions.md)."""
import torch

from . import _exercise, _close, _own_random_stream


@_exercise("01.1", "with one shared covariance, what shape is the generative boundary? (a word)")
def _shared_covariance(answer):
    words = str(answer).strip().lower().rstrip(".").split()
    words = [w for w in words if w not in {"a", "an", "the"}]
    ok = bool(words) and all(w in {"line", "straight", "linear", "hyperplane", "plane", "flat"} for w in words)
    return ok, ("The quadratic terms x^T S^-1 x are the same for both classes and cancel, "
                "leaving a linear function of x: a straight line in 2D (a hyperplane in more dimensions)."
                if ok else
                "Hint: write log p(1|x) - log p(0|x) with the same covariance S in both "
                "Gaussians. Which terms cancel?")


@_exercise("01.2", "the fitted p(plane) for basics.two_classes(n=600, p1=0.2, seed=0), as a number")
def _fitted_prior(answer):
    from .. import basics

    x, y = basics.two_classes(n=600, p1=0.2, seed=0)
    target = float(basics.GaussianClassifier().fit(x, y).prior[1])
    ok = _close(answer, target, 0.005)
    return ok, (f"p(plane) = {target:.3f}: the share of planes in the data." if ok else
                "Hint: fit GaussianClassifier on that data and read .prior[1].")


@_exercise("01.3", "the Euclidean distance between test digit 0 and itself shifted 1 pixel right")
def _shift_distance(answer):
    from .. import data

    images, _ = data.mnist("test", limit=1, device="cpu")
    target = float((images[0] - torch.roll(images[0], 1, dims=2)).norm())
    ok = _close(answer, target, 0.05)
    return ok, (f"{target:.2f}: a one-pixel shift moves a digit about as far as the distance to a "
                f"typical nearest other digit. Pixel distance is a crude notion of similarity." if ok else
                "Hint: torch.roll(image, 1, dims=2) shifts right; then take the norm of the difference.")


@_exercise("01.4", "a function sample_x(model, n) -> (n, 2) points drawn from a fitted GaussianClassifier's p(x)")
def _mixture_sampler(answer):
    from .. import basics

    x, y = basics.two_classes(n=4000, p1=0.2, seed=5)          # a model whose classes are far from 50/50
    model = basics.GaussianClassifier().fit(x, y)
    with _own_random_stream(0):
        points = torch.as_tensor(answer(model, 40_000)).double()
    if points.shape != (40_000, 2):
        return False, f"sample_x(model, 40000) should return a (40000, 2) tensor, got shape {tuple(points.shape)}."
    # the mixture's mean and covariance, computed from the model's parameters
    prior = model.prior.double()
    means = torch.stack(model.means).double()
    mean = (prior[:, None] * means).sum(0)
    second = sum(prior[k] * (model.covs[k].double() + torch.outer(means[k], means[k])) for k in (0, 1))
    cov = second - torch.outer(mean, mean)
    mean_gap = (points.mean(0) - mean).abs().max().item()
    cov_gap = (torch.cov(points.T) - cov).abs().max().item()
    ok = mean_gap < 0.03 and cov_gap < 0.05
    return ok, ("Mean and covariance match the mixture's: a class from p(y) for each point, then the "
                "point from that class's Gaussian, and the label thrown away." if ok else
                f"Your points' mean is {mean_gap:.2f} and their covariance {cov_gap:.2f} away from the "
                f"mixture's. Hint: p(plane) is {float(prior[1]):.2f} for this model, not 1/2; draw each "
                f"point's class with torch.multinomial(model.prior, n, replacement=True), then use "
                f"model.sample(k, label) for the points of each class.")
