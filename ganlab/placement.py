"""How the two networks sit on their device: the optimizer's kernel, the memory layout
and the arithmetic precision, each chosen once for the device when a GAN is built.

    layout = placement.channels_last(settings.channels_last, device, G, D)   # a bool
    with placement.precision(gan.autocast, device): ...                      # a training step

Each choice is the same arithmetic done faster on one kind of device; none changes
what a model learns beyond rounding. The device's kind is read through runtime.kind.
"""
import contextlib

import torch
from torch import nn

from . import runtime as _runtime


def optimizer(name, params, lr, betas, device):
    """A torch optimizer by name ("adam", "rmsprop" or "sgd") for `params` on `device`."""
    if name == "adam":
        # the fused kernel updates every tensor in one call: on a 2-core CPU it takes the
        # MLP generator's Adam step from about 0.46 ms to 0.19 ms (same arithmetic).
        # PyTorch has it on CUDA and, since 2.4, on the CPU.
        fused = _runtime.kind(device) == "cuda" or (_runtime.kind(device) == "cpu" and _torch_at_least(2, 4))
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose adam, rmsprop or sgd")


def optimizers(settings, discriminator, generator, device):
    """D's and G's optimizers as `settings` ask (optimizer, lr or d_lr / g_lr, betas)."""
    s = settings
    return (optimizer(s.optimizer, discriminator.parameters(), s.d_lr or s.lr, s.betas, device),
            optimizer(s.optimizer, generator.parameters(), s.g_lr or s.lr, s.betas, device))


def _torch_at_least(major, minor):
    got = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2])
    return got >= (major, minor)


def channels_last(setting, device, *networks):
    """Whether to store convolution weights and activations pixel by pixel (channels_last).

    setting None: yes for convolutional networks on a CPU, where oneDNN's kernels prefer it."""
    if setting is not None:
        return bool(setting)
    convolutional = any(isinstance(m, nn.modules.conv._ConvNd) for net in networks for m in net.modules())
    return convolutional and _runtime.kind(device) == "cpu"


def autocast(setting, device):
    """The precision training runs in: None (float32) or "bfloat16"; "auto" asks the device."""
    if setting == "auto":
        return "bfloat16" if _runtime.fast_bfloat16(device) else None
    return setting


def precision(autocast, device):
    """The context a training step runs in: bfloat16 autocast on the device's kind, or nothing."""
    if autocast == "bfloat16":
        return torch.autocast(_runtime.kind(device), dtype=torch.bfloat16)
    return contextlib.nullcontext()
