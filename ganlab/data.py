"""Data for the series: 2D toy distributions and MNIST, as tensors on the device.

    x = toy("ring8", 1000)                 # (1000, 2)
    centres, std = toy_modes("ring8")      # (8, 2), 0.01
    images, labels = mnist()               # (N, 1, 28, 28) in [-1, 1], (N,)

Everything comes back as one tensor already on the device: training then draws
batches by indexing, with no DataLoader work per batch.

MNIST: the 60,000-digit training split is used when torchvision has it on disk
(or can download it). Offline, ganlab falls back to the 10,000-digit MNIST test
split it ships in ganlab/_data and says so in one line. MNIST is by Yann LeCun,
Corinna Cortes and Christopher J.C. Burges, under CC BY-SA 3.0.
"""
import gzip
import hashlib
import math
import os
from pathlib import Path

import numpy as np
import torch

from .runtime import resolve_device

# ---------------------------------------------------------------- toy data

_RING8 = [(math.cos(2 * math.pi * k / 8), math.sin(2 * math.pi * k / 8)) for k in range(8)]
_GRID25 = [(float(x), float(y)) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)]

# name -> (mode centres, std). Mixtures know their modes so coverage can be measured.
_MIXTURES = {
    "ring8": (_RING8, 0.01),      # 8 Gaussians on the unit circle
    "grid25": (_GRID25, 0.05),    # 25 Gaussians on {-4,-2,0,2,4}^2
    "gaussian": ([(0.5, 0.5)], 0.3),  # one Gaussian, shifted and squeezed from N(0, I)
}
_SHAPES = ("spiral", "moons")     # continuous shapes: no discrete modes
TOY_NAMES = tuple(_MIXTURES) + _SHAPES


def _check_name(name):
    if name not in TOY_NAMES:
        raise ValueError(f"unknown toy distribution {name!r}; choose one of {', '.join(TOY_NAMES)}")


def toy(name, n, seed=None, device=None):
    """`n` samples of the 2D toy distribution `name`, a float tensor (n, 2).

    name: ring8, grid25, gaussian (mixtures with known modes, see toy_modes),
          spiral or moons (continuous shapes).
    seed: an int for a reproducible draw; None uses torch's global generator.
    """
    _check_name(name)
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    if name in _MIXTURES:
        centres, std = _MIXTURES[name]
        centres = torch.tensor(centres)
        which = torch.randint(len(centres), (n,), generator=gen)
        x = centres[which] + std * torch.randn(n, 2, generator=gen)
    elif name == "spiral":
        # one arm, 1.5 turns, radius growing from 0.1 to 1
        t = torch.rand(n, generator=gen)
        angle = 3 * math.pi * t
        radius = 0.1 + 0.9 * t
        x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], 1)
        x = x + 0.02 * torch.randn(n, 2, generator=gen)
    else:  # moons: two interleaved half circles, centred on the origin
        t = math.pi * torch.rand(n, generator=gen)
        upper = torch.rand(n, generator=gen) < 0.5
        x_up = torch.stack([torch.cos(t), torch.sin(t)], 1)
        x_low = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
        x = torch.where(upper[:, None], x_up, x_low) - torch.tensor([0.5, 0.25])
        x = 0.8 * x + 0.03 * torch.randn(n, 2, generator=gen)
    return x.float().to(resolve_device(device))


def toy_modes(name, device=None):
    """(centres, std) of a mixture toy distribution: centres is (K, 2)."""
    _check_name(name)
    if name not in _MIXTURES:
        raise ValueError(
            f"{name!r} is a continuous shape with no discrete modes; "
            f"modes exist for {', '.join(_MIXTURES)}")
    centres, std = _MIXTURES[name]
    return torch.tensor(centres, device=resolve_device(device)), std


# ---------------------------------------------------------------- MNIST

