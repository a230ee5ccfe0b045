"""Notebook 01's models: one discriminative, one generative, on 2D points.

    x, y = two_classes(400)                     # (400, 2) features, (400,) labels 0/1
    logreg = LogisticRegression().fit(x, y)     # learns p(y | x) directly
    gauss = GaussianClassifier().fit(x, y)      # learns p(x | y) and p(y) ...
    gauss.predict_proba(x)                      # ... and classifies with Bayes' rule
    gauss.sample(100, label=1)                  # only the generative one can do this

Both are tiny on purpose: the point is what each one models, not how.
"""

import matplotlib.pyplot as plt
import torch

from . import losses as _losses

# two clusters of made-up, standardised features ("size", "speed")
_CLASSES = {
    0: dict(mean=(-0.7, -0.4), cov=((0.45, 0.15), (0.15, 0.30))),
    1: dict(mean=(0.6, 0.6), cov=((0.30, -0.20), (-0.20, 0.70))),
}


def two_classes(n=400, p1=0.5, seed=0):
    """n labelled 2D points: each is class 1 with probability p1, then drawn from that class's Gaussian."""
    gen = torch.Generator().manual_seed(seed)
    y = (torch.rand(n, generator=gen) < p1).long()
    x = torch.empty(n, 2)
    for label, spec in _CLASSES.items():
        k = int((y == label).sum())
        chol = torch.linalg.cholesky(torch.tensor(spec["cov"]))
        x[y == label] = torch.tensor(spec["mean"]) + torch.randn(k, 2, generator=gen) @ chol.T
    return x, y


class LogisticRegression:
    """p(y=1 | x) = sigmoid(w·x + b), fitted by maximising the conditional likelihood."""

    def fit(self, x, y, steps=300, lr=0.1):
        self.w = torch.zeros(x.shape[1], requires_grad=True)
        self.b = torch.zeros((), requires_grad=True)
        opt = torch.optim.Adam([self.w, self.b], lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ self.w + self.b, y.float())
            loss.backward()
            opt.step()
        return self

    @torch.no_grad()
    def predict_proba(self, x):
        """p(y=1 | x), shape (N,)."""
        return torch.sigmoid(x @ self.w + self.b)


