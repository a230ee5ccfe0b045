"""Data for the series: 2D toy distributions and MNIST, as tensors on the device.

    x = toy("ring8", 1000)                 # (1000, 2)
    centres, std = toy_modes("ring8")      # (8, 2), 0.01
    images, labels = mnist()               # (N, 1, 28, 28) in [-1, 1], (N,)

Everything comes back as one tensor already on the device: training then draws
batches by indexing, with no DataLoader work per batch.

MNIST: the 60,000-digit training split is used when torchvision has it on disk
(or can download it). Offline, ganlab trains on 8,000 of the 10,000 MNIST test
digits it ships in ganlab/_data and says so in one line; the other 2,000 are
never trained on (see SPLITS). MNIST is by Yann LeCun, Corinna Cortes and
Christopher J.C. Burges, under CC BY-SA 3.0.

training_tensor(data) is the trainer's door: it takes a tensor, a NumPy array, a
Dataset or a DataLoader and says in words what is wrong with anything else.
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


# Which shipped test digits play which part. MNIST's test split has two halves written by
# different groups of people (digits 0-4,999 and 5,000-9,999 look measurably different),
# so each part takes every tenth digit from both halves:
#   reference  (i % 10 == 9, 1,000 digits): the real side of every Fréchet distance
#   held_out   (i % 10 == 4, 1,000 digits): the "real digits" rows and the copying check
#   the other 8,000: the classifier's training digits, and offline the GANs' too
# No GAN and not the classifier ever trains on the reference or held-out digits.
SPLITS = ("train", "test", "held_out", "reference")


def shipped_part(name):
    """Indices into the 10,000 shipped digits for "train" (8,000), "held_out" or "reference" (1,000 each)."""
    i = torch.arange(10_000)
    if name == "reference":
        return i[i % 10 == 9]
    if name == "held_out":
        return i[i % 10 == 4]
    if name == "train":
        return i[(i % 10 != 9) & (i % 10 != 4)]
    raise ValueError(f"no shipped part {name!r}; choose train, held_out or reference")


def mnist(split="train", limit=None, device=None):
    """MNIST as (images, labels): images (N, 1, 28, 28) float in [-1, 1], labels (N,) int64.

    split="train": the 60,000 training digits when torchvision has them (on disk
    under data_root(), or downloaded); otherwise the 8,000 shipped digits set aside
    for training (see SPLITS above), and one printed line says so.
    split="held_out" / "reference": 1,000 shipped test digits each that no GAN trains on.
    split="test": all 10,000 shipped test digits. limit keeps the first `limit` digits.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    found = _torchvision_mnist(train=True) if split == "train" else None
    if found is None:
        images, labels = shipped_mnist()
        if split != "test":
            keep = shipped_part(split).numpy()
            images, labels = images[keep], labels[keep]
        if split == "train":
            print("ganlab: MNIST's 60,000 training digits are not on disk and could not be "
                  "downloaded; training on 8,000 of the 10,000 MNIST test digits shipped with ganlab "
                  "(the other 2,000 stay unseen, for scoring).")
    else:
        images, labels = found
    if limit is not None:
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive int or None, got {limit!r}")
        images, labels = images[:limit], labels[:limit]
    dev = resolve_device(device)
    x = torch.from_numpy(np.array(images)).float().div(127.5).sub(1.0)
    y = torch.from_numpy(np.array(labels)).long()
    return x.unsqueeze(1).to(dev), y.to(dev)


# ---------------------------------------------------------------- data handed to a trainer

def training_tensor(data, device=None):
    """What a trainer can train on: one float tensor (N, ...) on the device, or a sampler.

    Accepts a tensor, a NumPy array, a torch Dataset (images first in each item, as
    torchvision's are) or a DataLoader: a Dataset or DataLoader is read once into one
    tensor (labels dropped), since ganlab draws its own random batches by indexing.
    A function n -> n samples is passed through. Anything else gets an error that
    says what to pass instead.
    """
    dev = resolve_device(device)
    if callable(data) and not isinstance(data, (torch.Tensor, torch.utils.data.Dataset)):
        return data
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(data)
    if isinstance(data, (torch.utils.data.DataLoader, torch.utils.data.Dataset)):
        data = _read_once(data)
    if not isinstance(data, torch.Tensor):
        raise TypeError(f"data must be a tensor (N, ...), a Dataset, a DataLoader or a function n -> samples; "
                        f"got {type(data).__name__}")
    if data.dim() < 2:
        raise ValueError(f"data must have shape (N, ...) with one sample per row; got shape {tuple(data.shape)}. "
                         f"For N numbers, use data.reshape(-1, 1).")
    if data.shape[0] == 0:
        raise ValueError("data is empty (0 samples): check how it was loaded or filtered")
    if not data.is_floating_point():
        hint = (" (pixel values 0-255?): use images.float() / 127.5 - 1 for the range [-1, 1] of a tanh "
                "generator, as ganlab.data.mnist() returns" if data.dtype == torch.uint8 else
                ": convert it with data.float()")
        raise TypeError(f"data is {data.dtype}, GANs here train on floating-point data{hint}")
    data = data.detach()                            # data that carries a graph: its numbers only
    if data.dtype != torch.float32:                 # float64 from NumPy, float16: the models' float32
        data = data.float()
    bad = (~torch.isfinite(data)).sum().item()
    if bad:
        raise ValueError(f"data holds {bad} NaN or infinite value(s): a GAN trained on them diverges. Find them "
                         f"with torch.isfinite(data).all(dim=1) and drop or fix those samples")
    return data.to(dev)


def _read_once(source):
    """All samples of a Dataset or DataLoader as one tensor (the first element of each item)."""
    from tqdm.auto import tqdm

    if isinstance(source, torch.utils.data.TensorDataset):
        return source.tensors[0]
    first = lambda item: item[0] if isinstance(item, (tuple, list)) else item          # noqa: E731
    item = source.dataset[0] if isinstance(source, torch.utils.data.DataLoader) else source[0]
    if isinstance(item, dict):
        raise TypeError(f"the {type(source).__name__}'s items are dicts (keys {sorted(item)[:5]}); ganlab reads "
                        f"an item's images first, as torchvision's (image, label) pairs: pass the image tensor "
                        f"itself, e.g. torch.stack([item['image'] for item in dataset])")
    if isinstance(source, torch.utils.data.DataLoader):
        parts = [first(batch) for batch in tqdm(source, desc="reading the DataLoader once", leave=False)]
        kind = "DataLoader"
    else:
        parts = [torch.as_tensor(first(source[i]))[None] for i in tqdm(range(len(source)),
                                                                        desc="reading the Dataset once", leave=False)]
        kind = "Dataset"
    if not parts:
        raise ValueError(f"the {kind} is empty (0 samples)")
    out = torch.cat(parts)
    print(f"ganlab: read {len(out):,} samples of shape {tuple(out.shape[1:])} from the {kind} once (labels "
          f"dropped); training draws its own random batches from them")
    return out
