"""Where code runs and how big it runs: device, seeds, quick mode.

    ganlab.device()            cuda, then mps, then cpu
    ganlab.seed(0)             seeds python, numpy and torch (cuda included)
    ganlab.quick()             True when the environment sets GANLAB_QUICK=1
    ganlab.budget(full=3000, quick=200)   the size for the current mode

Quick mode exists so CI (and an impatient reader) can run every notebook end to
end in well under two minutes on a CPU. It changes sizes, never code paths:
every notebook asks budget() for its step counts and data sizes, nothing else.
"""
import os
import random
from pathlib import Path

import numpy as np
import torch

_FALSE = {"", "0", "false", "no", "off"}


def device():
    """The best available torch device: cuda, then Apple's mps, then cpu."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(dev=None):
    """`dev` as a torch.device; None means ganlab.device()."""
    return device() if dev is None else torch.device(dev)


def seed(n):
    """Seed every random number generator a notebook touches.

    Python's `random`, NumPy and torch (which also seeds every CUDA device).
    Returns `n` so a notebook can write `SEED = ganlab.seed(0)`.
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"seed must be an int, got {n!r}")
    random.seed(n)
    np.random.seed(n % 2**32)
    torch.manual_seed(n)
    return n


def _quick_mode():
    return os.environ.get("GANLAB_QUICK", "").strip().lower() not in _FALSE


def quick():
    """True when GANLAB_QUICK is set to something other than 0/false/empty."""
    return _quick_mode()


def budget(full, quick):
    """Pick the full-size value, or the quick-mode value under GANLAB_QUICK=1.

    Works for any value: a step count, a data size, a tuple of hidden sizes.
    """
    return quick if _quick_mode() else full


def checkpoint_dir():
    """Folder for saved models: $GANLAB_CHECKPOINTS, else ./checkpoints.

    Quick and full runs save under different names (see checkpoint_path), so a
    tiny quick-mode model is never mistaken for a fully trained one.
    """
    return Path(os.environ.get("GANLAB_CHECKPOINTS", "checkpoints"))


def reference_export(name):
    """Where the full-mode command keeps a copy of result `name` for the series' reference
    models ($GANLAB_REFERENCE_EXPORT/name.pt), or None when it is not exporting (or in quick mode)."""
    folder = os.environ.get("GANLAB_REFERENCE_EXPORT")
    if not folder or _quick_mode():
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / f"{name}.pt"


def checkpoint_path(name):
    """Path for checkpoint `name`, e.g. checkpoints/03_mlp_gan.pt (or -quick.pt)."""
    suffix = "-quick" if quick() else ""
    return checkpoint_dir() / f"{name}{suffix}.pt"


_COMPUTING = [0]          # > 0 while cached() runs a computation (see computing())


def computing():
    """True inside a cached() computation: there a kernel interrupt stops the whole computation."""
    return _COMPUTING[0] > 0


def fingerprint(settings):
    """A short, stable name for plain settings (dicts, lists, numbers, strings)."""
    import hashlib
    import json

    text = json.dumps(settings, sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def cached(name, compute, settings=None):
    """compute() once and keep its result; later calls with the same settings load it.

    For results worth keeping between sessions (a comparison that took minutes). The
    result must be plain data: tensors, numbers, strings, lists, dicts. `settings`
    (plain data) is everything the result depends on: change any of it and the result
    is computed again, under its own file. A line says when a kept result is used.
    Pressing stop during compute() stops it and keeps nothing (a partial comparison
    would look like a finished one). Delete the file to compute again.
    """
    import datetime

    import torch

    key = name if settings is None else f"{name}-{fingerprint(settings)}"
    path = checkpoint_path(key)
    if path.exists():
        try:
            kept = torch.load(path, map_location="cpu", weights_only=True)
            value, made = kept["value"], kept["made"]
        except Exception as err:
            raise ValueError(f"{path} could not be read ({type(err).__name__}); delete it to compute "
                             f"the result again") from None
        print(f"using the result kept in {path} (computed {made} with these settings); delete it to compute again")
        _export(key, value, made, settings)
        return value
    _COMPUTING[0] += 1
    try:
        value = compute()
    except KeyboardInterrupt:
        print(f"interrupted: nothing was kept for {name!r}; run the cell again to compute it")
        raise
    finally:
        _COMPUTING[0] -= 1
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    made = datetime.datetime.now().isoformat(timespec="minutes")
    torch.save({"value": value, "made": made, "settings": repr(settings)}, tmp)
    os.replace(tmp, path)
    _export(key, value, made, settings)
    return value


def _export(key, value, made, settings):
    import torch

    target = reference_export(key)
    if target is not None:
        torch.save({"value": value, "made": made, "settings": repr(settings)}, target)
