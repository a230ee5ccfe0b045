import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import ganlab
from ganlab import basics, exercises, models

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


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

    def d_star(log_p_data, log_p_g, x):       # 1 / (1 + p_g / p_data), the ratio from the logs
        return 1 / (1 + torch.exp(log_p_g(x) - log_p_data(x)))

    def d_step(D, opt, real, fake):            # BCE with labels 1 and 0, one mean for each batch
        opt.zero_grad()
        s_real, s_fake = D(real), D(fake.detach())
        loss = (F.binary_cross_entropy_with_logits(s_real, torch.ones_like(s_real))
                + F.binary_cross_entropy_with_logits(s_fake, torch.zeros_like(s_fake)))
        loss.backward()
        opt.step()
        return loss                            # a tensor with gradients: the checker takes it

    def critic_step(critic, opt, real, fake, weight):
        alpha = torch.rand(len(real)).view(-1, *[1] * (real.dim() - 1))
        x_hat = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
        g, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
        penalty = ((g.reshape(len(g), -1).pow(2).sum(1).sqrt() - 1) ** 2).mean()
        loss = critic(fake).mean() - critic(real).mean() + weight * penalty
        opt.zero_grad()
        loss.backward()
        opt.step()
        return np.float64(loss.item())         # a NumPy number: the checker takes it too

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
        "02.3": d_star,
        "03.3": d_step,
        "04.3": dcgan_generator,              # a function that builds the module, not a class
        "05.3": critic_step,
        "06.3": Packed,
        "predict 05.1": " B",                  # spaces and capitals are fine
        "predict 06.1": "b",
    }


# the checks that train a reader's loop (seconds each): their right answers are the worked
# solutions (test_the_worked_solution_passes_its_check), their wrong ones the classic
# mistakes of tests/test_exercise_loops.py; the measured prediction 02.1 and 07.3 likewise
TRAINING = {"03.5", "03.6", "04.5", "04.6", "05.5", "05.6", "07.1", "07.2", "07.3", "predict 02.1"}


def dcgan_generator(latent_dim, width, tanh=True, bias=False, unflatten=True, first_kernel=7):
    """The 28x28 DCGAN generator as one Sequential; the keyword arguments make natural mistakes."""
    w = width
    layers = [nn.Unflatten(1, (latent_dim, 1, 1))] if unflatten else []
    layers += [nn.ConvTranspose2d(latent_dim, 4 * w, first_kernel, 1, 0, bias=bias),
               nn.BatchNorm2d(4 * w), nn.ReLU(),
               nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=bias), nn.BatchNorm2d(2 * w), nn.ReLU(),
               nn.ConvTranspose2d(2 * w, 1, 4, 2, 1)]
    return nn.Sequential(*layers, *([nn.Tanh()] if tanh else []))


