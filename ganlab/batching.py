"""The real batches a GAN trains on: drawn at random from the data by the trainer's own generator.

    draw = batching.drawer(data, batch_size=64, pack=1, device=dev, rng=gan.rng)
    real = draw()                        # (64, ...) on dev, a fresh random batch each call

Data is a tensor (it stays on the device; a batch is one indexing) or a sampler, a
function n -> n samples, as the 2D targets are.
"""
import torch

from .runtime import own_streams


def drawer(data, batch_size, pack, device, rng):
    """A function returning a fresh random batch of `data` (a tensor or a sampler) on `device`."""
    if not isinstance(data, torch.Tensor):
        return lambda: data(batch_size).to(device)
    if batch_size % pack:
        raise ValueError(f"batch_size {batch_size} must be a multiple of the discriminator's pack={pack}")
    n = data.shape[0]
    return lambda: data[torch.randint(n, (batch_size,), device=device, generator=rng)]


def a_few(data, n, device):
    """n real samples for fit's shape check, without touching any stream the trainer keeps:
    the first n rows of a tensor, or a sampler's draw with torch's streams put back after."""
    if isinstance(data, torch.Tensor):
        return data[:n].to(device)
    with own_streams():
        return data(n).to(device)      # a sampler may hand back CPU samples
