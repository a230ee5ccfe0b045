"""Saving and loading a GAN: everything needed to resume exactly, as plain data.

    gan.save("checkpoints/run.pt")          # = save(gan, path)
    gan = GAN.load("checkpoints/run.pt")    # = load(path)

A checkpoint holds tensors, numbers, strings, lists and dicts only, and is read
with torch.load(..., weights_only=True): a checkpoint downloaded from anywhere
cannot run code. Models built by ganlab.models are rebuilt from their recorded
builder and arguments; other modules are passed in by the caller.

Checkpoints move between devices: tensors are read onto the CPU and then moved
to the device asked for. The trainer's noise generator cannot carry its state
across kinds of device (a CUDA generator's state means nothing to a CPU one), so
on another kind of device its stream restarts from a seed derived from the
saved one, and loading says so. Loading never touches torch's global random state.
"""
import datetime
from pathlib import Path

import torch

from . import models as _models
from . import store as _store

FORMAT = "ganlab-gan/2"
_READABLE = ("ganlab-gan/1", FORMAT)


class CheckpointError(ValueError):
    """A checkpoint file could not be read as a ganlab GAN."""


def state(gan):
    """Everything needed to resume `gan` exactly, as plain tensors and numbers."""
    return dict(format=FORMAT, kind=type(gan).__name__, config=gan.config, step=gan.step, elapsed=gan.elapsed,
                history=gan.history, extras=gan.extras, seed=gan.seed,
                generator=gan.generator.state_dict(),
                discriminator=gan.discriminator.state_dict(),
                g_optimizer=gan.g_optimizer.state_dict(),
                d_optimizer=gan.d_optimizer.state_dict(),
                rng=gan.rng.get_state(), rng_device=gan.device.type, dropout_rng=gan.dropout_rng,
                ema_generator=gan.ema_generator.state_dict() if gan.ema_generator is not None else None,
                generator_spec=_spec(gan.generator),
                discriminator_spec=_spec(gan.discriminator))


def compact_state(gan, history_points=2000):
    """A small copy for sharing a trained model: the discriminator and the snapshots in half
    precision (the generators stay exact, so their samples and scores do not change), the
    history thinned to about `history_points` steps, no optimizer state (it cannot resume)."""
    half = lambda sd: {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}     # noqa: E731
    full = state(gan)
    keep = max(1, len(gan.history["step"]) // history_points)
    extras = {k: ([t.half() if torch.is_tensor(t) and t.is_floating_point() else t for t in v] if isinstance(v, list)
                  else v.half() if torch.is_tensor(v) and v.is_floating_point() else v)
              for k, v in gan.extras.items()}
    return dict(full, discriminator=half(full["discriminator"]),
                g_optimizer=None, d_optimizer=None, extras=extras, compact=True,
                history={k: v[keep - 1::keep] for k, v in gan.history.items()},
                provenance=provenance(gan))


def provenance(gan):
    """Where and how a model was trained, kept in its compact copy (gan.provenance after loading)."""
    from .runtime import machine_name

    return dict(steps=gan.step, seconds=round(gan.elapsed, 1), device=gan.device.type, machine=machine_name(gan.device),
                threads=torch.get_num_threads(), torch=str(torch.__version__), date=datetime.date.today().isoformat())


def save(gan, path, compact=False):
    """Write state(gan) (or compact_state) to `path` through a temporary file, so a crash never
    leaves half a file."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder: give the checkpoint a file name, e.g. {path / 'run.pt'}")
    saved = compact_state(gan) if compact else state(gan)
    _store.write(path, lambda tmp: torch.save(saved, tmp))
    return path


def read(path):
    """The saved dict, read safely onto the CPU, or a CheckpointError that says what to do."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        # torch's own message would advise weights_only=False: never do that with a file from elsewhere
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(err).__name__}). It may be truncated or corrupt, "
            f"or hold something other than plain tensors and numbers: delete it and train again, or "
            f"download it again. (Do not load it with weights_only=False: a file that needs it can run code.)"
        ) from None
    if not isinstance(saved, dict) or saved.get("format") not in _READABLE:
        raise CheckpointError(f"{path} is not a ganlab GAN checkpoint (saved by GAN.save)")
    return saved


def load(path, generator=None, discriminator=None, device=None):
    """A GAN (or UnrolledGAN, ConditionalGAN) rebuilt from `path`: models, optimizers, step, history, extras,
    random streams."""
    from .conditional import ConditionalGAN
    from .training import GAN
    from .unrolled import UnrolledGAN

    saved = read(path)
    config = dict(saved["config"])
    unroll = config.pop("unroll", 0)                      # format 1 kept it in the config
    kind = saved.get("kind", "UnrolledGAN" if unroll else "GAN")
    if kind == "UnrolledGAN":
        cls, config["unroll"] = UnrolledGAN, config.get("unroll", unroll)
    elif kind == "GAN":
        cls = GAN
    elif kind == "ConditionalGAN":
        cls = ConditionalGAN
    else:
        raise CheckpointError(f"{path} holds a {kind}, which this version of ganlab does not know")
    with torch.random.fork_rng(devices=[]):           # rebuilding initialises weights: keep torch's stream
        generator = generator if generator is not None else _rebuild(saved["generator_spec"], "generator", path)
        discriminator = discriminator if discriminator is not None else _rebuild(
            saved["discriminator_spec"], "discriminator", path)
    gan = cls(generator, discriminator, device=device, seed=saved.get("seed", 0), **config)
    try:
        gan.generator.load_state_dict(saved["generator"])
        gan.discriminator.load_state_dict(saved["discriminator"])
        if gan.ema_generator is not None:
            gan.ema_generator.load_state_dict(saved["ema_generator"])
    except RuntimeError as err:
        raise CheckpointError(f"{path} does not match the models given: {str(err)[:300]}") from None
    if saved["g_optimizer"] is not None:                   # a compact copy has none
        gan.g_optimizer.load_state_dict(saved["g_optimizer"])
        gan.d_optimizer.load_state_dict(saved["d_optimizer"])
    gan.extras = {k: ([t.float() if torch.is_tensor(t) and t.dtype == torch.half else t for t in v]
                      if isinstance(v, list) else v.float() if torch.is_tensor(v) and v.dtype == torch.half else v)
                  for k, v in saved.get("extras", {}).items()}
    gan.step, gan.elapsed = saved["step"], saved["elapsed"]
    gan.provenance = saved.get("provenance")              # only compact copies carry one
    gan.history = {k: list(v) for k, v in saved["history"].items()}
    _restore_streams(gan, saved, path)
    return gan


def _restore_streams(gan, saved, path):
    """Put the trainer's random streams back; across kinds of device, restart the noise stream."""
    if saved.get("rng_device", "cpu") == gan.device.type:
        gan.rng.set_state(saved["rng"])
    else:
        gan.rng.manual_seed(gan.seed + gan.step)
        print(f"{path}: trained on {saved.get('rng_device')}, loaded on {gan.device.type}; the noise stream "
              f"restarts (from seed {gan.seed + gan.step}), so continued training is not bit-for-bit the same")
    dropout = saved.get("dropout_rng")
    if dropout is not None:
        gan.dropout_rng = {"cpu": dropout["cpu"],
                           "cuda": dropout.get("cuda") if gan.device.type == saved.get("rng_device") else None}
    elif "torch_rng" in saved:                              # format 1 saved torch's global state
        gan.dropout_rng = {"cpu": saved["torch_rng"], "cuda": None}


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
