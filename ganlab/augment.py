"""Shifted views for D (differentiable augmentation, Zhao et al. 2020): GAN(augment=2).

On a small data set D can memorise the training images; showing it every image,
real and generated, moved by a few random pixels keeps it from doing so, and G
still learns through the shift.
"""
import torch


def random_shift(images, max_px, generator=None):
    """Shift each image (B, C, H, W) by its own random offset of up to max_px pixels.

    The border that comes in is filled with -1, the background of images in [-1, 1].
    A gather from the padded images (its gradient is a scatter-add), so G learns
    through it. Anything that is not an image batch is returned unchanged.
    """
    if images.dim() != 4 or max_px <= 0:
        return images
    b, c, h, w = images.shape
    p, dev = max_px, images.device
    padded = torch.nn.functional.pad(images, (p,) * 4, value=-1.0).flatten(2)      # (B, C, (H+2p)(W+2p))
    dy, dx = torch.randint(0, 2 * p + 1, (2, b, 1), device=dev, generator=generator)
    top_left = (torch.arange(h, device=dev)[:, None] * (w + 2 * p) + torch.arange(w, device=dev)).flatten()
    index = (top_left + dy * (w + 2 * p) + dx).unsqueeze(1).expand(b, c, h * w)   # (B, C, H*W)
    return padded.gather(2, index).view(b, c, h, w)
