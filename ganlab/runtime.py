"""Where code runs: the device, seeds, and the machine.

    ganlab.device()            cuda, then mps, then cpu
    ganlab.seed(0)             seeds python, numpy and torch (cuda included)
    with runtime.seeded(0):    torch's generators seeded for a block, every device's put back after

The modes (reference / full / quick, budget) live in ganlab.modes and the kept results
(cached, checkpoint paths) in ganlab.store; their names are also here, where notebooks
have always found them.
"""
import contextlib
import functools
import inspect
import os
import platform
import random
from pathlib import Path

import numpy as np
import torch

from .modes import MODES, _CHOSEN, _SAID, budget, mode, quick, set_mode  # noqa: F401
from .store import (PLACE_KEYS, REFERENCE, cached, checkpoint_dir, checkpoint_path, computing,  # noqa: F401
                    fingerprint, keys, place, reference_export)


def device():
    """The best available torch device: cuda, then Apple's mps, then cpu."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def kind(device):
    """The kind of `device` as ganlab's device-specific choices read it ("cuda", "mps", "cpu").

    Every such choice in ganlab (fused Adam, channels_last, autocast, whose random stream
    is saved) asks this, never device.type, so a test can run the CUDA branches on a
    pretend device (tests/fake_accelerator.py) whose tensors stay on the CPU."""
    return torch.device(device).type


def cuda_devices():
    """The CUDA devices whose random streams own_streams puts back (none without a GPU)."""
    return range(torch.cuda.device_count()) if torch.cuda.is_available() else []


def resolve_device(dev=None):
    """`dev` as a torch.device; None means ganlab.device(). A device this machine lacks is refused in words."""
    dev = device() if dev is None else torch.device(dev)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(dev)!r}, but this machine has no CUDA GPU (torch sees none): leave "
                         f"device out (ganlab.device() picks the best one here) or use device=\"cpu\"")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device='mps', but this machine has no Apple GPU: leave device out or use device=\"cpu\"")
    return dev


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


@contextlib.contextmanager
def own_streams():
    """Run a block and put torch's generators back afterwards: the CPU's and every GPU's (CUDA, MPS).

    The one rule for random state in ganlab: a function that draws from torch's global
    streams (a model's initialisation, dropout) does it inside this, so the notebook's
    own stream is where the notebook left it."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.random.fork_rng(devices=cuda_devices(), device_type="cuda"))
        mps = getattr(torch, "mps", None)
        if mps is not None and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            state = mps.get_rng_state()
            stack.callback(mps.set_rng_state, state)
        yield


@contextlib.contextmanager
def seeded(n):
    """Run a block with torch's generators (every device's) seeded at n; put them all back afterwards."""
    with own_streams():
        torch.manual_seed(n)
        yield


def with_own_seed(function):
    """function(..., seed=...) runs with torch's generators seeded at its seed (seeded), so it
    makes the same thing every time and leaves the caller's random streams where they were."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def run(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        with seeded(bound.arguments["seed"]):
            return function(*args, **kwargs)
    return run


def machine_name(device):
    """The machine a result was made on, in words: the GPU's name, or the CPU's cores and model."""
    device = torch.device(device)
    if kind(device) == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "") if Path("/proc/cpuinfo").exists() else ""
    return f"{os.cpu_count()}-core CPU ({cpu or platform.machine()})"


def fast_bfloat16(device, cpuinfo="/proc/cpuinfo"):
    """Whether `device` does bfloat16 arithmetic natively (GAN(autocast="bfloat16") then pays off):
    a CUDA GPU that supports it, or a CPU with AVX512-BF16 or AMX instructions. Elsewhere
    bfloat16 is emulated and slower than float32."""
    device = torch.device(device)
    if kind(device) == "cuda":      # native from Ampere on; emulated on older GPUs such as Colab's T4
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if kind(device) != "cpu" or not Path(cpuinfo).exists():
        return False
    flags = next((line for line in Path(cpuinfo).read_text().splitlines() if line.startswith("flags")), "")
    return bool({"avx512_bf16", "amx_bf16"} & set(flags.split()))


class Streams:
    """torch's global random streams as a trainer left them, kept apart from the notebook's.

    Dropout inside a model draws from torch's global generators; a trainer swaps its own
    state in while it trains (swapped_in) and out afterwards, so training never moves the
    notebook's streams and a saved run resumes exactly. The CPU's stream is kept, and the
    training device's (CUDA, MPS); every other device's is put back untouched."""

    def __init__(self, seed, device):
        self.seed, self.device, self.state, self._active = seed, torch.device(device), None, False

    @contextlib.contextmanager
    def swapped_in(self):
        if self._active:                     # fit() swapped them in for its whole loop
            yield
            return
        on = kind(self.device)
        self._active = True
        with own_streams():
            if self.state is None:
                torch.manual_seed(self.seed)
            else:
                torch.set_rng_state(self.state["cpu"])
                if on == "cuda" and self.state.get("cuda") is not None:
                    torch.cuda.set_rng_state(self.state["cuda"], self.device)
                if on == "mps" and self.state.get("mps") is not None:
                    torch.mps.set_rng_state(self.state["mps"])
            try:
                yield
            finally:
                self._active = False
                self.state = {"cpu": torch.get_rng_state(),
                              "cuda": torch.cuda.get_rng_state(self.device) if on == "cuda" else None}
                if on == "mps":
                    self.state["mps"] = torch.mps.get_rng_state()