class GaussianClassifier:
    """p(x | y) = N(mean_y, cov_y) per class, p(y) from counts; p(y | x) by Bayes' rule."""

    def fit(self, x, y):
        self.means, self.covs = [], []
        for label in (0, 1):
            xs = x[y == label]
            self.means.append(xs.mean(0))
            centred = xs - self.means[-1]
            self.covs.append(centred.T @ centred / len(xs))       # maximum-likelihood covariance
        p1 = float((y == 1).float().mean())
        self.prior = torch.tensor([1 - p1, p1])
        return self

    def set_prior(self, p1):
        """Change p(y=1) without refitting p(x | y): only Bayes' rule changes."""
        if not 0 < p1 < 1:
            raise ValueError(f"p(y=1) must be strictly between 0 and 1, got {p1}")
        self.prior = torch.tensor([1 - p1, p1])
        return self

    def class_log_likelihood(self, x, label):
        """log p(x | y=label), shape (N,)."""
        dist = torch.distributions.MultivariateNormal(self.means[label], self.covs[label])
        return dist.log_prob(x)

    def log_likelihood(self, x, y):
        """Mean log p(x, y) = log p(x | y) + log p(y) over the data: how well the model explains it."""
        ll = torch.where(y == 1, self.class_log_likelihood(x, 1), self.class_log_likelihood(x, 0))
        return float((ll + self.prior.log()[y]).mean())

    def log_density(self, x):
        """log p(x) = log sum_y p(x | y) p(y): the density of x with the label summed out, shape (N,)."""
        joint = torch.stack([self.class_log_likelihood(x, k) + self.prior[k].log() for k in (0, 1)], 1)
        return torch.logsumexp(joint, 1)

    @torch.no_grad()
    def predict_proba(self, x):
        """p(y=1 | x) = p(x | 1) p(1) / sum_k p(x | k) p(k), shape (N,)."""
        joint = torch.stack([self.class_log_likelihood(x, k) + self.prior[k].log() for k in (0, 1)], 1)
        return torch.softmax(joint, 1)[:, 1]

    def sample(self, n, label, seed=None):
        """n new points of class `label`, drawn from the fitted p(x | y=label)."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        chol = torch.linalg.cholesky(self.covs[label])
        return self.means[label] + torch.randn(n, 2, generator=gen) @ chol.T


def fit_discriminator(sample_real, sample_fake, steps=2000, batch=256, hidden=32, lr=3e-3, seed=0, loss=None):
    """A small network D(x) in (0, 1) trained as a GAN's discriminator is, for a generator that
    does not change: binary cross-entropy with label 1 for `sample_real(n)` and 0 for
    `sample_fake(n)`, fresh samples every step. Both return (n, 1) tensors. Returns D.

    loss: a ganlab.losses name (or Loss) to train with its d_loss instead, e.g. "least-squares";
    D then returns sigmoid(score) if that loss reads scores as probabilities, else the raw score.
    """
    criterion = None if loss is None else _losses.get(loss)
    if criterion is not None and (criterion.clip_value is not None or criterion.penalty_weight):
        raise ValueError(f"fit_discriminator neither clips weights nor adds a gradient penalty, which "
                         f"{criterion.name!r} needs; ganlab.critics.clipped_critic trains such a critic")
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Linear(1, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden),
                                  torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    fade = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1 - i / steps)   # calm the last steps' noise
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    for _ in range(steps):
        real, fake = sample_real(batch, gen), sample_fake(batch, gen)
        if real.shape != (batch, 1) or fake.shape != (batch, 1):
            raise ValueError(f"sample_real(n) and sample_fake(n) must return (n, 1) tensors; "
                             f"got {tuple(real.shape)} and {tuple(fake.shape)}")
        opt.zero_grad()
        if criterion is None:
            value = bce(net(real), ones) + bce(net(fake), zeros)
        else:
            value = criterion.d_loss(net(real), net(fake))[0]
        value.backward()
        opt.step()
        fade.step()

    squash = criterion is None or criterion.probability

    @torch.no_grad()
    def discriminator(x):
        scores = net(x.reshape(-1, 1))
        return (torch.sigmoid(scores) if squash else scores).reshape(x.shape)
    return discriminator


def plot_boundaries(x, y, generative=None, discriminative=None, samples=None, ax=None,
                    names=("class 0", "class 1"), lim=3.5):
    """The points, and where each model's p(y=1 | x) crosses 1/2 (its decision boundary)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.8, 4), layout="constrained")
    grid = torch.linspace(-lim, lim, 200)
    gy, gx = torch.meshgrid(grid, grid, indexing="ij")
    pts = torch.stack([gx.flatten(), gy.flatten()], 1)
    for label, colour in ((0, "#0072b2"), (1, "#cc79a7")):     # red is kept for errors
        ax.scatter(x[y == label, 0], x[y == label, 1], s=8, c=colour, alpha=0.6, label=names[label])
    handles = []
    if discriminative is not None:
        p = discriminative.predict_proba(pts).reshape(200, 200).numpy()
        ax.contour(gx, gy, p, levels=[0.5], colors="k", linestyles="--")
        handles.append(plt.Line2D([], [], color="k", ls="--", label="discriminative boundary"))
    if generative is not None:
        p = generative.predict_proba(pts).reshape(200, 200).numpy()
        ax.contour(gx, gy, p, levels=[0.5], colors="tab:green")
        handles.append(plt.Line2D([], [], color="tab:green", label="generative boundary"))
    if samples is not None:
        for label, pts_ in samples.items():
            ax.scatter(pts_[:, 0], pts_[:, 1], s=60, marker="*", c="#cc79a7" if label else "#0072b2",
                       edgecolors="k", linewidths=0.3, label=f"sampled {names[label]}")
    ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim), ax.set_aspect("equal")
    ax.set_xlabel("size (standardised)"), ax.set_ylabel("speed (standardised)")
    ax.legend(handles=ax.get_legend_handles_labels()[0] + handles, loc="upper left",
              bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return ax.figure


def plot_density(log_density, x, ax=None, lim=3.5, title=None):
    """Contours of a 2D density exp(log_density(points)) with the points x drawn unlabelled."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4), layout="constrained")
    grid = torch.linspace(-lim, lim, 200)
    gy, gx = torch.meshgrid(grid, grid, indexing="ij")
    density = log_density(torch.stack([gx.flatten(), gy.flatten()], 1)).exp().reshape(200, 200)
    filled = ax.contourf(gx, gy, density.detach().numpy(), levels=12, cmap="Greens")
    ax.figure.colorbar(filled, ax=ax, label="p(x)")
    ax.scatter(x[:, 0], x[:, 1], s=5, c="0.3", alpha=0.5)
    ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim), ax.set_aspect("equal")
    ax.set_xlabel("size (standardised)"), ax.set_ylabel("speed (standardised)")
    if title:
        ax.set_title(title)
    return ax.figure