SHIPPED = Path(__file__).parent / "_data"
_MD5 = {
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


class DataFileError(RuntimeError):
    """A data file is missing, truncated or corrupt."""


def _verified_bytes(path):
    """The unzipped bytes of a shipped IDX file, after checking its md5."""
    path = Path(path)
    expected = _MD5[path.name]
    if not path.exists():
        raise DataFileError(
            f"{path} is missing. Reinstall ganlab (pip install -e .) or copy the MNIST "
            f"file {path.name} back into {path.parent}.")
    raw = path.read_bytes()
    got = hashlib.md5(raw).hexdigest()
    if got != expected:
        raise DataFileError(
            f"{path} is corrupt or truncated (md5 {got}, expected {expected}, "
            f"{len(raw)} bytes). Reinstall ganlab or copy a fresh {path.name} into {path.parent}.")
    return gzip.decompress(raw)


def _parse_idx(buf, path):
    """Parse an IDX file: magic (2 zero bytes, dtype 0x08, ndim), dims, uint8 data."""
    if len(buf) < 4 or buf[:3] != b"\x00\x00\x08":
        raise DataFileError(f"{path} is not an IDX file of unsigned bytes")
    ndim = buf[3]
    dims = tuple(int.from_bytes(buf[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(dims):
        raise DataFileError(f"{path} holds {data.size} values, its header says {dims}")
    return data.reshape(dims)


def shipped_mnist(data_dir=SHIPPED):
    """The MNIST test split shipped with ganlab: uint8 images (10000, 28, 28), labels (10000,)."""
    data_dir = Path(data_dir)
    images = _parse_idx(_verified_bytes(data_dir / "t10k-images-idx3-ubyte.gz"),
                        data_dir / "t10k-images-idx3-ubyte.gz")
    labels = _parse_idx(_verified_bytes(data_dir / "t10k-labels-idx1-ubyte.gz"),
                        data_dir / "t10k-labels-idx1-ubyte.gz")
    return images, labels


def data_root():
    """Where torchvision's MNIST is looked for: $GANLAB_DATA, else ~/.cache/ganlab."""
    return Path(os.environ.get("GANLAB_DATA", Path.home() / ".cache" / "ganlab"))


def offline():
    """True when GANLAB_OFFLINE=1: never try to download."""
    return os.environ.get("GANLAB_OFFLINE", "").strip().lower() not in {"", "0", "false", "no"}


_DOWNLOAD_FAILED = set()   # splits whose download failed in this process: don't retry


def _torchvision_mnist(train):
    """uint8 (images, labels) from torchvision, on disk or downloaded; None if neither works."""
    try:
        from torchvision.datasets import MNIST
    except ImportError:
        return None
    root = data_root()
    try:
        ds = MNIST(root, train=train, download=False)
    except Exception:
        if offline() or train in _DOWNLOAD_FAILED:
            return None
        try:
            ds = MNIST(root, train=train, download=True)
        except Exception:
            _DOWNLOAD_FAILED.add(train)
            return None
    return ds.data.numpy(), ds.targets.numpy()


def mnist(split="train", limit=None, device=None):
    """MNIST as (images, labels): images (N, 1, 28, 28) float in [-1, 1], labels (N,) int64.

    split="train": the 60,000 training digits when torchvision has them (on disk
    under data_root(), or downloaded); otherwise the 10,000 test digits shipped
    with ganlab, and one printed line says so. split="test": the 10,000 test
    digits (shipped, so always available). limit keeps the first `limit` digits.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    found = _torchvision_mnist(train=True) if split == "train" else None
    if found is None:
        if split == "train":
            print("ganlab: MNIST's 60,000 training digits are not on disk and could not be "
                  "downloaded; using the 10,000 MNIST test digits shipped with ganlab.")
        found = shipped_mnist()
    images, labels = found
    if limit is not None:
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive int or None, got {limit!r}")
        images, labels = images[:limit], labels[:limit]
    dev = resolve_device(device)
    x = torch.from_numpy(np.array(images)).float().div(127.5).sub(1.0)
    y = torch.from_numpy(np.array(labels)).long()
    return x.unsqueeze(1).to(dev), y.to(dev)
