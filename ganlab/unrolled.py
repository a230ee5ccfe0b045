"""The unrolled GAN (Metz, Poole, Pfau and Sohl-Dickstein, 2017): G looks ahead at D's next updates.

    gan = UnrolledGAN(generator, discriminator, unroll=5)   # everything else as ganlab.GAN

A collapsed generator profits from putting its samples where D is weakest *now*;
a few updates later D has moved there and the gain is gone. The unrolled GAN
scores G against the discriminator D would become after `unroll` more of its own
updates, and differentiates through those updates, so G also feels how D will
react to where it puts its samples.

The look-ahead runs the discriminator's real optimizer step as a differentiable
function, starting from its real state. For Adam (the paper's optimizer):

    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,   t ← t + 1
    w ← w − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)

with g = ∂ loss_D / ∂ w taken with create_graph=True, so G's gradient flows through
every look-ahead update. RMSprop and SGD are unrolled the same way. Labelled
deviation: the square root is taken of v̂ + ε² instead of v̂ (the same number to
within ε, and its derivative stays finite where a weight's gradient is exactly 0).
D's real weights and optimizer state do not change here; D then takes its usual step.

What G descends. The authors' objective (their demo's text: the gradient of the saddle
objective f(θ_G, θ̂_D(θ_G))) is the game's value at the look-ahead weights w_K, and the
value has a real-data term too: D's loss on real data does not involve G directly, but w_K
does, so G also feels how D's reaction to its samples changes D's grip on the real data.
real_term=True adds that term (G's loss minus D's loss on a real batch, both at w_K; with
the minimax loss this is exactly minus D's loss at w_K, as in the authors' demo, which
descends -unrolled_loss); it is the default. real_term=False keeps only G's usual loss at
w_K, as ganlab did before (docs/experiments.md compares the two).
"""
import dataclasses

import torch

from .training import GAN, _setting


@dataclasses.dataclass
class UnrolledSettings(GAN.Settings):
    unroll: int = 5
    real_term: bool = True

    def __post_init__(self):
        super().__post_init__()
        if int(self.unroll) < 1:
            raise ValueError(f"unroll is a number of look-ahead updates, 1 or more; got {self.unroll}")
        self.unroll, self.real_term = int(self.unroll), bool(self.real_term)


class UnrolledGAN(GAN):
    """A GAN whose generator learns against D as it will be after `unroll` more updates."""

    Settings = UnrolledSettings
    unroll, real_term = _setting("unroll"), _setting("real_term")

    def __init__(self, generator, discriminator, unroll=5, real_term=True, **settings):
        super().__init__(generator, discriminator, unroll=unroll, real_term=real_term, **settings)

    def generator_scores(self, fake, real_batches):
        """D's scores of G's batch, with D's weights replaced by their look-ahead values."""
        return self.score(self._seen_by_d(fake), self.lookahead_weights(real_batches, fake.shape[0]))

    def generator_loss(self, fake, real_batches):
        """G's loss at the look-ahead weights; with real_term, minus D's loss on real data there too."""
        if not self.real_term:
            return super().generator_loss(fake, real_batches)
        ahead = self.lookahead_weights(real_batches, fake.shape[0])
        real_scores = self.score(self._seen_by_d(real_batches()), ahead)
        fake_scores = self.score(self._seen_by_d(fake), ahead)
        return self.loss.g_loss(fake_scores) - self.loss.d_loss(real_scores, fake_scores)[1]["real"]

    def lookahead_weights(self, real_batches, batch_size):
        """D's weights after `unroll` more optimizer updates, as differentiable functions of G's weights."""
        names, weights = zip(*self.discriminator.named_parameters())
        weights = list(weights)
        step = _optimizer_step(self.d_optimizer, weights)
        for _ in range(self.unroll):
            now = dict(zip(names, weights))
            real, fake = self._seen_by_d(real_batches()), self._seen_by_d(self.sample_train(batch_size))
            d_loss = self.loss.d_loss(self.score(real, now), self.score(fake, now))[0]
            grads = torch.autograd.grad(d_loss, weights, create_graph=True)
            weights = step(weights, grads)
        return dict(zip(names, weights))


def gan_or_unrolled(generator, discriminator, unroll=0, real_term=True, **settings):
    """An UnrolledGAN looking `unroll` D updates ahead, or for unroll=0 the same GAN, plain: the
    one place the choice is made (the recipes and the live view's "unrolling" toggle call it)."""
    if unroll:
        return UnrolledGAN(generator, discriminator, unroll=unroll, real_term=real_term, **settings)
    return GAN(generator, discriminator, **settings)


def _optimizer_step(optimizer, weights):
    """A function (weights, grads) -> new weights that repeats `optimizer`'s update, differentiably.

    It starts from the optimizer's current state (Adam's moments and step count,
    RMSprop's square average) and carries its own copy of that state forward.
    """
    group = optimizer.param_groups[0]
    lr, eps = group["lr"], group.get("eps", 0.0)
    state = [optimizer.state.get(w, {}) for w in weights]
    if isinstance(optimizer, torch.optim.Adam):
        b1, b2 = group["betas"]
        m = [s["exp_avg"].detach() if "exp_avg" in s else torch.zeros_like(w) for s, w in zip(state, weights)]
        v = [s["exp_avg_sq"].detach() if "exp_avg_sq" in s else torch.zeros_like(w) for s, w in zip(state, weights)]
        t = [float(s["step"]) if "step" in s else 0.0 for s in state]

        def adam(ws, gs):
            out = []
            for i, (w, g) in enumerate(zip(ws, gs)):
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                t[i] += 1
                m_hat, v_hat = m[i] / (1 - b1 ** t[i]), v[i] / (1 - b2 ** t[i])
                out.append(w - lr * m_hat / ((v_hat + eps * eps).sqrt() + eps))
            return out
        return adam
    if isinstance(optimizer, torch.optim.RMSprop):
        alpha = group["alpha"]
        sq = [s["square_avg"].detach() if "square_avg" in s else torch.zeros_like(w) for s, w in zip(state, weights)]

        def rmsprop(ws, gs):
            out = []
            for i, (w, g) in enumerate(zip(ws, gs)):
                sq[i] = alpha * sq[i] + (1 - alpha) * g * g
                out.append(w - lr * g / ((sq[i] + eps * eps).sqrt() + eps))
            return out
        return rmsprop
    if isinstance(optimizer, torch.optim.SGD) and not group.get("momentum"):
        return lambda ws, gs: [w - lr * g for w, g in zip(ws, gs)]
    raise ValueError(f"the unrolled GAN can look ahead through Adam, RMSprop or plain SGD, not {type(optimizer).__name__}")
