"""Checks for notebook 04's exercises (registered with ganlab.exercises; worked solutions in notebooks/solutions.md)."""
import copy

import torch

from .loops import one_thread
from . import _exercise, _number, _own_random_stream, _module

LOOP_STEPS = 60           # training steps the loop checks give a reader's loop


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
    from .. import models

    first = next(m for m in models.dcgan_generator(latent_dim=100, width=16)
                 if isinstance(m, torch.nn.ConvTranspose2d))
    want = first.weight.numel()
    ok = _number(answer) == want
    return ok, (f"{want:,} = 100 input channels x 64 output channels x a 7 x 7 kernel." if ok else
                "Hint: a transposed convolution from C_in to C_out channels with a k x k kernel has "
                "C_in * C_out * k * k weights; here C_out = 4 * width.")


def _layer_counts(module):
    return ", ".join(f"{type(m).__name__} {sum(p.numel() for p in m.parameters(recurse=False)):,}"
                     for m in module.modules() if any(True for _ in m.parameters(recurse=False)))


@_exercise("04.3", "an nn.Module class DCGANGenerator(latent_dim, width), or one built with (100, 16): "
                   "z (B, latent_dim) -> images (B, 1, 28, 28) in [-1, 1]")
def _dcgan_generator(answer):
    from .. import data, models
    from ..training import GAN, TrainingDiverged

    with _own_random_stream(0), one_thread():
        g = _module(answer, 100, 16)
        reference = models.dcgan_generator(latent_dim=100, width=16)
        z = torch.randn(16, 100)
        try:
            out = g(z)
        except Exception as err:
            return False, (f"your generator raised {type(err).__name__} on z of shape (16, 100): {err}. Hint: "
                           "ganlab passes z as (B, latent_dim); nn.Unflatten(1, (latent_dim, 1, 1)) first makes "
                           "it a 1x1 image with latent_dim channels.")
        if tuple(out.shape) != (16, 1, 28, 28):
            return False, (f"for z of shape (16, 100) you made images of shape {tuple(out.shape)}, not "
                           f"(16, 1, 28, 28). Hint: a 7x7 kernel takes 1x1 to 7x7, then kernel 4, stride 2, "
                           f"padding 1 doubles the size twice; the last layer has 1 channel.")
        loud = copy.deepcopy(g)                # the same network with every weight x100:
        with torch.no_grad():                  # its last layer's inputs are huge, its pixels must not be
            for param in loud.parameters():
                param.mul_(100)
            out = loud(z)
        lo, hi = out.min().item(), out.max().item()
        if not (-1 <= lo < -0.9 and 0.9 < hi <= 1):
            return False, (f"with its weights made larger, your generator's pixels span [{lo:.2f}, {hi:.2f}]; "
                           f"they must stay inside [-1, 1], the data's range, and reach both ends. "
                           f"Hint: end with nn.Tanh().")
        got, want = models.count_parameters(g), models.count_parameters(reference)
        if got != want:
            return False, (f"your generator has {got:,} parameters, models.dcgan_generator(100, width=16) "
                           f"{want:,}. Yours: {_layer_counts(g)}. Ganlab's: {_layer_counts(reference)}. Hint: "
                           f"a convolution followed by batch norm needs no bias (bias=False).")
        # a short run with ganlab's trainer, from DCGAN's initial weights (a trained instance
        # would start elsewhere): 20 steps on 512 digits must move the samples towards the data
        g = copy.deepcopy(g)
        for m in g.modules():
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()
        g.apply(models.dcgan_init)
        images = data.mnist("test", device="cpu")[0][data.shipped_part("train")[:512]]
        gan = GAN(g, models.dcgan_discriminator(width=8), latent_dim=100, lr=2e-3, seed=0, batch_size=16,
                  device="cpu")
        z = gan.noise(256, seed=1)
        before = abs(gan.sample(z=z).mean().item() - images.mean().item())
        try:
            gan.fit(images, steps=20, progress=False)
        except TrainingDiverged as err:
            return False, (f"20 training steps with ganlab.GAN diverged: {err} "
                           f"Hint: compare your layers with section 2's.")
        after = abs(gan.sample(z=z).mean().item() - images.mean().item())
    ok = after < before - 0.05
    return ok, (f"Shape, range and {want:,} parameters match ganlab's, and 20 steps with ganlab.GAN moved "
                f"the mean pixel from {before:.2f} to {after:.2f} away from the digits'." if ok else
                f"Your generator has the right shape and size, but 20 steps of training moved its mean pixel "
                f"only from {before:.2f} to {after:.2f} away from the digits'. Hint: batch norm and ReLU after "
                f"each transposed convolution but the last; no torch.no_grad() or .detach() inside forward.")


