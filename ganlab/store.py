"""Where results and models are kept, and the one ladder that finds or makes them.

    value = ganlab.runtime.cached("03_recipes", compare, settings=dict(seconds=60))
    gan = ganlab.recipes.train_or_load("03_mlp_gan", recipes.mlp_mnist, images, seconds=600)

Both climb the same ladder (locate): in reference mode the series' own result shipped
with ganlab; else the one kept on this machine under the same name and settings; else
it is made here and kept. Nothing made here is lost:
- the folder is made and tried BEFORE the work (ready), so an unwritable folder is said
  up front, while there is nothing to lose;
- a result is written to a temporary file of its own and then moved into place, so a
  crash never leaves half a file and two kernels filling one name never write into one
  file (keep: the first to finish is kept; the other is told);
- a result that cannot be written (a full disk, a folder gone read-only) is returned
  with a warning that says where it could not be written.
Settings are keyed by their content (tensors by their numbers, not by their printout).
"""
import collections
import datetime
import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

import torch

from .modes import mode, quick

REFERENCE = Path(__file__).parent / "_data" / "reference"     # the reference run's models and results

# settings that say where a result is made rather than what it is: the kind of device, and
# how many training digits this machine's MNIST has (8,000 offline, 60,000 where torchvision
# can download it). Results kept here are kept per place; the reference results shipped with
# ganlab are found from any place (a GPU, Colab's MNIST), and say where they were made.
PLACE_KEYS = ("device", "digits")

_COMPUTING = [0]          # > 0 while cached() runs a computation (see computing())


class StoreError(OSError):
    """The folder for kept results and models cannot be written."""


def checkpoint_dir():
    """Folder for saved models: $GANLAB_CHECKPOINTS, else ./checkpoints.

    Quick and full runs save under different names (see checkpoint_path), so a
    tiny quick-mode model is never mistaken for a fully trained one.
    """
    return Path(os.environ.get("GANLAB_CHECKPOINTS", "checkpoints"))


def checkpoint_path(name):
    """Path for checkpoint `name`, e.g. checkpoints/03_mlp_gan.pt (or -quick.pt)."""
    suffix = "-quick" if quick() else ""      # reference and full mode share full-size results
    return checkpoint_dir() / f"{name}{suffix}.pt"


def reference_export(name):
    """Where the full-mode command keeps a copy of result `name` for the series' reference
    models ($GANLAB_REFERENCE_EXPORT/name.pt), or None when it is not exporting (or in quick mode)."""
    folder = os.environ.get("GANLAB_REFERENCE_EXPORT")
    if not folder or mode() != "full":
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / f"{name}.pt"


def computing():
    """True inside a cached() computation: there a kernel interrupt stops the whole computation."""
    return _COMPUTING[0] > 0


# ------------------------------------------------------------------ keys

def _content(value):
    """What json cannot write, by content: tensors and arrays by their numbers (their printout
    elides the middle), anything else by its repr, which must not name a memory address."""
    if torch.is_tensor(value) or type(value).__module__ == "numpy":
        t = torch.as_tensor(value).detach().cpu().contiguous()
        digest = hashlib.sha1(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"").hexdigest()
        return {"tensor": str(t.dtype), "shape": list(t.shape), "sha1": digest}
    text = repr(value)
    if " at 0x" in text:
        raise TypeError(f"settings hold {text}, which has no lasting name (its printout changes every session, "
                        f"so a kept result would never be found again): put the numbers or names it stands "
                        f"for in the settings instead")
    return text


def fingerprint(settings):
    """A short, stable name for settings (dicts, lists, numbers, strings; tensors by content)."""
    text = json.dumps(settings, sort_keys=True, default=_content)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def keys(name, settings):
    """(key of a result kept on this machine, key of the shipped reference result)."""
    if settings is None:
        return name, name
    recipe = {k: v for k, v in settings.items() if k not in PLACE_KEYS}
    return f"{name}-{fingerprint(settings)}", f"{name}-{fingerprint(recipe)}"


def place(settings):
    """The part of `settings` that says where a result was made (see PLACE_KEYS)."""
    return {k: settings[k] for k in PLACE_KEYS if k in (settings or {})}


def locate(name, settings):
    """The ladder: (the shipped reference file to use or None, the path kept here, the export key).

    The shipped file is used only in reference mode."""
    key, shipped_key = keys(name, settings)
    shipped = REFERENCE / f"{shipped_key}.pt"
    use_shipped = shipped if mode() == "reference" and shipped.exists() else None
    return use_shipped, checkpoint_path(key), shipped_key


# ------------------------------------------------------------------ writing

def ready(path):
    """Make the folder of `path` and try writing there, before any work: a StoreError says what to do."""
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ganlab-probe-"):
            pass
    except OSError as err:
        raise StoreError(
            f"results and models are kept in {folder}, which cannot be written ({type(err).__name__}: "
            f"{err.strerror or err}). Nothing was computed yet. Point ganlab at a folder you can write, e.g. "
            f"os.environ[\"GANLAB_CHECKPOINTS\"] = \"/tmp/checkpoints\", and run the cell again.") from None
    return Path(path)


