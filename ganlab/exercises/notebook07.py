"""Checks for notebook 07's exercises (registered with ganlab.exercises; worked solutions in notebooks/solutions.md).

The conditional loops train on a small labelled problem: four blobs of points round a circle, one
per class, so that whether G draws the class it is asked for can be read off where its samples land.
"""
import torch

from .loops import one_thread
from . import _exercise, _own_random_stream

LOOP_STEPS, N_CLASSES = 400, 4          # training steps the loop checks give a reader's loop


@one_thread()
def _conditional_run(answer, blind=False):
    from .loops import run
    from .toys import Conditional, modes

    with _own_random_stream(0):
        G = Conditional([2, 64, 64, 2], N_CLASSES)
        D = Conditional([2, 64, 64, 1], N_CLASSES, blind=blind)
        points, labels = modes(2000, N_CLASSES)
        watch, error = run(answer, G, D, points, labels, steps=LOOP_STEPS, latent_dim=2, n_classes=N_CLASSES,
                           batch_size=64, lr=1e-3)
        asked = torch.arange(N_CLASSES).repeat(250)
        with torch.no_grad():
            samples = G.net(torch.cat([torch.randn(len(asked), 2),
                                       torch.nn.functional.one_hot(asked, N_CLASSES).float()], 1))
    return watch, error, points, labels, samples, asked


@one_thread()
def _conditional_loop(answer):
    from .loops import bce_mistakes, label_mistakes, verdict
    from .toys import on_requested_mode, off_ring

    watch, error, points, labels, samples, asked = _conditional_run(answer)
    if error and "TypeError" in error:
        error += " G takes (z, labels) and D takes (x, labels): both players get the labels."
    wrong = verdict([] if error else bce_mistakes(watch, LOOP_STEPS) + label_mistakes(watch, points, labels), error)
    if wrong:
        return wrong
    hit = on_requested_mode(samples, asked, N_CLASSES)
    ok = hit > 0.8 and off_ring(samples) < 0.4
    return ok, (f"Asked for each class 250 times, G put {hit:.0%} of its samples on the blob of the class asked "
                f"for (chance: {1 / N_CLASSES:.0%})." if ok else
                f"Your loop runs, but G put only {hit:.0%} of its samples on the blob of the class asked for "
                f"(chance: {1 / N_CLASSES:.0%}). Hint: a fresh batch of real pairs each step, labels for the fakes "
                f"drawn at random, the lr the check passes.")


@_exercise("07.1", "a function train(G, D, points, labels, steps, latent_dim, n_classes, batch_size, lr): "
                   "the conditional GAN loop, labels to both players, in plain PyTorch")
def _write_the_loop(answer):
    return _conditional_loop(answer)


@_exercise("07.2", "the conditional loop of exercise 2, debugged")
def _debug_the_loop(answer):
    return _conditional_loop(answer)


def _reference_loop(G, D, points, labels, steps, latent_dim, n_classes, batch_size=64, lr=1e-3):
    """A correct conditional loop, for 07.3's run with a D that ignores the label."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    for _ in range(steps):
        i = torch.randint(len(points), (batch_size,))
        y_fake = torch.randint(n_classes, (batch_size,))
        fake = G(torch.randn(batch_size, latent_dim), y_fake)
        s_real, s_fake = D(points[i], labels[i]), D(fake.detach(), y_fake)
        d_loss = bce(s_real, torch.ones_like(s_real)) + bce(s_fake, torch.zeros_like(s_fake))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        s = D(fake, y_fake)
        g_loss = bce(s, torch.ones_like(s))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()


@_exercise("07.3", "G gets the label, D never sees it: after training, G's samples land (a) on the class asked "
                   "for, nearly always; (b) on the blobs, but on the one asked for only about as often as "
                   "chance; (c) off the blobs altogether")
def _blind_discriminator(answer):
    from .toys import on_requested_mode, off_ring

    if not (isinstance(answer, str) and answer.strip().lower() in ("a", "b", "c")):
        return False, 'answer with one letter, "a", "b" or "c".'
    watch, error, points, labels, samples, asked = _conditional_run(_reference_loop, blind=True)
    hit, off = on_requested_mode(samples, asked, N_CLASSES), off_ring(samples)
    measured = "a" if hit > 0.8 else "c" if off > 1.0 else "b"
    ok = answer.strip().lower() == measured
    return ok, (f"Trained just now, {LOOP_STEPS} steps with a D that ignores the label: G's samples lie a mean "
                f"{off:.2f} from the circle of blobs (radius 2), and {hit:.0%} land on the blob asked for, "
                f"chance being {1 / N_CLASSES:.0%}. "
                + ("Nothing in the game rewards obeying the label when D cannot see it: the label is one more "
                   "input that G is free to ignore." if ok else
                   "Hint: D still judges whether a point looks real; what in its score could tell G which blob "
                   "the label asked for?"))
