"""Checks for the notebooks' exercises: right or wrong, with a hint.

    ganlab.exercises.check("01.1", answer)

Each check recomputes the right answer independently (or tests the reader's
function against ganlab's own), prints what it found and returns True/False.
An exercise left at None is reported as not answered yet, so a notebook can be
run top to bottom before the reader has tried anything. Worked solutions are in
notebooks/solutions.md, out of the way until wanted.
"""
import math

import torch

_CHECKS = {}


def _exercise(key, question):
    def register(fn):
        _CHECKS[key] = (question, fn)
        return fn
    return register


def check(key, answer):
    """Check the reader's answer to exercise `key` ("NN.k"); prints a verdict, returns True/False."""
    if key not in _CHECKS:
        raise KeyError(f"no exercise {key!r}; known: {', '.join(sorted(_CHECKS))}")
    question, fn = _CHECKS[key]
    if answer is None:
        print(f"Exercise {key} not answered yet: {question}")
        return False
    try:
        ok, message = fn(answer)
    except Exception as err:      # a reader's function that crashes is a wrong answer, not a crash
        ok, message = False, f"your answer raised {type(err).__name__}: {err}"
    print(("✓ right. " if ok else "✗ not yet. ") + message)
    return ok


def _number(value):
    """A plain float from the answers a reader naturally gives: int, float, a 0-d tensor, a NumPy number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "item") and getattr(value, "ndim", getattr(value, "dim", lambda: 1)) in (0, ()):
        return float(value.item())
    if torch.is_tensor(value) and value.numel() == 1:
        return float(value.item())
    return None


def _close(value, target, tol):
    value = _number(value)
    return value is not None and math.isfinite(value) and abs(value - target) <= tol


# ---------------------------------------------------------------- notebook 01

@_exercise("01.1", "with one shared covariance, what shape is the generative boundary? (a word)")
def _shared_covariance(answer):
    ok = str(answer).strip().lower() in {"line", "straight line", "linear", "a line", "a straight line"}
    return ok, ("The quadratic terms x^T S^-1 x are the same for both classes and cancel, "
                "leaving a linear function of x." if ok else
                "Hint: write log p(1|x) - log p(0|x) with the same covariance S in both "
                "Gaussians. Which terms cancel?")


@_exercise("01.2", "the fitted p(plane) for basics.two_classes(n=600, p1=0.2, seed=0), as a number")
def _fitted_prior(answer):
    from . import basics

    x, y = basics.two_classes(n=600, p1=0.2, seed=0)
    target = float(basics.GaussianClassifier().fit(x, y).prior[1])
    ok = _close(answer, target, 0.005)
    return ok, (f"p(plane) = {target:.3f}: the share of planes in the data." if ok else
                "Hint: fit GaussianClassifier on that data and read .prior[1].")


@_exercise("01.3", "the Euclidean distance between test digit 0 and itself shifted 1 pixel right")
def _shift_distance(answer):
    from . import data

    images, _ = data.mnist("test", limit=1, device="cpu")
    target = float((images[0] - torch.roll(images[0], 1, dims=2)).norm())
    ok = _close(answer, target, 0.05)
    return ok, (f"{target:.2f}: a one-pixel shift moves a digit about as far as the distance to a "
                f"typical nearest other digit. Pixel distance is a crude notion of similarity." if ok else
                "Hint: torch.roll(image, 1, dims=2) shifts right; then take the norm of the difference.")


@_exercise("01.4", "a function sample_x(model, n) -> (n, 2) points drawn from a fitted GaussianClassifier's p(x)")
def _mixture_sampler(answer):
    from . import basics

    x, y = basics.two_classes(n=4000, p1=0.2, seed=5)          # a model whose classes are far from 50/50
    model = basics.GaussianClassifier().fit(x, y)
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


# ---------------------------------------------------------------- notebook 02

@_exercise("02.1", "a function u -> x turning uniform (0, 1) samples into standard Cauchy samples")
def _cauchy(answer):
    u = torch.rand(200_000, generator=torch.Generator().manual_seed(0)) * 0.998 + 0.001
    x = torch.as_tensor(answer(u), dtype=torch.float64)
    q = torch.quantile(x, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64)).tolist()
    ok = x.shape == u.shape and _close(q[1], 0.0, 0.02) and _close(q[0], -1.0, 0.03) and _close(q[2], 1.0, 0.03)
    return ok, ("Quartiles at -1, 0, 1, as a standard Cauchy's. Its mean never settles: the tails "
                "are too heavy for the law of large numbers." if ok else
                f"Your samples' quartiles are {[round(v, 2) for v in q]}; a standard Cauchy has -1, 0, 1. "
                f"Hint: F^-1(u) = tan(pi (u - 1/2)).")


@_exercise("02.2", "a function mmd_one(x, y, sigma): squared MMD with one Gaussian kernel (biased estimate)")
def _mmd_one(answer):
    from . import metrics

    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(200, 2, generator=gen), torch.randn(150, 2, generator=gen) + 0.5
    got = float(answer(x, y, 0.7))
    want = float(metrics.mmd(x, y, bandwidths=(0.7,)))
    ok = _close(got, want, 1e-4 * max(1.0, abs(want)))
    return ok, (f"MMD^2 = {want:.5f}, matching ganlab.metrics.mmd." if ok else
                f"You got {got:.5f}, expected {want:.5f}. Hint: mean k(x,x') + mean k(y,y') - 2 mean k(x,y) "
                f"with k(a,b) = exp(-|a-b|^2 / (2 sigma^2)), all pairs included.")


# ---------------------------------------------------------------- notebook 03

@_exercise("03.1", "a function minimax_g_loss(fake_scores): the saturating generator loss from raw scores")
def _minimax_g(answer):
    from . import losses

    s = torch.linspace(-6, 3, 25)[:, None]      # asymmetric, so log σ(s) and log(1 − σ(s)) differ
    got, want = answer(s), losses.get("minimax").g_loss(s)
    ok = torch.is_tensor(got) and got.numel() == 1 and torch.allclose(got.reshape(()), want, atol=1e-5)
    return ok, ("That is mean log(1 - sigmoid(s)), what G minimises in the 2014 paper." if ok else
                "Hint: D(G(z)) = sigmoid(s) and G minimises the mean of log(1 - D(G(z))); "
                "F.logsigmoid(-s) is log(1 - sigmoid(s)).")


@_exercise("03.2", "the inception score of a generator that draws only perfect 1s and 7s, half each")
def _two_digit_is(answer):
    ok = _close(answer, 2.0, 1e-3)
    return ok, ("exp(KL) = exp(log 2) = 2: every image is certain, but there are only two kinds." if ok else
                "Hint: p(y|x) is one-hot, p(y) puts 1/2 on two digits; KL(p(y|x) || p(y)) = log 2 "
                "for every image.")


# ---------------------------------------------------------------- notebook 04

@_exercise("04.1", "a function out_size(h, kernel, stride, padding): a transposed convolution's output height")
def _transposed_size(answer):
    cases = [(7, 4, 2, 1), (1, 7, 1, 0), (14, 4, 2, 1), (5, 3, 3, 0), (9, 5, 2, 2), (4, 4, 1, 0)]
    for h, k, s, p in cases:
        conv = torch.nn.ConvTranspose2d(1, 1, k, s, p)
        want = conv(torch.zeros(1, 1, h, h)).shape[-1]           # torch's own answer
        got = answer(h, k, s, p)
        if got != want:
            return False, (f"for h={h}, kernel={k}, stride={s}, padding={p} torch gives {want}, you gave "
                           f"{got}. Hint: each input pixel stamps a kernel-sized patch every `stride` "
                           f"pixels; padding trims the border on both sides.")
    return True, "(h - 1) * stride - 2 * padding + kernel, the inverse of a convolution's size formula."


@_exercise("04.2", "the number of weights in the first layer of dcgan_generator(latent_dim=100, width=16)")
def _first_layer_weights(answer):
    from . import models

    first = next(m for m in models.dcgan_generator(latent_dim=100, width=16)
                 if isinstance(m, torch.nn.ConvTranspose2d))
    want = first.weight.numel()
    ok = isinstance(answer, (int, float)) and answer == want
    return ok, (f"{want:,} = 100 input channels x 64 output channels x a 7 x 7 kernel." if ok else
                "Hint: a transposed convolution from C_in to C_out channels with a k x k kernel has "
                "C_in * C_out * k * k weights; here C_out = 4 * width.")


# ---------------------------------------------------------------- notebook 05

@_exercise("05.1", "the earth mover's distance between uniform [0, 1] and a point mass at 0")
def _emd_uniform(answer):
    ok = _close(answer, 0.5, 1e-3)
    return ok, ("Every grain at x travels x to reach 0; the average of x over [0, 1] is 1/2." if ok else
                "Hint: all the mass has to move to 0. How far does a grain at x travel, on average?")


@_exercise("05.2", "a function penalty(critic, x_hat): mean (||grad critic(x_hat)||_2 - 1)^2")
def _penalty(answer):
    gen = torch.Generator().manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    with torch.no_grad():
        for p in critic.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    x_hat = torch.randn(32, 3, generator=gen).requires_grad_(True)
    # by hand: for s = w2 · tanh(W1 x + b1) + b2 the input gradient is W1^T (w2 * (1 - tanh^2))
    w1, b1, w2 = critic[0].weight, critic[0].bias, critic[2].weight
    with torch.no_grad():
        h = torch.tanh(x_hat @ w1.T + b1)
        grads = (w2 * (1 - h ** 2)) @ w1                        # (32, 3)
        want = ((grads.norm(dim=1) - 1) ** 2).mean()
    got = answer(critic, x_hat)
    ok = torch.is_tensor(got) and got.numel() == 1 and torch.allclose(got.detach().reshape(()), want, rtol=1e-4)
    return ok, ("Right: one gradient norm per sample, then the mean squared distance from 1." if ok else
                "Hint: torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True) gives one "
                "gradient row per sample; take .norm(dim=1), subtract 1, square, average.")


# ---------------------------------------------------------------- notebook 06

@_exercise("06.1", "(modes covered, high-quality fraction) for 2,500 samples exactly on 5 grid centres")
def _five_spots(answer):
    from . import data, metrics

    centres, _ = data.toy_modes("grid25")
    cov = metrics.mode_coverage(centres[[0, 6, 12, 18, 24]].repeat_interleave(500, 0), "grid25")
    want = (cov["covered"], cov["high_quality"])
    ok = (isinstance(answer, (tuple, list)) and len(answer) == 2 and answer[0] == want[0]
          and _close(answer[1], want[1], 1e-6))
    return ok, ("(5, 1.0): every sample is perfect, and only 5 modes have one. Quality alone "
                "cannot see collapse." if ok else
                "Hint: a sample exactly on a centre is 0 std from it. Which modes have a high-quality "
                "sample as their nearest?")


@_exercise("06.2", "all 25 modes covered but 40% high quality: the two likeliest pictures (letters)")
def _low_quality(answer):
    ok = isinstance(answer, str) and sorted(answer.strip().lower()) == ["a", "c"]
    return ok, ("Samples spread between the modes, or bridges joining them: the generator is a "
                "continuous map from one blob of noise, so it has to pass through the gaps somewhere." if ok else
                "Hint: covering every mode rules out collapse onto a few; copies of training data "
                "would all be high quality. Where are the other 60%?")


def keys():
    """Every exercise that has a check."""
    return sorted(_CHECKS)
