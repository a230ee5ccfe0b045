import math

import pytest
import torch
import torch.nn.functional as F

import ganlab
from ganlab import basics, exercises


def right_answers():
    x2, y2 = basics.two_classes(n=600, p1=0.2, seed=0)
    digit = ganlab.data.mnist("test", limit=1, device="cpu")[0][0]

    def mmd_one(x, y, sigma):
        k = lambda a, b: torch.exp(-torch.cdist(a, b) ** 2 / (2 * sigma ** 2))
        return k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()

    def penalty(critic, x_hat):             # written independently of ganlab.losses
        g, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
        return ((g.pow(2).sum(1).sqrt() - 1) ** 2).mean()

    def sample_x(model, n):                  # a Bernoulli class per point, then its Gaussian
        is_1 = torch.rand(n) < model.prior[1]
        x = torch.distributions.MultivariateNormal(model.means[0], model.covs[0]).sample((n,))
        x[is_1] = torch.distributions.MultivariateNormal(model.means[1], model.covs[1]).sample((int(is_1.sum()),))
        return x

    return {
        "01.1": "line",
        "01.4": sample_x,
        "01.2": (y2 == 1).float().mean().item(),          # the share of planes, counted directly
        "01.3": float(((digit - torch.roll(digit, 1, dims=2)) ** 2).sum().sqrt()),
        "02.1": lambda u: torch.tan(math.pi * (u - 0.5)),
        "02.2": mmd_one,
        "03.1": lambda s: torch.log(1 - torch.sigmoid(s)).mean(),
        "03.2": 2,
        "04.1": lambda h, k, s, p: (h - 1) * s - 2 * p + k,
        "04.2": 100 * 64 * 7 * 7,
        "05.1": 0.5,
        "05.2": penalty,
        "06.1": (5, 1.0),
        "06.2": "ca",
    }


def _even_classes(model, n):                # ignores p(y): half of each class
    return torch.cat([model.sample(n // 2, label=0), model.sample(n - n // 2, label=1)])


WRONG = {
    "01.1": "circle", "01.2": 0.5, "01.3": 0.0, "01.4": _even_classes, "02.1": lambda u: u, "02.2": lambda x, y, s: torch.tensor(0.0),
    "03.1": lambda s: F.logsigmoid(s).mean(), "03.2": 10,
    "04.1": lambda h, k, s, p: h * s, "04.2": 100 * 64 * 4 * 4,
    "06.1": (25, 0.2), "06.2": "bd",
    "05.1": 1.0, "05.2": lambda c, x: (torch.autograd.grad(c(x).sum(), x)[0].norm(dim=1) - 1).mean(),
}


def test_every_exercise_has_a_right_and_a_wrong_answer(capsys):
    answers = right_answers()
    assert set(answers) == set(exercises.keys()) == set(WRONG)
    for key in exercises.keys():
        assert exercises.check(key, answers[key]) is True, key
        assert exercises.check(key, WRONG[key]) is False, key
    out = capsys.readouterr().out
    assert out.count("✓ right") == len(answers) and out.count("Hint") >= len(answers)


def test_unanswered_and_crashing_answers(capsys):
    assert exercises.check("02.1", None) is False
    assert "not answered yet" in capsys.readouterr().out
    assert exercises.check("02.1", lambda u: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out
    with pytest.raises(KeyError, match="01.1"):
        exercises.check("09.9", 1)


def test_a_sampler_of_one_class_or_of_the_wrong_shape_is_not_right(capsys):
    assert exercises.check("01.4", lambda m, n: m.sample(n, label=0)) is False
    assert exercises.check("01.4", lambda m, n: m.sample(n, label=0)[:, :1]) is False
    assert "(40000, 2)" in capsys.readouterr().out