class Packed(nn.Module):
    """A packed discriminator; `packing` and `activation` make natural mistakes."""

    def __init__(self, dim, pack, hidden, packing="consecutive", activation=lambda: nn.LeakyReLU(0.2)):
        super().__init__()
        self.k, self.packing = pack, packing
        sizes = [dim if packing == "average" else pack * dim, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.act = activation()
        self.out = nn.Linear(sizes[-1], 1)

    def forward(self, x):
        b, d = x.shape
        if self.packing == "consecutive":
            h = x.view(b // self.k, self.k * d)
        elif self.packing == "strided":          # samples b / k apart in one pack
            h = x.view(self.k, b // self.k, d).transpose(0, 1).reshape(b // self.k, -1)
        elif self.packing == "interleaved":      # the right samples, features interleaved
            h = x.view(b // self.k, self.k, d).transpose(1, 2).reshape(b // self.k, -1)
        else:                                    # the pack's average
            h = x.view(b // self.k, self.k, d).mean(1)
        for layer in self.hidden:
            h = self.act(layer(h))
        return self.out(h)


def _even_classes(model, n):                # ignores p(y): half of each class
    return torch.cat([model.sample(n // 2, label=0), model.sample(n - n // 2, label=1)])


WRONG = {
    "01.1": "circle", "01.2": 0.5, "01.3": 0.0, "01.4": _even_classes, "02.1": lambda u: u, "02.2": lambda x, y, s: torch.tensor(0.0),
    "03.1": lambda s: F.logsigmoid(s).mean(), "03.2": 10,
    "04.1": lambda h, k, s, p: h * s, "04.2": 100 * 64 * 4 * 4,
    "06.1": (25, 0.2), "06.2": "bd",
    "05.1": 1.0, "05.2": lambda c, x: (torch.autograd.grad(c(x).sum(), x)[0].norm(dim=1) - 1).mean(),
    "02.3": lambda lp, lg, x: torch.sigmoid(lg(x) - lp(x)),                       # p_g on top
    "03.3": lambda D, opt, real, fake: 0.0,                                       # no step at all
    "04.3": lambda latent_dim, width: dcgan_generator(latent_dim, width, tanh=False),
    "05.3": lambda critic, opt, real, fake, weight: critic(fake).mean() - critic(real).mean(),
    "06.3": lambda dim, pack, hidden: Packed(dim, pack, hidden, packing="strided"),
    "predict 05.1": "a", "predict 06.1": "c",
}


def _d_step(detach=True, zero_grad=True, sign=1.0, scale=1.0):
    def step(D, opt, real, fake):
        loss = -scale * (F.logsigmoid(D(real)).mean() + F.logsigmoid(-D(fake.detach() if detach else fake)).mean())
        if zero_grad:
            opt.zero_grad()
        (sign * loss).backward()
        opt.step()
        return loss
    return step


def _critic_step(minus_one=True, create_graph=True, alpha="sample", norm="sample"):
    def step(critic, opt, real, fake, weight):
        a = (torch.rand_like(real) if alpha == "pixel" else torch.rand(len(real)).view(-1, *[1] * (real.dim() - 1)))
        x_hat = real.clone() if alpha == "real" else a * real + (1 - a) * fake
        x_hat.requires_grad_(True)
        g, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=create_graph)
        n = g.flatten(1).norm(dim=1) if norm == "sample" else g.norm(dim=1)
        loss = critic(fake).mean() - critic(real).mean() + weight * ((n - float(minus_one)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


NATURAL_MISTAKES = {   # each fails its check, and the message points at what went wrong
    "02.3": [(lambda lp, lg, x: lp(x).exp() / (lp(x).exp() + lg(x).exp()), "0 / 0"),     # densities underflow
             (lambda lp, lg, x: torch.sigmoid(lp(x) - lg(x))[:5], "203 numbers")],
    "03.3": [(_d_step(detach=False), "detach"), (_d_step(zero_grad=False), "zero_grad"),
             (_d_step(sign=-1.0), "descends"), (_d_step(scale=0.5), "half")],
    "04.3": [(lambda l, w: dcgan_generator(l, w, tanh=False), "Tanh"),
             (lambda l, w: nn.Sequential(*dcgan_generator(l, w)[:-1], nn.Sigmoid()), "[-1, 1]"),
             (lambda l, w: dcgan_generator(l, w, bias=True), "bias=False"),
             (lambda l, w: dcgan_generator(l, w, unflatten=False), "Unflatten"),
             (lambda l, w: dcgan_generator(l, w, first_kernel=4), "(16, 1, 28, 28)")],
    "05.3": [(_critic_step(minus_one=False), "0.09"), (_critic_step(create_graph=False), "create_graph"),
             (_critic_step(alpha="pixel"), "per sample"), (_critic_step(norm="channels"), "flatten(1)"),
             (_critic_step(alpha="real"), "2.833")],
    "06.3": [(lambda d, p, h: Packed(d, p, h, packing="strided"), "consecutive"),
             (lambda d, p, h: Packed(d, p, h, packing="interleaved"), "sample 0's features"),
             (lambda d, p, h: Packed(d, p, h, packing="average"), "as a set"),
             (lambda d, p, h: Packed(d, p, h, activation=nn.ReLU), "LeakyReLU(0.2)"),
             (Packed(2, 4, (32, 32)), "the class itself")],
}


def test_every_exercise_has_a_right_and_a_wrong_answer(capsys):
    answers = right_answers()
    assert set(answers) | TRAINING == set(exercises.keys()) and set(answers) == set(WRONG)
    assert not set(answers) & TRAINING
    for key in answers:
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


@pytest.mark.parametrize("key", sorted(NATURAL_MISTAKES))
def test_a_build_check_fails_natural_mistakes_and_says_which(key, capsys):
    for answer, says in NATURAL_MISTAKES[key]:
        assert exercises.check(key, answer) is False, (key, says)
        out = capsys.readouterr().out
        assert says in out and "Hint" in out, (key, says, out)


def test_a_module_answer_may_be_a_class_a_function_or_an_instance(capsys):
    class Generator(nn.Module):
        def __init__(self, latent_dim, width):
            super().__init__()
            self.net = dcgan_generator(latent_dim, width)

        def forward(self, z):
            return self.net(z)

    instance = Generator(100, 16)
    weights = {k: v.clone() for k, v in instance.state_dict().items()}
    assert exercises.check("04.3", Generator) is True
    assert exercises.check("04.3", instance) is True
    assert all(torch.equal(weights[k], v) for k, v in instance.state_dict().items()), "the check must train a copy"


def test_checks_leave_the_global_random_stream_alone(capsys):
    answers = right_answers()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for key in ("03.3", "04.3", "05.3", "06.3", "predict 06.1"):
        assert exercises.check(key, answers[key]) is True
    assert torch.equal(torch.rand(3), expected), "a check moved the numbers of the cells after it"


def test_numbers_come_in_the_forms_a_reader_gives_them():
    for value in (2, 2.0, np.float32(2), np.int64(2), np.array(2.0), np.array([2.0]), torch.tensor(2.0),
                  torch.tensor([[2.0]]), torch.tensor(2.0, requires_grad=True) * 1):
        assert exercises._number(value) == 2.0, value
    for value in (True, "2", [2.0], torch.ones(2), np.ones(2), None):
        assert exercises._number(value) is None, value
    assert exercises.check("04.2", np.int64(313_600)) is True


def test_gan_score_packs_consecutive_samples():
    """What 06.3 asks for is what the trainer does: pack k holds samples k*pack ... k*pack + pack - 1."""
    torch.manual_seed(0)
    d = models.mlp_discriminator(in_shape=(3,), hidden=(8,), pack=4)
    g = models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(3,), output=None)
    gan = ganlab.GAN(g, d, seed=0, device="cpu")
    x = torch.randn(12, 3)
    by_hand = torch.stack([torch.cat([x[4 * k + i] for i in range(4)]) for k in range(3)])
    assert torch.allclose(gan.score(x), d(by_hand))


def _solution_blocks():
    """{key: python source} from notebooks/solutions.md: each key's code blocks and inline
    `answer_k = ...` (or `prediction_k = ...` for a prediction)."""
    text = (NOTEBOOKS / "solutions.md").read_text()
    parts = re.split(r"^\*\*((?:predict )?\d\d\.\d)\*\*", text, flags=re.M)
    found = {}
    for key, body in zip(parts[1::2], parts[2::2]):
        body = body.split("\n## ")[0]
        blocks = re.findall(r"```python\n(.*?)```", body, flags=re.S)
        inline = re.findall(r"`((?:answer|prediction)_\d = [^`]+)`", body)
        found[key] = "\n".join(blocks + inline)
    return found


def _notebook_imports(key):
    """The import lines of the notebook's first cell after the setup, as its reader has them."""
    path = next(NOTEBOOKS.glob(f"{key[-4:-2]}_*.ipynb"))
    cell = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"][1]
    return "\n".join(line for line in cell.splitlines() if line.startswith(("import ", "from ")))


@pytest.mark.parametrize("key", exercises.keys())
def test_the_worked_solution_passes_its_check(key, capsys):
    source = _solution_blocks().get(key, "")
    name = f"{'prediction' if key.startswith('predict') else 'answer'}_{key[-1]}"
    assert f"{name} = " in source, f"notebooks/solutions.md: give {key}'s answer as `{name} = ...`"
    namespace = {}
    with torch.random.fork_rng(devices=[]):
        exec(_notebook_imports(key), namespace)
        exec(source, namespace)
        assert exercises.check(key, namespace[name]) is True, capsys.readouterr().out


def test_a_sampler_of_one_class_or_of_the_wrong_shape_is_not_right(capsys):
    assert exercises.check("01.4", lambda m, n: m.sample(n, label=0)) is False
    assert exercises.check("01.4", lambda m, n: m.sample(n, label=0)[:, :1]) is False
    assert "(40000, 2)" in capsys.readouterr().out


@pytest.mark.parametrize("answer, right", [("line", True), ("straight", True), ("A straight line.", True),
                                           ("hyperplane", True), ("a plane", True), ("linear", True),
                                           ("circle", False), ("curved line", False), ("", False), ("ellipse", False)])
def test_the_one_word_boundary_answer_takes_any_word_for_a_line(answer, right, capsys):
    """01.1 asks for one word: every word a reader may use for a straight boundary counts, a curve does not."""
    assert exercises.check("01.1", answer) is right