@one_thread()
def _dcgan_loop(answer):
    from .. import data, models
    from .loops import run, bce_mistakes, d_accuracy, verdict

    steps, latent_dim = LOOP_STEPS, 16
    images = data.mnist("test", device="cpu")[0][data.shipped_part("train")[:512]]
    with _own_random_stream(0):
        # PyTorch's default initial weights: setting DCGAN's is the loop's job
        G = models.dcgan_generator(latent_dim=latent_dim, width=8, init=False)
        D = models.dcgan_discriminator(width=8, init=False)
        z = torch.randn(256, latent_dim)
        with torch.no_grad():
            before = G(z).mean().item()
        watch, error = run(answer, G, D, images, steps=steps, latent_dim=latent_dim, batch_size=32, lr=1e-3)
        with torch.no_grad():
            after = G(z).mean().item()
    mistakes = [] if error else bce_mistakes(watch, steps)
    stds = [w.std().item() for w in watch.first_weights or []]
    if not error and stds and not all(0.015 < s < 0.025 for s in stds):
        mistakes.append(f"the convolutions' weights had standard deviations from {min(stds):.3f} to {max(stds):.3f} "
                        f"when training began, not DCGAN's 0.02. Hint: G.apply(init) and D.apply(init) with "
                        f"an init(m) that draws the weights of every nn.Conv2d and nn.ConvTranspose2d from "
                        f"N(0, 0.02) (nn.init.normal_(m.weight, 0.0, 0.02)), before the optimizers are made.")
    betas = {s["betas"] for s in watch.opt_steps if s["betas"] is not None}
    if not error and (not betas or any(b[0] != 0.5 for b in betas)):
        mistakes.append(f"your optimizers ran with betas {sorted(betas) or 'none (not Adam)'}. Hint: DCGAN uses "
                        f"torch.optim.Adam(..., lr=lr, betas=(0.5, 0.999)) for both players: beta1 = 0.5.")
    reals = [c["x"] for c in watch.calls if c["kind"] == "real"]
    if reals and min(x.min().item() for x in reals) > -0.5:
        mistakes.append(f"the real images D was shown lie in [{min(x.min().item() for x in reals):.2f}, "
                        f"{max(x.max().item() for x in reals):.2f}], while G's tanh draws in [-1, 1]: D can "
                        f"tell them apart by their background alone. Hint: the data comes in [-1, 1], as G "
                        f"draws; use the batches as they are.")
    wrong = verdict(mistakes, error)
    if wrong:
        return wrong
    target = images.mean().item()
    ok = abs(after - target) < 0.5 * abs(before - target)         # at least half the way to the digits'
    acc = d_accuracy(watch, every=10)
    return ok, (f"DCGAN's init, Adam with beta1 = 0.5, and the game. In {steps} steps G's mean pixel went "
                f"from {before:.2f} to {after:.2f} (the digits' is {target:.2f}); D's accuracy on its batches "
                f"peaked at {max(acc):.0%} and ended at {acc[-1]:.0%}." if ok else
                f"Your loop plays the game, but in {steps} steps G's mean pixel went from {before:.2f} only to "
                f"{after:.2f}, the digits' is {target:.2f}. Hint: one fresh real batch and fresh noise each "
                f"step, the lr the check passes.")


@_exercise("04.5", "a function train(G, D, images, steps, latent_dim, batch_size, lr): the DCGAN loop, "
                   "with its initial weights and Adam's beta1, in plain PyTorch")
def _write_the_loop(answer):
    return _dcgan_loop(answer)


@_exercise("04.6", "the DCGAN loop of exercise 6, debugged")
def _debug_the_loop(answer):
    return _dcgan_loop(answer)
