"""The write-the-loop and debug-this-GAN checks: each classic mistake fails with its own hint.

The loops here are written independently of ganlab: one correct loop per game, with switches
that plant one mistake each. The mistakes are told apart by what the check watches during
training (the gradients on D's scores, every optimizer step), not by how far training got,
so these tests run each check on a shorter budget than a reader's loop gets. The correct
loops pass at the full budget in test_exercises.py::test_the_worked_solution_passes_its_check.
"""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganlab import exercises
from ganlab.exercises import loops, notebook03, notebook04, notebook05, notebook07

bce = F.binary_cross_entropy_with_logits


def gan_loop(detach=True, zero_d=True, zero_g=True, together=False, saturating=False, swapped=False,
             sigmoid=False, init=False, beta1=0.5, unit_range=False, fresh_fakes_for_g=False):
    """The standard GAN loop (03, and 04's with init=True); each other switch plants a mistake."""
    def init_weights(m):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def train(G, D, data, steps, latent_dim, batch_size=64, lr=1e-3):
        if init:
            G.apply(init_weights)
            D.apply(init_weights)
        opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(beta1, 0.999))
        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(beta1, 0.999))
        real_label, fake_label = (0.0, 1.0) if swapped else (1.0, 0.0)
        squash = torch.sigmoid if sigmoid else (lambda s: s)
        for _ in range(steps):
            real = data[torch.randint(len(data), (batch_size,))]
            if unit_range:
                real = (real + 1) / 2                       # "pixels to [0, 1]"
            fake = G(torch.randn(batch_size, latent_dim))
            s_real, s_fake = squash(D(real)), squash(D(fake if not detach else fake.detach()))
            d_loss = bce(s_real, torch.full_like(s_real, real_label)) + bce(s_fake, torch.full_like(s_fake, fake_label))
            if together:                                    # both backward passes, then both steps
                opt_d.zero_grad()
                opt_g.zero_grad()
                d_loss.backward(retain_graph=True)
                s_gen = squash(D(fake))
                bce(s_gen, torch.ones_like(s_gen)).backward()
                opt_d.step()
                opt_g.step()
                continue
            if zero_d:
                opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            if fresh_fakes_for_g:
                fake = G(torch.randn(batch_size, latent_dim))
            s_gen = squash(D(fake))
            g_loss = F.logsigmoid(-s_gen).mean() if saturating else bce(s_gen, torch.full_like(s_gen, real_label))
            if zero_g:
                opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
    return train


def wgan_loop(penalty=True, create_graph=True, n_critic=None, critic_sign=1.0, g_sign=1.0, detach=True):
    """The WGAN-GP loop; each switch plants a mistake."""
    def train(G, critic, data, steps, latent_dim, n_critic_asked=5, weight=10.0, batch_size=64, lr=1e-3, **kw):
        n = n_critic or kw.get("n_critic", n_critic_asked)
        opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.9))
        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.9))
        for _ in range(steps):
            for _ in range(n):
                real = data[torch.randint(len(data), (batch_size,))]
                fake = G(torch.randn(batch_size, latent_dim))
                fake = fake.detach() if detach else fake
                loss = critic_sign * (critic(fake).mean() - critic(real).mean())
                if penalty:
                    alpha = torch.rand(batch_size, 1)
                    x_hat = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
                    g, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=create_graph)
                    loss = loss + weight * ((g.norm(dim=1) - 1) ** 2).mean()
                opt_c.zero_grad()
                loss.backward()
                opt_c.step()
            g_loss = -g_sign * critic(G(torch.randn(batch_size, latent_dim))).mean()
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
    return train


def conditional_loop(fake_labels="own", real_labels="own", blind_call=False):
    """The conditional loop; fake_labels="real batch's" or real_labels="shuffled" plant a mistake."""
    def train(G, D, points, labels, steps, latent_dim, n_classes, batch_size=64, lr=1e-3):
        opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
        for _ in range(steps):
            i = torch.randint(len(points), (batch_size,))
            real, y_real = points[i], labels[i]
            if real_labels == "shuffled":
                y_real = y_real[torch.randperm(batch_size)]
            y_fake = torch.randint(n_classes, (batch_size,))
            fake = G(torch.randn(batch_size, latent_dim), y_fake)
            y_judged = y_real if fake_labels == "real batch's" else y_fake
            s_real = D(real) if blind_call else D(real, y_real)
            s_fake = D(fake.detach(), y_judged)
            d_loss = bce(s_real, torch.ones_like(s_real)) + bce(s_fake, torch.zeros_like(s_fake))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            s_gen = D(fake, y_judged)
            g_loss = bce(s_gen, torch.ones_like(s_gen))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
    return train


