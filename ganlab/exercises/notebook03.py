"""Checks for notebook 03's exercises (registered with ganlab.exercises; worked solutions in notebooks/solutions.md)."""
import torch
from torch import nn

from .loops import one_thread
from . import _exercise, _number, _close, _own_random_stream

LOOP_STEPS = 600          # training steps the loop checks give a reader's loop


@_exercise("03.1", "a function minimax_g_loss(fake_scores): the saturating generator loss from raw scores")
def _minimax_g(answer):
    from .. import losses

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


@_exercise("03.3", "a function d_step(D, opt_d, real, fake): one discriminator update; returns D's loss before it")
def _d_step(answer):
    gen = torch.Generator().manual_seed(4)
    with _own_random_stream(0):
        D, G = nn.Linear(4, 1), nn.Linear(3, 4)                 # a one-layer D, so the update is a formula
        with torch.no_grad():
            D.weight.copy_(torch.randn(1, 4, generator=gen) * 0.5)
            D.bias.fill_(-0.2)
        real = torch.randn(6, 4, generator=gen) + 0.5
        fake = G(torch.randn(6, 3, generator=gen))             # straight from G, with gradients
        # by hand: p = sigmoid(w·x + b), loss = -mean log p(real) - mean log(1 - p(fake)),
        # d loss/dw = -mean (1 - p_r) x_r + mean p_f x_f,  d loss/db = -mean (1 - p_r) + mean p_f
        w, b, xr, xf = D.weight.detach().reshape(-1).clone(), D.bias.item(), real, fake.detach()
        pr, pf = torch.sigmoid(xr @ w + b), torch.sigmoid(xf @ w + b)
        want_loss = -(torch.log(pr).mean() + torch.log(1 - pf).mean()).item()
        grad_w = -((1 - pr)[:, None] * xr).mean(0) + (pf[:, None] * xf).mean(0)
        grad_b = (-(1 - pr).mean() + pf.mean()).item()
        lr = 0.5
        opt = torch.optim.SGD(D.parameters(), lr=lr)
        for param in D.parameters():
            param.grad = torch.full_like(param, 3.0)        # left over from an earlier step: must be cleared
        got = _number(answer(D, opt, real, fake))
    if got is None:
        return False, "d_step should return D's loss, a number or a one-element tensor. Hint: return d_loss."
    if G.weight.grad is not None and G.weight.grad.abs().sum() > 0:
        return False, ("D's loss reached G's weights: they got gradients from D's update. "
                       "Hint: score fake.detach(), as section 2's step does.")
    if not _close(got, want_loss, 1e-4):
        halved = _close(got, want_loss / 2, 1e-4)
        return False, (f"you returned {got:.4f}, D's loss on these batches is {want_loss:.4f}"
                       + (" (you have half of it: the two means are added, not averaged)" if halved else "")
                       + ". Hint: with s = D(x), loss = -mean log sigmoid(s_real) - mean log(1 - sigmoid(s_fake)); "
                       "F.logsigmoid(s) is log sigmoid(s), F.logsigmoid(-s) is log(1 - sigmoid(s)). "
                       "Return the loss computed before the step.")
    new_w, new_b = D.weight.detach().reshape(-1), D.bias.item()
    ok = torch.allclose(new_w, w - lr * grad_w, atol=1e-5) and abs(new_b - (b - lr * grad_b)) < 1e-5
    return ok, ("Right loss, right update, and G untouched: the D half of section 2's step." if ok else
                "The loss is right but D's weights after the step are not. Hint: opt_d.zero_grad() "
                "before d_loss.backward() (gradients add up otherwise), then opt_d.step(), which "
                "descends on the loss.")


@one_thread()
def _ring_loop(answer):
    from .loops import run, bce_mistakes, d_accuracy, verdict
    from .toys import mlp, ring, off_ring

    steps = LOOP_STEPS
    with _own_random_stream(0):
        G, D = mlp([2, 64, 64, 2]), mlp([2, 64, 64, 1])
        data, z = ring(2000), torch.randn(1000, 2)
        with torch.no_grad():
            before = off_ring(G(z))
        watch, error = run(answer, G, D, data, steps=steps, latent_dim=2, batch_size=64, lr=1e-3)
        with torch.no_grad():
            after = off_ring(G(z))
    wrong = verdict(bce_mistakes(watch, steps) if not error else [], error)
    if wrong:
        return wrong
    acc = d_accuracy(watch)
    ok = after < 0.3
    return ok, (f"{steps} steps of your loop moved G's samples from {before:.2f} to {after:.2f} (mean distance) "
                f"from the ring of real points. D's accuracy on its own batches peaked at {max(acc):.0%} and "
                f"ended at {acc[-1]:.0%}" + (", back near 1/2 as G caught up." if acc[-1] < 0.65 else ".") if ok else
                f"Your loop plays the game correctly, but in {steps} steps G's samples only came from {before:.2f} to "
                f"{after:.2f} from the ring; a correct loop brings them within 0.15. Hint: use the lr and "
                f"batch_size the check passes, one fresh real batch and fresh noise every step.")


@_exercise("03.5", "a function train(G, D, data, steps, latent_dim, batch_size, lr): the whole GAN "
                   "training loop in plain PyTorch")
def _write_the_loop(answer):
    return _ring_loop(answer)


@_exercise("03.6", "the training loop of exercise 6, debugged")
def _debug_the_loop(answer):
    return _ring_loop(answer)