def write(path, save, exclusive=False):
    """save(tmp) writes a temporary file of its own beside `path`, which is then moved into place.

    exclusive: keep an existing file (another kernel's, finished first) and return False.
    Returns True once the file is in place. OSError / RuntimeError (torch's own for a full
    disk) pass to the caller; the temporary file never stays.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save(tmp)
        if not exclusive:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)                    # fails if the name is taken: the first one stays
        except FileExistsError:
            return False
        except OSError:                           # a file system without hard links
            if path.exists():
                return False
            os.replace(tmp, path)
        return True
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def keep(path, save, what):
    """write(path, save, exclusive=True), but a failure is a warning, never an exception.

    Returns True (kept), False (another kernel kept one first) or None (could not be written)."""
    try:
        return write(path, save, exclusive=True)
    except (OSError, RuntimeError) as err:
        warnings.warn(f"{what} could not be written to {path} ({type(err).__name__}: {err}); it is returned "
                      f"here but not kept, so keep it yourself if you need it later", stacklevel=3)
        return None


# ------------------------------------------------------------------ plain data

_PLAIN = (str, int, float, bool, complex, bytes, type(None), torch.dtype, torch.device, torch.Size)


def plain(value, where="the result"):
    """`value` as plain data torch.load(weights_only=True) reads back: NumPy numbers and arrays
    become Python numbers and tensors, a tensor that views a larger one is copied out (torch.save
    writes a view's whole storage). A TypeError names the first part that is not plain."""
    if torch.is_tensor(value):
        big = value.untyped_storage().nbytes() > value.numel() * value.element_size()
        return value.clone() if big else value
    if type(value).__module__ == "numpy":
        if hasattr(value, "shape") and value.shape != ():
            return torch.from_numpy(value.copy())
        return value.item()
    if type(value) in _PLAIN:
        return value
    if type(value) in (dict, collections.OrderedDict):
        return {k: plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if type(value) in (list, tuple, set):
        return type(value)(plain(v, f"{where}[{i}]") for i, v in enumerate(value))
    raise TypeError(f"{where} is a {type(value).__name__}, which is not plain data (tensors, numbers, strings, "
                    f"lists, tuples and dicts of them)")


def now():
    return datetime.datetime.now().isoformat(timespec="minutes")


def cached(name, compute, settings=None):
    """compute() once and keep its result; later calls with the same settings load it.

    For results worth keeping between sessions (a comparison that took minutes). The
    result should be plain data: tensors, numbers, strings, lists, dicts (NumPy numbers
    and arrays are kept as Python numbers and tensors; anything else is returned with a
    warning and not kept). `settings` (plain data) is everything the result depends on:
    change any of it and the result is computed again, under its own file. A line says
    when a kept result is used. Pressing stop during compute() stops it and keeps
    nothing (a partial comparison would look like a finished one). Delete the file to
    compute again. Two kernels computing one result: the first to finish is kept, and
    both return it.
    """
    fingerprint(settings)                          # settings without a lasting name fail before the work
    shipped, path, shipped_key = locate(name, settings)
    if shipped is not None:
        kept = torch.load(shipped, map_location="cpu", weights_only=True)
        where = ", ".join(f"{k} {v}" for k, v in kept.get("place", {}).items())
        print(f"reference result, shipped with ganlab (computed {kept['made']} in the reference run"
              f"{', ' + where if where else ''}); MODE = \"full\" computes it here")
        return kept["value"]
    if mode() == "reference":
        print(f"no reference result shipped for {name!r} with these settings: computing it here")
    if path.exists():
        value, made = _read(path)
        print(f"using the result kept in {path} (computed {made} with these settings); delete it to compute again")
        _export(shipped_key, value, made, settings)
        return value
    ready(path)
    _COMPUTING[0] += 1
    try:
        value = compute()
    except KeyboardInterrupt:
        print(f"interrupted: nothing was kept for {name!r}; run the cell again to compute it")
        raise
    finally:
        _COMPUTING[0] -= 1
    try:
        value = plain(value)
    except TypeError as err:
        warnings.warn(f"{err}, so it cannot be kept: it is returned but will be computed again next time. "
                      f"Return a dict, list or tuple of tensors and numbers to keep it.", stacklevel=2)
        return value
    made = now()
    record = {"value": value, "made": made, "settings": repr(settings)}
    kept = keep(path, lambda tmp: torch.save(record, tmp), f"the result {name!r}")
    if kept is False:
        value, made = _read(path)
        print(f"another kernel kept {path} first (computed {made}); using that one, so both show the same result")
    _export(shipped_key, value, made, settings)
    return value


def _read(path):
    try:
        kept = torch.load(path, map_location="cpu", weights_only=True)
        return kept["value"], kept["made"]
    except Exception as err:
        raise ValueError(f"{path} could not be read ({type(err).__name__}); delete it to compute "
                         f"the result again") from None


def _export(key, value, made, settings):
    target = reference_export(key)
    if target is not None:
        record = {"value": value, "made": made, "settings": repr(settings), "place": place(settings)}
        write(target, lambda tmp: torch.save(record, tmp))
