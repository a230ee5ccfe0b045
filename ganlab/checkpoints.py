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
import dataclasses
import datetime
from pathlib import Path

import torch

from . import models as _models
from . import runtime as _runtime
from . import store as _store

FORMAT = "ganlab-gan/2"
# every format ganlab has written, each with the step that turns it into the next
# (tests/fixtures/checkpoints holds a file of each). A setting renamed or removed from
# GAN.Settings needs a new format and a step here.
#   ganlab-gan/1  (until 04df504): no kind, unroll in the config, torch's global stream as torch_rng
#   ganlab-gan/2  the kind, the trainer's seed and dropout stream, the device its noise stream is for
MIGRATIONS = {
    "ganlab-gan/1": lambda saved: ("ganlab-gan/2", _from_format_1(saved)),
}
# a spec that builds more parameters than this is refused before it is built (a small file
# can ask for a 40 GB model); the largest model of the series has about 3 million
MAX_PARAMETERS = 200_000_000


def _from_format_1(saved):
    config = dict(saved["config"])
    unroll = config.pop("unroll", 0)
    if unroll:
        config["unroll"], config["real_term"] = unroll, False     # format 1's look-ahead had no real term
    return dict(saved, config=config, kind="UnrolledGAN" if unroll else "GAN", seed=saved.get("seed", 0),
                rng_device="cpu", dropout_rng={"cpu": saved["torch_rng"], "cuda": None} if "torch_rng" in saved else None)


def migrate(saved, path="the checkpoint"):
    """`saved` (a checkpoint's dict) in the current format, or a CheckpointError saying why not."""
    seen = saved.get("format") if isinstance(saved, dict) else None
    while isinstance(seen, str) and seen in MIGRATIONS:
        seen, saved = MIGRATIONS[seen](saved)
        saved["format"] = seen
    if seen == FORMAT:
        return saved
    if isinstance(seen, str) and seen.startswith("ganlab-gan/"):
        raise CheckpointError(f"{path} was saved by a newer ganlab (format {seen}; this one reads up to {FORMAT}): "
                              f"update ganlab to load it")
    raise CheckpointError(f"{path} is not a ganlab GAN checkpoint (saved by GAN.save)")


class CheckpointError(ValueError):
    """A checkpoint file could not be read as a ganlab GAN."""


class Saved:
    """What makes a GAN savable: gan.state(), gan.save(path), GAN.load(path), and the registry
    of kinds (class name -> class, filled by subclassing) that load reads the class from."""

    kinds = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Saved.kinds[cls.__name__] = cls

    def state(self):
        """Everything needed to resume exactly, as plain tensors and numbers."""
        return state(self)

    def save(self, path, compact=False):
        """Save to `path` (written to a temporary file first, so a crash never leaves half a file).

        compact=True keeps a small copy to share (half precision, no optimizer state)."""
        return save(self, path, compact=compact)

    @classmethod
    def load(cls, path, generator=None, discriminator=None, device=None):
        """Load a GAN saved by save(); resumes exactly (models, optimizers, step, random streams).

        Models built with ganlab.models are rebuilt from the file; for your own
        nn.Module classes, pass fresh instances as generator= and discriminator=.
        The file is read with weights_only=True, so it cannot run code. A model
        trained on a GPU loads on a CPU and back.
        """
        return load(path, generator, discriminator, device, kinds=Saved.kinds, asked=cls)


def state(gan):
    """Everything needed to resume `gan` exactly, as plain tensors and numbers."""
    return dict(format=FORMAT, kind=type(gan).__name__, config=gan.config, step=gan.step, elapsed=gan.elapsed,
                history=gan.history, extras=gan.extras, seed=gan.seed,
                generator=gan.generator.state_dict(),
                discriminator=gan.discriminator.state_dict(),
                g_optimizer=gan.g_optimizer.state_dict(),
                d_optimizer=gan.d_optimizer.state_dict(),
                rng=gan.rng.get_state(), rng_device=_runtime.kind(gan.device), dropout_rng=gan.dropout_rng,
                ema_generator=gan.ema_generator.state_dict() if gan.ema_generator is not None else None,
                generator_spec=_spec(gan.generator),
                discriminator_spec=_spec(gan.discriminator))


