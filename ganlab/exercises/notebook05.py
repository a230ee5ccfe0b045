"""Checks for notebook 05's exercises (registered with ganlab.exercises; worked solutions in notebooks/solutions.md)."""
import torch
from torch import nn

from .loops import one_thread
from . import _exercise, _number, _close, _own_random_stream

LOOP_STEPS = 100          # generator steps the loop checks give a reader's loop


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


class _Bowl(nn.Module):
    """f(x) = c/2 |x|^2 over all of a sample's entries: its gradient c x grows with x, so the
    penalty depends on where the points x̂ lie."""

    def __init__(self):
        super().__init__()
        self.c = nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        return 0.5 * self.c * x.flatten(1).pow(2).sum(1, keepdim=True)       # (B, 1)


@_exercise("05.3", "a function critic_step(critic, optimizer, real, fake, weight): one WGAN-GP critic "
                   "update; returns the critic's loss before it")
def _critic_step(answer):
    weight, lr = 10.0, 0.05
    gen = torch.Generator().manual_seed(3)
    hint = ("Hint: loss = mean f(fake) - mean f(real) + weight * mean (|grad f(x̂)| - 1)^2, with "
            "x̂ = alpha real + (1 - alpha) fake and one alpha ~ U(0, 1) per sample, "
            "torch.rand(B, 1, 1, 1) for images; the norm over all of a sample's entries "
            "(grads.flatten(1).norm(dim=1)).")
    with _own_random_stream(0):
        # 1. a linear critic f(x) = w·x + b has gradient w at every x: the penalty is (|w| - 1)^2
        critic = nn.Linear(3, 1)
        with torch.no_grad():
            critic.weight.copy_(torch.tensor([[0.6, -0.3, 0.2]]))        # |w| = 0.7
            critic.bias.fill_(0.1)
        real, fake = torch.randn(8, 3, generator=gen) + 1, torch.randn(8, 3, generator=gen)
        w = critic.weight.detach().reshape(-1).clone()
        norm = w.norm()
        want_loss = (fake.mean(0) @ w - real.mean(0) @ w + weight * (norm - 1) ** 2).item()
        grad_w = fake.mean(0) - real.mean(0) + weight * 2 * (norm - 1) * w / norm     # the bias's is 0
        opt = torch.optim.SGD(critic.parameters(), lr=lr)
        for param in critic.parameters():
            param.grad = torch.ones_like(param)           # left over from an earlier step: must be cleared
        got = _number(answer(critic, opt, real, fake, weight))
        if got is None:
            return False, "critic_step should return the loss, a number or a one-element tensor. " + hint
        if not _close(got, want_loss, 1e-4):
            no_penalty = want_loss - weight * (norm.item() - 1) ** 2
            return False, (f"for a linear critic with |w| = 0.7 you returned {got:.4f}, the loss is "
                           f"{want_loss:.4f} (its penalty: (0.7 - 1)^2 = 0.09 times {weight:g})"
                           + (", and without the penalty it would be yours" if _close(got, no_penalty, 1e-4) else "")
                           + ". " + hint)
        moved_w, moved_b = critic.weight.detach().reshape(-1), critic.bias.item()
        if not (torch.allclose(moved_w, w - lr * grad_w, atol=1e-5) and abs(moved_b - 0.1) < 1e-5):
            return False, ("The loss is right but the critic's weights after the step are not. Hint: "
                           "optimizer.zero_grad() before backward(), and create_graph=True in "
                           "torch.autograd.grad, so the penalty's own gradient reaches the weights.")
        # 2. where x̂ lies: f = |x|^2 / 2 on images whose real ones have norm 1 and fake ones are 0;
        # then |grad f(x̂)| = alpha and the penalty is E (alpha - 1)^2 = 1/3, f(real) = 1/2
        real, fake = torch.full((16384, 1, 2, 2), 0.5), torch.zeros(16384, 1, 2, 2)
        bowl = _Bowl()
        got = _number(answer(bowl, torch.optim.SGD(bowl.parameters(), lr=lr), real, fake, weight))
    want = -0.5 + weight / 3
    ok = _close(got, want, 0.1)
    yours = "not a number" if got is None else f"{got:.3f}"
    return ok, ("Right: the Wasserstein terms, and the penalty at one random point per sample between "
                "real and fake, with create_graph=True so the step can follow it." if ok else
                f"On image batches (B, 1, 2, 2) with real = 0.5 everywhere, fake = 0 and f(x) = |x|^2 / 2 "
                f"your loss is {yours}; with alpha ~ U(0, 1) per sample it is -1/2 + {weight:g} / 3 = "
                f"{want:.3f} on average. " + hint)


def _critic_gradient_norm(critic, G, data, latent_dim):
    """The critic's mean gradient norm at points between real points and G's samples."""
    real, fake = data[:512], G(torch.randn(512, latent_dim)).detach()
    alpha = torch.rand(512, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grads, = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return grads.norm(dim=1).mean().item()


@one_thread()
def _wgan_loop(answer):
    from .loops import run, wgan_mistakes, verdict
    from .toys import mlp, ring

    steps, n_critic = LOOP_STEPS, 5
    with _own_random_stream(0):
        G, critic = mlp([2, 64, 64, 2]), mlp([2, 64, 64, 1])
        data = ring(2000)
        watch, error = run(answer, G, critic, data, steps=steps, latent_dim=2, n_critic=n_critic, weight=10.0,
                           batch_size=64, lr=1e-3, keep_d=True)
        norm = None if error else _critic_gradient_norm(critic, G, data, 2)
    wrong = verdict([] if error else wgan_mistakes(watch, steps, n_critic), error)
    if wrong:
        return wrong
    ok = 0.7 < norm < 1.3
    return ok, (f"After {steps} generator steps and {steps * n_critic} critic steps, the critic's gradient "
                f"at points between real and fake has mean norm {norm:.2f}: the penalty holds it near 1." if ok else
                f"Your loop runs, but the critic's gradient between real and fake has mean norm {norm:.2f} "
                f"after training, far from 1. Hint: weight * mean (|grad f(x_hat)| - 1)^2 in the critic's loss, "
                f"the norm over each sample's own gradient row.")


@_exercise("05.5", "a function train(G, critic, data, steps, latent_dim, n_critic, weight, batch_size, lr): "
                   "the WGAN-GP loop in plain PyTorch")
def _write_the_loop(answer):
    return _wgan_loop(answer)


@_exercise("05.6", "the WGAN-GP loop of exercise 6, debugged")
def _debug_the_loop(answer):
    return _wgan_loop(answer)


@_exercise("predict 05.1", "clip a deep critic's weights at c = 0.01 and train it: where do most weights end up? "
                    "(a) spread evenly over [-c, c], (b) piled at -c and +c, (c) bunched near 0")
def _clipped_weights(answer):
    ok = isinstance(answer, str) and answer.strip().lower() == "b"
    return ok, ("Section 3 counts them: most weights sit at the walls, and they were there before training. "
                "PyTorch draws a 256-wide layer's first weights from ±1/16, wider than c, so the first clamp "
                "pins most of them at ±c; training then barely moves them." if ok else
                "Not what section 3 measures. Hint: PyTorch draws a 256-wide layer's first weights from "
                "±1/16 = ±0.0625. What does clamping them into [-0.01, 0.01] do?")