MISTAKES = {   # key: [(the loop, what its message must say)]; the debug exercises' own bugs are below
    "03.5": [(gan_loop(detach=False), "backward through the graph a second time"),
             (gan_loop(detach=False, fresh_fakes_for_g=True), "D(fake.detach())"),
             (gan_loop(zero_d=False), "opt_d.zero_grad()"),
             (gan_loop(zero_g=False), "opt_g.zero_grad()"),
             (gan_loop(together=True), "D's optimizer stepped on G's loss"),
             (gan_loop(saturating=True), "saturating"),
             (gan_loop(swapped=True), "labels are swapped"),
             (gan_loop(sigmoid=True), "another")],
    "04.5": [(gan_loop(init=False), "N(0, 0.02)"),
             (gan_loop(init=True, beta1=0.9), "betas=(0.5, 0.999)"),
             (gan_loop(init=True, unit_range=True), "[-1, 1]")],
    "05.5": [(wgan_loop(penalty=False), "no gradient penalty"),
             (wgan_loop(n_critic=1), "n_critic critic updates"),
             (wgan_loop(critic_sign=-1.0), "pushes real scores down"),
             (wgan_loop(g_sign=-1.0), "G minimises -mean f(G(z))"),
             (wgan_loop(detach=False), "fake.detach()")],
    "07.1": [(conditional_loop(real_labels="shuffled"), "not theirs"),
             (conditional_loop(blind_call=True), "both players get the labels")],
}

SHORT = {notebook03: 150, notebook04: 20, notebook05: 40, notebook07: 150}


@pytest.fixture
def short_budgets(monkeypatch):
    for module, steps in SHORT.items():
        monkeypatch.setattr(module, "LOOP_STEPS", steps)


@pytest.mark.parametrize("key", sorted(MISTAKES))
def test_each_classic_mistake_fails_with_its_own_hint(key, short_budgets, capsys):
    for loop, says in MISTAKES[key]:
        assert exercises.check(key, loop) is False, (key, says)
        out = capsys.readouterr().out
        assert says in out and "Hint" in out, (key, says, out)


def test_the_watch_leaves_no_hook_behind(capsys):
    """After a check, optimizers step without being recorded: the global hook is gone."""
    watch = loops.Watch(nn.Linear(2, 2), nn.Linear(2, 1))
    with watch.steps():
        pass
    opt = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    opt.step()
    assert watch.opt_steps == []


def test_the_gradient_on_a_score_names_the_loss():
    """What the checks rely on, computed here with autograd: the gradient each loss sends to a score."""
    s = torch.linspace(-3, 3, 7, requires_grad=True)
    for loss, shape in ((bce(s, torch.ones_like(s)), loops.REAL), (bce(s, torch.zeros_like(s)), loops.FAKE),
                        (F.logsigmoid(-s).mean(), loops.SATURATING)):
        grad, = torch.autograd.grad(loss, s)
        assert torch.allclose(grad * len(s), shape(s.detach()), atol=1e-6)


def _cell_function(notebook, cell_id, name):
    """The function a notebook's cell defines, run with the notebook's own imports."""
    import nbformat
    from pathlib import Path

    path = next((Path(__file__).parent.parent / "notebooks").glob(f"{notebook}_*.ipynb"))
    cells = nbformat.read(path, as_version=4).cells
    setup = [c.source for c in cells if c.cell_type == "code"][1]
    namespace = {}
    exec("\n".join(line for line in setup.splitlines() if line.startswith(("import ", "from "))), namespace)
    exec(next(c.source for c in cells if c.id == cell_id), namespace)
    return namespace[name]


@pytest.mark.parametrize("key, says", [("03.6", "not detached"), ("04.6", "sigmoid(sigmoid(s))"),
                                       ("05.6", "create_graph=True"), ("07.2", "G(z, y_fake)")])
def test_the_notebooks_planted_bugs_fail_their_checks(key, says, short_budgets, capsys):
    """The loop as the notebook gives it, unfixed, fails with the hint for its bug; the skeleton
    of the write-the-loop cell is a wrong answer, not a crash."""
    buggy = _cell_function(key[:2], "x33-debug", "train_debugged")
    assert exercises.check(key, buggy) is False
    out = capsys.readouterr().out
    assert says in out and "Hint" in out, out
    loop_key = f"{key[:2]}.{int(key[-1]) - 1}"
    assert exercises.check(loop_key, _cell_function(key[:2], "x33-loop", "train")) is False
    assert "not yet" in capsys.readouterr().out