def compact_state(gan, history_points=2000):
    """A small copy for sharing a trained model: the discriminator in half precision, images kept
    in extras (the snapshots) as 8-bit levels, the precision of a PNG, and other extras in half
    (the generators stay exact, so their samples and scores do not change), the history thinned
    to about `history_points` steps, no optimizer state (it cannot resume)."""
    half = lambda sd: {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}     # noqa: E731
    full = state(gan)
    keep = max(1, len(gan.history["step"]) // history_points)
    return dict(full, discriminator=half(full["discriminator"]),
                g_optimizer=None, d_optimizer=None, extras=compact_extras(gan.extras, IMAGE_KEYS), compact=True,
                images_8bit=list(IMAGE_KEYS), history={k: v[keep - 1::keep] for k, v in gan.history.items()},
                provenance=provenance(gan))


def compact_extras(extras, images=("snapshots",)):
    """extras for a compact copy: the image batches (N, C, H, W) in [-1, 1] listed under the keys
    `images` (the snapshots) as uint8 levels round((x + 1) * 127.5), the precision of a PNG; any
    other float tensor in half precision. load undoes both (see IMAGE_KEYS)."""

    def small(t, image):
        if not (torch.is_tensor(t) and t.is_floating_point()):
            return t
        if image and t.dim() == 4 and t.numel() and -1 <= t.min() and t.max() <= 1:
            return ((t.float() + 1) * 127.5).round().to(torch.uint8)
        return t.half()
    return {k: [small(t, k in images) for t in v] if isinstance(v, list) else small(v, False)
            for k, v in extras.items()}


IMAGE_KEYS = ("snapshots",)     # the extras a compact copy keeps as 8-bit images (its "images_8bit" entry)


def _full_extras(saved):
    """The extras of a saved state as float tensors again (see compact_extras)."""
    flagged = saved.get("images_8bit") or ()
    images = IMAGE_KEYS if flagged is True else tuple(flagged)

    def full(t, image):
        if not torch.is_tensor(t):
            return t
        if image and t.dtype == torch.uint8 and t.dim() == 4:
            return t.float() / 127.5 - 1
        return t.float() if t.dtype == torch.half else t
    return {k: [full(t, k in images) for t in v] if isinstance(v, list) else full(v, False)
            for k, v in saved.get("extras", {}).items()}


def provenance(gan):
    """Where and how a model was trained, kept in its compact copy (gan.provenance after loading)."""
    return dict(steps=gan.step, seconds=round(gan.elapsed, 1), device=_runtime.kind(gan.device),
                machine=_runtime.machine_name(gan.device),
                threads=torch.get_num_threads(), torch=str(torch.__version__), date=datetime.date.today().isoformat())


def save(gan, path, compact=False):
    """Write state(gan) (or compact_state) to `path` through a temporary file, so a crash never
    leaves half a file."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder: give the checkpoint a file name, e.g. {path / 'run.pt'}")
    saved = compact_state(gan) if compact else state(gan)
    try:
        _store.write(path, lambda tmp: torch.save(saved, tmp))
    except (OSError, RuntimeError) as err:       # torch reports a full disk as a RuntimeError
        raise _store.StoreError(
            f"the checkpoint could not be written to {path} ({type(err).__name__}: {getattr(err, 'strerror', None) or err}):"
            f" its folder is read-only, full, or not a folder. The model in memory is unchanged: save it where you "
            f"can write, e.g. gan.save(\"/tmp/{path.name}\")") from None
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
    return migrate(saved, path)


def load(path, generator=None, discriminator=None, device=None, kinds=None, asked=None):
    """A GAN (or a subclass of it) rebuilt from `path`: models, optimizers, step, history, extras,
    random streams. kinds: {class name: class} (GAN.kinds); asked: the class load was called on."""
    saved = read(path)
    kind = saved.get("kind", "GAN")
    cls = asked if asked is not None and asked.__name__ == kind else (kinds or {}).get(kind)
    if cls is None:
        raise CheckpointError(f"{path} holds a {kind}, a class this session does not know: run the cell that "
                              f"defines class {kind}(GAN) first, then load it with {kind}.load(...)")
    missing = [k for k in ("config", "generator", "discriminator", "history", "step") if k not in saved]
    if missing:
        raise CheckpointError(f"{path} lacks {', '.join(missing)}: it is damaged or was not written by "
                              f"GAN.save; train again or download it again")
    fields = {f.name for f in dataclasses.fields(cls.Settings)}
    unknown = sorted(set(saved["config"]) - fields)
    if unknown:
        raise CheckpointError(f"{path} has settings {unknown} that {cls.__name__} does not have: it was saved by "
                              f"another version of ganlab or of your class {cls.__name__}")
    with torch.random.fork_rng(devices=[]):           # rebuilding initialises weights: keep torch's stream
        generator = generator if generator is not None else _rebuild(saved.get("generator_spec"), "generator", path)
        discriminator = discriminator if discriminator is not None else _rebuild(
            saved.get("discriminator_spec"), "discriminator", path)
    gan = cls(generator, discriminator, device=device, seed=saved.get("seed", 0), **saved["config"])
    try:
        gan.generator.load_state_dict(saved["generator"])
        gan.discriminator.load_state_dict(saved["discriminator"])
        if gan.ema_generator is not None:
            gan.ema_generator.load_state_dict(saved["ema_generator"])
    except RuntimeError as err:
        raise CheckpointError(f"{path} does not match the models given: {str(err)[:300]}") from None
    if saved.get("g_optimizer") is not None:                   # a compact copy has none
        gan.g_optimizer.load_state_dict(saved["g_optimizer"])
        gan.d_optimizer.load_state_dict(saved["d_optimizer"])
    else:
        gan._optimizers_fresh_from_compact_copy = True
    gan.extras = _full_extras(saved)
    gan.step, gan.elapsed = saved["step"], saved.get("elapsed", 0.0)
    gan.provenance = saved.get("provenance")              # only compact copies carry one
    gan.history = {k: list(v) for k, v in saved["history"].items()}
    _restore_streams(gan, saved, path)
    return gan


def _restore_streams(gan, saved, path):
    """Put the trainer's random streams back; across kinds of device, restart the noise stream."""
    if saved.get("rng_device", "cpu") == _runtime.kind(gan.device):
        gan.rng.set_state(saved["rng"])
    else:
        gan.rng.manual_seed(gan.seed + gan.step)
        print(f"{path}: trained on {saved.get('rng_device')}, loaded on {gan.device.type}; the noise stream "
              f"restarts (from seed {gan.seed + gan.step}), so continued training is not bit-for-bit the same")
    dropout = saved.get("dropout_rng")
    if dropout is not None:
        gan.dropout_rng = {"cpu": dropout["cpu"],
                           "cuda": dropout.get("cuda") if _runtime.kind(gan.device) == saved.get("rng_device") else None}


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
    spec = (name, {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()})
    try:
        with torch.device("meta"):                       # shapes only: count before building for real
            n = sum(p.numel() for p in _models.rebuild(spec).parameters())
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: its {which} cannot be rebuilt ({err})") from None
    if n > MAX_PARAMETERS:
        raise CheckpointError(f"{path} asks for a {which} of {n:,} parameters ({n * 4 / 1e9:.0f} GB), more than "
                              f"ganlab builds from a file ({MAX_PARAMETERS:,}): it was not built. If you trust the "
                              f"file and have the memory, build the {which} yourself and pass it as {which}=...")
    return _models.rebuild(spec)
