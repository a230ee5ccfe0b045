"""Saving and loading a GAN: everything needed to resume exactly, as plain data.

    gan.save("checkpoints/run.pt")          # = save(gan, path)
    gan = GAN.load("checkpoints/run.pt")    # = load(GAN, path)

A checkpoint holds tensors, numbers, strings, lists and dicts only, and is read
with torch.load(..., weights_only=True): a checkpoint downloaded from anywhere
cannot run code. Models built by ganlab.models are rebuilt from their recorded
builder and arguments; other modules are passed in by the caller.
"""
import os
from pathlib import Path

import torch

from . import models as _models

FORMAT = "ganlab-gan/1"


class CheckpointError(ValueError):
    """A checkpoint file could not be read as a ganlab GAN."""


def state(gan):
    """Everything needed to resume `gan` exactly, as plain tensors and numbers."""
    out = dict(format=FORMAT, config=gan.config, step=gan.step, elapsed=gan.elapsed,
               history=gan.history, extras=gan.extras,
               generator=gan.generator.state_dict(),
               discriminator=gan.discriminator.state_dict(),
               g_optimizer=gan.g_optimizer.state_dict(),
               d_optimizer=gan.d_optimizer.state_dict(),
               rng=gan.rng.get_state(), torch_rng=torch.get_rng_state(),
               ema_generator=gan.ema_generator.state_dict() if gan.ema_generator is not None else None,
               generator_spec=_spec(gan.generator),
               discriminator_spec=_spec(gan.discriminator))
    if torch.cuda.is_available():
        out["cuda_rng"] = torch.cuda.get_rng_state_all()
    return out


def save(gan, path):
    """Write state(gan) to `path` through a temporary file, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state(gan), tmp)
    os.replace(tmp, path)
    return path


def load(cls, path, generator=None, discriminator=None, device=None):
    """A `cls` (GAN) rebuilt from `path`: models, optimizers, step, history, extras, RNG states."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(err).__name__}: {str(err)[:200]}). "
            f"It may be truncated or corrupt: delete it and train again, or download it again.") from None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a ganlab GAN checkpoint (saved by GAN.save)")
    generator = generator if generator is not None else _rebuild(saved["generator_spec"], "generator", path)
    discriminator = discriminator if discriminator is not None else _rebuild(
        saved["discriminator_spec"], "discriminator", path)
    gan = cls(generator, discriminator, device=device, **dict(saved["config"]))
    try:
        gan.generator.load_state_dict(saved["generator"])
        gan.discriminator.load_state_dict(saved["discriminator"])
        if gan.ema_generator is not None:
            gan.ema_generator.load_state_dict(saved["ema_generator"])
    except RuntimeError as err:
        raise CheckpointError(f"{path} does not match the models given: {str(err)[:300]}") from None
    gan.g_optimizer.load_state_dict(saved["g_optimizer"])
    gan.d_optimizer.load_state_dict(saved["d_optimizer"])
    gan.step, gan.elapsed = saved["step"], saved["elapsed"]
    gan.history = {k: list(v) for k, v in saved["history"].items()}
    gan.extras = dict(saved.get("extras", {}))
    gan.rng.set_state(saved["rng"])
    torch.set_rng_state(saved["torch_rng"])
    if "cuda_rng" in saved and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(saved["cuda_rng"])
    return gan


def _spec(module):
    spec = getattr(module, "ganlab_spec", None)
    if spec is None:
        return None
    name, kwargs = spec
    return [name, {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}]


def _rebuild(spec, which, path):
    if spec is None:
        raise ValueError(f"{path} holds a {which} that ganlab did not build: pass a fresh "
                         f"instance as {which}=... to GAN.load")
    name, kwargs = spec
    return _models.rebuild((name, {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}))
