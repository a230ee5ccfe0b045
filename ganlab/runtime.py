"""Where code runs and how big it runs: device, seeds, and the three modes.

    ganlab.device()            cuda, then mps, then cpu
    ganlab.seed(0)             seeds python, numpy and torch (cuda included)
    ganlab.set_mode("reference")   a notebook's choice: "reference", "full" or "quick"
    ganlab.mode(), ganlab.quick()  the mode in force (the environment can override the notebook)
    ganlab.budget(full=3000, quick=200)   the size for the current mode

The three ways through a notebook:
- reference: the series' own trained models and kept results, shipped with ganlab,
  are loaded instead of training, so every figure appears in about a minute;
- full: everything trains here, as the notebook describes;
- quick: tiny sizes that only show the code runs (what the tests use); its pictures
  and numbers are not results.
Quick mode changes sizes, never code paths: every notebook asks budget() for its step
counts and data sizes. Reference mode uses the full sizes and loads what took long.
GANLAB_MODE (or GANLAB_QUICK=1, for quick) in the environment wins over the notebook's
choice, so tests and CI can run every notebook in quick mode.
"""
import os
import platform
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


MODES = ("reference", "full", "quick")
_CHOSEN = [None]                 # what set_mode() was given
_SAID = {
    "reference": "reference mode: the series' own trained models and results, shipped with ganlab, are "
                 "loaded where a cell would train for long. Set MODE = \"full\" to train everything yourself.",
    "full": "full mode: everything trains here; the times printed below are the reference run's.",
    "quick": "quick mode: tiny sizes that only show the code runs; its pictures and numbers are not results.",
}


def mode():
    """The mode in force: GANLAB_MODE, else quick if GANLAB_QUICK=1, else set_mode()'s choice, else full."""
    env = os.environ.get("GANLAB_MODE", "").strip().lower()
    if env:
        if env not in MODES:
            raise ValueError(f"GANLAB_MODE={env!r}; choose one of {', '.join(MODES)}")
        return env
    if os.environ.get("GANLAB_QUICK", "").strip().lower() not in _FALSE:
        return "quick"
    return _CHOSEN[0] or "full"


def set_mode(choice):
    """A notebook's choice of mode; prints which mode is in force and what it means, and returns it."""
    if choice not in MODES:
        raise ValueError(f"MODE must be one of {', '.join(repr(m) for m in MODES)}, got {choice!r}")
    _CHOSEN[0] = choice
    now = mode()
    note = "" if now == choice else f" (the environment chose it over MODE = {choice!r})"
    print(_SAID[now] + note)
    return now


def quick():
    """True in quick mode (GANLAB_QUICK=1, GANLAB_MODE=quick or MODE = "quick")."""
    return mode() == "quick"


def budget(full, quick):
    """Pick the full-size value, or the quick-mode value in quick mode (reference mode uses full sizes).

    Works for any value: a step count, a data size, a tuple of hidden sizes.
    """
    return quick if mode() == "quick" else full


def checkpoint_dir():
    """Folder for saved models: $GANLAB_CHECKPOINTS, else ./checkpoints.

    Quick and full runs save under different names (see checkpoint_path), so a
    tiny quick-mode model is never mistaken for a fully trained one.
    """
    return Path(os.environ.get("GANLAB_CHECKPOINTS", "checkpoints"))


REFERENCE = Path(__file__).parent / "_data" / "reference"     # the reference run's models and results


def reference_export(name):
    """Where the full-mode command keeps a copy of result `name` for the series' reference
    models ($GANLAB_REFERENCE_EXPORT/name.pt), or None when it is not exporting (or in quick mode)."""
    folder = os.environ.get("GANLAB_REFERENCE_EXPORT")
    if not folder or mode() != "full":
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / f"{name}.pt"


def checkpoint_path(name):
    """Path for checkpoint `name`, e.g. checkpoints/03_mlp_gan.pt (or -quick.pt)."""
    suffix = "-quick" if quick() else ""      # reference and full mode share full-size results
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


# settings that say where a result is made rather than what it is: the kind of device, and
# how many training digits this machine's MNIST has (8,000 offline, 60,000 where torchvision
# can download it). Results kept here are kept per place; the reference results shipped with
# ganlab are found from any place (a GPU, Colab's MNIST), and say where they were made.
PLACE_KEYS = ("device", "digits")


def machine_name(device):
    """The machine a result was made on, in words: the GPU's name, or the CPU's cores and model."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "") if Path("/proc/cpuinfo").exists() else ""
    return f"{os.cpu_count()}-core CPU ({cpu or platform.machine()})"


def fast_bfloat16(device, cpuinfo="/proc/cpuinfo"):
    """Whether `device` does bfloat16 arithmetic natively (GAN(autocast="bfloat16") then pays off):
    a CUDA GPU that supports it, or a CPU with AVX512-BF16 or AMX instructions. Elsewhere
    bfloat16 is emulated and slower than float32."""
    device = torch.device(device)
    if device.type == "cuda":      # native from Ampere on; emulated on older GPUs such as Colab's T4
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type != "cpu" or not Path(cpuinfo).exists():
        return False
    flags = next((line for line in Path(cpuinfo).read_text().splitlines() if line.startswith("flags")), "")
    return bool({"avx512_bf16", "amx_bf16"} & set(flags.split()))


def keys(name, settings):
    """(key of a result kept on this machine, key of the shipped reference result)."""
    if settings is None:
        return name, name
    recipe = {k: v for k, v in settings.items() if k not in PLACE_KEYS}
    return f"{name}-{fingerprint(settings)}", f"{name}-{fingerprint(recipe)}"


def place(settings):
    """The part of `settings` that says where a result was made (see PLACE_KEYS)."""
    return {k: settings[k] for k in PLACE_KEYS if k in (settings or {})}


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

    key, shipped_key = keys(name, settings)
    shipped = REFERENCE / f"{shipped_key}.pt"
    if mode() == "reference" and shipped.exists():
        kept = torch.load(shipped, map_location="cpu", weights_only=True)
        where = ", ".join(f"{k} {v}" for k, v in kept.get("place", {}).items())
        print(f"reference result, shipped with ganlab (computed {kept['made']} in the reference run"
              f"{', ' + where if where else ''}); MODE = \"full\" computes it here")
        return kept["value"]
    if mode() == "reference":
        print(f"no reference result shipped for {name!r} with these settings: computing it here")
    path = checkpoint_path(key)
    if path.exists():
        try:
            kept = torch.load(path, map_location="cpu", weights_only=True)
            value, made = kept["value"], kept["made"]
        except Exception as err:
            raise ValueError(f"{path} could not be read ({type(err).__name__}); delete it to compute "
                             f"the result again") from None
        print(f"using the result kept in {path} (computed {made} with these settings); delete it to compute again")
        _export(shipped_key, value, made, settings)
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
    torch.save({"value": _own_storage(value), "made": made, "settings": repr(settings)}, tmp)
    os.replace(tmp, path)
    _export(shipped_key, value, made, settings)
    return value


def _own_storage(value):
    """`value` with every tensor that is a view of a larger one copied out: torch.save writes a
    view's whole storage (32 samples sliced from 2,000 would cost the 2,000)."""
    import torch

    if torch.is_tensor(value):
        return value.clone() if value.untyped_storage().nbytes() > value.numel() * value.element_size() else value
    if isinstance(value, dict):
        return {k: _own_storage(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_own_storage(v) for v in value)
    return value


def _export(key, value, made, settings):
    import torch

    target = reference_export(key)
    if target is not None:
        torch.save({"value": _own_storage(value), "made": made, "settings": repr(settings), "place": place(settings)},
                   target)
