"""Train a generator without a discriminator: match distributions with MMD.

    values = fit_mmd(generator, data, steps=1000)

A generative moment matching network (Li et al. 2015; Dziugaite et al. 2015):
the generator minimises MMD²(generated batch, real batch) from
ganlab.metrics.mmd, a fixed kernel two-sample distance. Notebook 02 uses it as
the non-adversarial baseline before the GAN.
"""
import math

import torch
from tqdm.auto import tqdm

from .metrics import mmd
from .runtime import resolve_device
from .checks import TrainingDiverged
from .placement import optimizer as _optimizer


def fit_mmd(generator, data, steps=1000, batch_size=256, lr=1e-3, bandwidths=None, latent_dim=None,
            seed=None, progress=True, device=None, betas=(0.5, 0.999)):
    """Train a generator alone by minimising MMD(generated batch, real batch): a
    generative moment matching network, the non-adversarial way to match two
    distributions. Returns the list of per-step MMD² values.

    No discriminator: the kernel (a fixed sum of Gaussians) is the judge, so
    nothing learns *where* the two samples differ; compare with GAN.fit.
    """
    dev = resolve_device(device)
    generator = generator.to(dev)
    latent_dim = latent_dim or getattr(generator, "latent_dim", None)
    if latent_dim is None:
        raise ValueError("pass latent_dim=... (the length of the noise vector z your generator takes)")
    data = data.to(dev)
    rng = torch.Generator(device=dev).manual_seed(seed if seed is not None else int(torch.randint(2**62, (1,))))
    opt = _optimizer("adam", generator.parameters(), lr, betas, dev)      # the same Adam as ganlab.GAN's
    kw = {} if bandwidths is None else {"bandwidths": bandwidths}
    values = []
    try:
        for _ in tqdm(range(steps), desc="MMD generator", disable=not progress):
            real = data[torch.randint(len(data), (batch_size,), device=dev, generator=rng)]
            fake = generator(torch.randn(batch_size, latent_dim, device=dev, generator=rng))
            loss = mmd(fake, real, **kw)
            if not math.isfinite(loss.item()):
                raise TrainingDiverged(f"MMD became {loss.item()} at step {len(values) + 1}: lower lr")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            values.append(loss.item())
    except KeyboardInterrupt:
        print(f"Training interrupted after {len(values)} steps: the generator keeps what it learned.")
    return values
