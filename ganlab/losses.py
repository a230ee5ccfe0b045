"""Every GAN loss in one registry, by name.

    loss = ganlab.losses.get("non-saturating")
    d_loss, parts = loss.d_loss(real_scores, fake_scores)   # parts: real / fake terms
    g_loss = loss.g_loss(fake_scores)

Scores are the discriminator's raw outputs s = D(x), shape (B, 1). For the
losses built on probabilities, D(x) = sigmoid(s); we write log sigmoid(s) as
-softplus(-s), which is the same number without overflow for large |s|.
Every loss is a *minimisation* target, averaged over the batch.

| name            | discriminator / critic minimises        | generator minimises       |
| --------------- | --------------------------------------- | ------------------------- |
| minimax         | -log D(x) - log(1 - D(G(z)))            | log(1 - D(G(z)))          |
| non-saturating  | -log D(x) - log(1 - D(G(z)))            | -log D(G(z))              |
| wasserstein     | -s(x) + s(G(z)), weights clipped to ±c  | -s(G(z))                  |
| wgan-gp         | -s(x) + s(G(z)) + λ (‖∇s(x̂)‖ - 1)²      | -s(G(z))                  |
| least-squares   | ½(s(x) - 1)² + ½ s(G(z))²               | ½(s(G(z)) - 1)²           |
| hinge           | max(0, 1 - s(x)) + max(0, 1 + s(G(z)))  | -s(G(z))                  |
"""
import torch
import torch.nn.functional as F


class Loss:
    """Base class. Subclasses give the real and fake terms of D's loss and G's loss."""
    name = None
    probability = False     # True: scores are logits of D(x) = sigmoid(s)
    clip_value = None       # weight clipping for the critic after each of its steps
    penalty_weight = 0.0    # λ of a gradient penalty (WGAN-GP)

    def d_terms(self, real_scores, fake_scores):
        raise NotImplementedError

    def d_loss(self, real_scores, fake_scores):
        """(total, {"real": ..., "fake": ...}): D's loss and its two terms."""
        real, fake = self.d_terms(real_scores, fake_scores)
        return real + fake, {"real": real, "fake": fake}

    def g_loss(self, fake_scores):
        raise NotImplementedError

    def report(self, scores):
        """The number shown as 'D(x)' in histories: a probability or a raw score."""
        return torch.sigmoid(scores).mean() if self.probability else scores.mean()

    def __repr__(self):
        extras = []
        if self.clip_value is not None:
            extras.append(f"clip_value={self.clip_value}")
        if self.penalty_weight:
            extras.append(f"penalty_weight={self.penalty_weight}")
        return f"{type(self).__name__}({', '.join(extras)})"


class Minimax(Loss):
    """The 2014 paper's game, G minimising log(1 - D(G(z))) (saturates early on)."""
    name, probability = "minimax", True

    def d_terms(self, real_scores, fake_scores):
        # -log sigmoid(s) = softplus(-s);  -log(1 - sigmoid(s)) = softplus(s)
        return F.softplus(-real_scores).mean(), F.softplus(fake_scores).mean()

    def g_loss(self, fake_scores):
        return -F.softplus(fake_scores).mean()        # log(1 - sigmoid(s))


class NonSaturating(Minimax):
    """Same D as minimax; G minimises -log D(G(z)) (strong gradients when D wins)."""
    name = "non-saturating"

    def g_loss(self, fake_scores):
        return F.softplus(-fake_scores).mean()        # -log sigmoid(s)


class Wasserstein(Loss):
    """WGAN: the critic estimates E s(x) - E s(G(z)); weights clipped to [-c, c]."""
    name = "wasserstein"

    def __init__(self, clip_value=0.01):
        self.clip_value = clip_value

    def d_terms(self, real_scores, fake_scores):
        return -real_scores.mean(), fake_scores.mean()

    def g_loss(self, fake_scores):
        return -fake_scores.mean()


class WassersteinGP(Wasserstein):
    """WGAN-GP: Wasserstein loss plus λ E (‖∇ s(x̂)‖₂ - 1)², no clipping.

    x̂ = α x + (1 - α) G(z), one α ~ U(0, 1) per sample; the norm is per sample
    over all of its dimensions. The penalty is added by the trainer through
    gradient_penalty() below, since it needs the critic itself.
    """
    name = "wgan-gp"

    def __init__(self, penalty_weight=10.0):
        self.clip_value = None
        self.penalty_weight = penalty_weight


class LeastSquares(Loss):
    """LSGAN with targets 1 for real and 0 for fake (a=0, b=1, c=1)."""
    name = "least-squares"

    def d_terms(self, real_scores, fake_scores):
        return 0.5 * ((real_scores - 1) ** 2).mean(), 0.5 * (fake_scores ** 2).mean()

    def g_loss(self, fake_scores):
        return 0.5 * ((fake_scores - 1) ** 2).mean()


class Hinge(Loss):
    """Hinge loss (as in SAGAN / BigGAN): margins at ±1 for D, -s(G(z)) for G."""
    name = "hinge"

    def d_terms(self, real_scores, fake_scores):
        return F.relu(1 - real_scores).mean(), F.relu(1 + fake_scores).mean()

    def g_loss(self, fake_scores):
        return -fake_scores.mean()


def gradient_penalty(score_fn, real, fake, generator=None):
    """E (‖∇ s(x̂)‖₂ - 1)² at x̂ = α real + (1 - α) fake, α ~ U(0, 1) per sample.

    score_fn maps a batch to scores (B', 1); real and fake are (B, ...).
    Returns the (unweighted) penalty, differentiable w.r.t. the critic's weights.
    """
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device,
                       generator=generator)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = score_fn(mixed)
    grads, = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    norms = grads.flatten(1).norm(2, dim=1)              # one norm per sample
    return ((norms - 1) ** 2).mean()


LOSSES = {cls.name: cls for cls in (Minimax, NonSaturating, Wasserstein, WassersteinGP, LeastSquares, Hinge)}


def get(name, **options):
    """A loss by name (or pass a Loss through). Options go to its constructor,
    e.g. get("wasserstein", clip_value=0.05) or get("wgan-gp", penalty_weight=5)."""
    if isinstance(name, Loss):
        if options:
            raise ValueError("options can only be given with a loss name, not a Loss object")
        return name
    key = str(name).lower().replace("_", "-").replace(" ", "-")
    if key not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; known losses: {', '.join(LOSSES)}")
    try:
        return LOSSES[key](**options)
    except TypeError:
        raise ValueError(f"loss {key!r} takes no option(s) {sorted(options)}") from None


def names():
    """The names get() knows."""
    return list(LOSSES)
