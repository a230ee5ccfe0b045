"""The small problems the loop checks train a reader's loop on: points in the plane, tiny MLPs.

Small enough that a correct loop shows its effect in a few hundred steps on a CPU, in seconds:
a ring of points for the unconditional games, four labelled blobs round a circle for the
conditional one (where a sample lands says which class G drew).
"""
import torch
import torch.nn.functional as F
from torch import nn


def ring(n, radius=2.0, seed=0):
    """n points spread round a circle of the given radius, with a little noise (N, 2)."""
    gen = torch.Generator().manual_seed(seed)
    angle = torch.rand(n, generator=gen) * 2 * torch.pi
    return torch.stack([angle.cos(), angle.sin()], 1) * radius + 0.05 * torch.randn(n, 2, generator=gen)


def mlp(sizes):
    """Linear layers of the given sizes with LeakyReLU(0.2) between them; raw outputs."""
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers[:-1])


def off_ring(points, radius=2.0):
    """The mean distance of points from the circle."""
    return (points.norm(dim=1) - radius).abs().mean().item()


class Conditional(nn.Module):
    """An MLP that takes a batch and integer labels and sees the labels as one-hot rows;
    blind=True builds one that takes the labels and ignores them."""

    def __init__(self, sizes, n_classes, blind=False):
        super().__init__()
        self.n_classes, self.blind = n_classes, blind
        self.net = mlp([sizes[0] + (0 if blind else n_classes), *sizes[1:]])

    def forward(self, x, labels):
        if self.blind:
            return self.net(x)
        return self.net(torch.cat([x, F.one_hot(labels.long(), self.n_classes).float()], 1))


def modes(n, n_classes=4, radius=2.0, seed=0):
    """n labelled points: class k is a small blob at angle 2 pi k / n_classes on a circle."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(n_classes, (n,), generator=gen)
    angle = labels * 2 * torch.pi / n_classes
    points = torch.stack([angle.cos(), angle.sin()], 1) * radius + 0.1 * torch.randn(n, 2, generator=gen)
    return points, labels


def on_requested_mode(points, labels, n_classes=4, radius=2.0):
    """The share of points whose nearest class centre is the one asked for."""
    angle = torch.arange(n_classes) * 2 * torch.pi / n_classes
    centres = torch.stack([angle.cos(), angle.sin()], 1) * radius
    return (torch.cdist(points, centres).argmin(1) == labels).float().mean().item()
