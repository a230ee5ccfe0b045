"""A small MNIST classifier shipped with ganlab, and the scores built on it.

GAN papers score image generators with an ImageNet network (Inception-v3);
that needs a download and means little for 28x28 digits. Instead ganlab ships
a small CNN trained on MNIST (its weights, about 0.4 MB, are in
ganlab/_data/mnist_classifier.pt; `python -m ganlab.classifier` retrains them
in about a minute on a CPU) and computes the same kinds of scores with it:

    clf = load_classifier()
    s = digit_scores(images)           # images (N, 1, 28, 28) in [-1, 1]
    s["confident"]     share of images the classifier calls some digit with p > 0.9
    s["histogram"]     how many images were classified as each digit 0..9
    s["inception"]     exp(E KL(p(y|x) || p(y))): high when images are confident AND varied (max 10)
    s["frechet"]       Frechet distance between feature statistics of images and real digits (0 is best)
    codes_for_digits(gan, [9, 7, 1])   latent codes whose samples it reads most confidently as those digits

Training data: the 8,000 shipped MNIST test digits of ganlab.data's "train" part.
The other 2,000 are never trained on, by the classifier or by any GAN: 1,000
("reference") are the real side of every Fréchet distance, 1,000 ("held_out") are
the real digits that generated ones are compared with, at the same sample size.

The Fréchet distance of a finite sample is biased upwards, the more so the smaller
the sample: two sets of real digits are not at 0 (real_digit_scores() measures it),
and fewer images read higher. So every Fréchet distance here uses exactly
FRECHET_N = 1,000 images (the first 1,000 given), real digits included.
"""
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from . import checks as _checks
from . import data as _data
from .runtime import resolve_device, with_own_seed

WEIGHTS = Path(__file__).parent / "_data" / "mnist_classifier.pt"
FRECHET_N = 1000                     # images per Fréchet distance, generated and real alike


class MNISTClassifier(nn.Module):
    """conv(16) -> pool -> conv(32) -> pool -> 64 features -> 10 logits; about 105k weights."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # (16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # (32, 7, 7)
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU())             # (64,) features
        self.head = nn.Linear(64, 10)

    def features(self, x):
        return self.conv(x)

    def forward(self, x):
        return self.head(self.conv(x))


@with_own_seed
def train_classifier(epochs=10, batch_size=64, lr=2e-3, seed=0, device=None, progress=True):
    """Train a fresh classifier on the shipped "train" digits; returns (model, accuracy on the 2,000 others)."""
    from tqdm.auto import tqdm

    dev = resolve_device(device)
    images, labels = _data.mnist("test", device=dev)
    train = _data.shipped_part("train").to(dev)
    x, y = images[train], labels[train]
    n = len(x)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = MNISTClassifier().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * (n // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    model.train()
    for _ in tqdm(range(epochs), desc="classifier epochs", disable=not progress):
        order = torch.randperm(n, generator=gen).to(dev)
        for i in range(n // batch_size):
            idx = order[i * batch_size:(i + 1) * batch_size]
            # small random shifts (up to 2 px) so the classifier is not fooled by position
            batch = _shift(x[idx], gen)
            loss = F.cross_entropy(model(batch), y[idx])
            # outlier exposure: on noise that is no digit, the right answer is "no idea"
            # (uniform over the 10 classes), so noise cannot score as a confident digit
            junk = _junk(batch_size // 4, gen).to(dev)
            loss = loss - 0.5 * F.log_softmax(model(junk), 1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model, unseen_accuracy(model)


def unseen_accuracy(model):
    """Accuracy on the 2,000 shipped digits the classifier never trained on (held-out and reference)."""
    dev = next(model.parameters()).device
    parts = [_data.mnist(p, device=dev) for p in ("held_out", "reference")]
    return accuracy(model, torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]))


def _junk(n, gen):
    """Images that are not digits: uniform noise, blurred (blotchy) noise, and flat images of one grey."""
    noise = torch.rand(n, 1, 28, 28, generator=gen) * 2 - 1
    blurred = (F.avg_pool2d(noise, 5, stride=1, padding=2) * 3).clamp(-1, 1)
    flat = (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1).expand(n, 1, 28, 28)
    kind = torch.randint(3, (n, 1, 1, 1), generator=gen)
    return torch.where(kind == 0, noise, torch.where(kind == 1, blurred, flat))


def _shift(x, gen, max_px=2):
    dx, dy = torch.randint(-max_px, max_px + 1, (2,), generator=gen).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


@torch.no_grad()
def accuracy(model, images, labels, batch=1000):
    """Share of images whose predicted digit is the label."""
    correct = sum((model(images[i:i + batch]).argmax(1) == labels[i:i + batch]).sum().item()
                  for i in range(0, len(images), batch))
    return correct / len(images)


def save_classifier(model, path=WEIGHTS):
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, path)


_CACHE = {}


def load_classifier(device=None, path=WEIGHTS):
    """The shipped classifier, in eval mode (read with weights_only=True)."""
    dev = resolve_device(device)
    key = (str(path), str(dev))
    if key in _CACHE:
        return _CACHE[key]
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m ganlab.classifier` to retrain it (about a minute)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = MNISTClassifier()
        model.load_state_dict(state)
    except Exception as err:
        raise ValueError(f"{path} is not a readable classifier ({type(err).__name__}); "
                         f"run `python -m ganlab.classifier` to retrain it") from None
    model = model.to(dev).eval()
    _CACHE[key] = model
    return model


@torch.no_grad()
def predict(images, classifier=None, batch=1000):
    """(probabilities (N, 10), features (N, 64)) for images (N, 1, 28, 28) in [-1, 1]."""
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(f"expected MNIST-shaped images (N, 1, 28, 28), got {tuple(images.shape)}")
    clf = classifier or load_classifier(images.device)
    dev = next(clf.parameters()).device
    probs, feats = [], []
    for i in range(0, len(images), batch):
        x = images[i:i + batch].to(dev).float()
        f = clf.features(x)
        probs.append(F.softmax(clf.head(f), 1))
        feats.append(f)
    return torch.cat(probs).cpu(), torch.cat(feats).cpu()


def frechet_distance(feats_a, feats_b):
    """‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½) between two sets of feature vectors (N, D)."""
    a, b = feats_a.double(), feats_b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    # Tr (Σa Σb)^½ = Σ sqrt(eigenvalues of Σa^½ Σb Σa^½), a symmetric PSD matrix
    vals, vecs = torch.linalg.eigh(cov_a)
    sqrt_a = vecs @ torch.diag(vals.clamp(min=0).sqrt()) @ vecs.T
    middle = torch.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a).clamp(min=0).sqrt().sum()
    return float(((mu_a - mu_b) ** 2).sum() + cov_a.trace() + cov_b.trace() - 2 * middle)


def inception_score(probs, eps=1e-12):
    """exp(E_x KL(p(y|x) ‖ p(y))): 1 (uninformative) up to 10 (confident and all digits equally)."""
    p_y = probs.mean(0, keepdim=True)
    kl = (probs * ((probs + eps).log() - (p_y + eps).log())).sum(1)
    return float(kl.mean().exp())


_REFERENCE = {}


def reference_features(device=None):
    """Features of the 1,000 reference digits (no GAN and not the classifier trained on them)."""
    dev = resolve_device(device)
    if str(dev) not in _REFERENCE:
        _REFERENCE[str(dev)] = predict(_data.mnist("reference", device=dev)[0])[1]
    return _REFERENCE[str(dev)]


def digit_scores(images, classifier=None, threshold=0.9):
    """Every score for a batch of MNIST-shaped images, as a dict (see the module docstring).

    The Fréchet distance uses the first FRECHET_N images (all of them when there are
    fewer, and then frechet_n says so: a smaller sample reads higher).
    """
    if len(images) < 2:
        raise ValueError(f"digit_scores needs at least 2 images (the Fréchet distance compares spreads); got "
                         f"{len(images)}")
    _checks.data_range(images if images.dim() == 4 else images.reshape(len(images), 1, 28, 28), "the images scored",
                        background=True)
    probs, feats = predict(images, classifier)
    top, digit = probs.max(1)
    hist = torch.bincount(digit, minlength=10)
    ref = reference_features(images.device) if classifier is None else None
    return dict(
        n=len(images),
        confident=float((top > threshold).float().mean()),
        histogram=hist.tolist(),
        digits_present=int(((hist > 0) & (torch.bincount(digit[top > threshold], minlength=10) > 0)).sum()),
        inception=inception_score(probs),
        frechet=frechet_distance(feats[:FRECHET_N], ref) if ref is not None else float("nan"),
        frechet_n=min(len(images), FRECHET_N),
    )


def real_digit_scores(device=None):
    """digit_scores of the 1,000 held-out real digits: what a perfect generator would score."""
    return digit_scores(_data.mnist("held_out", device=resolve_device(device))[0])


def codes_for_digits(gan, digits, n=2000, seed=0):
    """For each digit in `digits`, the latent code the classifier most confidently reads as it.

    Draws n codes with gan.noise(n, seed=seed), reads each sample's digit, and keeps, per
    requested digit, the code with the highest probability among the samples read as it.
    Returns (codes (len(digits), latent_dim), probabilities (len(digits),)).
    """
    digits = [int(d) for d in digits]
    if not digits or not all(0 <= d <= 9 for d in digits):
        raise ValueError(f"digits must be a non-empty list of digits 0 to 9, got {digits}")
    z = gan.noise(n, seed=seed)
    probs, _ = predict(gan.sample(z=z))                          # (n, 10), on the CPU
    read_as = probs.argmax(1)
    picks = []
    for d in digits:
        mine = torch.where(read_as == d, probs[:, d], torch.tensor(-1.0))   # -1: read as another digit
        if mine.max() < 0:
            raise ValueError(f"none of the {n} samples is read as a {d}: draw more codes (n=...) "
                             f"or train the generator longer")
        picks.append(int(mine.argmax()))
    idx = torch.tensor(picks)
    return z[idx.to(z.device)], probs[idx, torch.tensor(digits)]


def print_scores(rows):
    """A table of digit_scores results, one row per name: {"generated": scores, "real": scores}."""
    print(f"{'':>24} {'confident':>9} {'digits':>6} {'inception':>9} {'Fréchet':>8}")
    for name, s in rows.items():
        print(f"{name:>24} {s['confident']:9.1%} {s['digits_present']:6d} {s['inception']:9.2f} {s['frechet']:8.1f}")


def main():
    start = time.perf_counter()
    model, acc = train_classifier()
    save_classifier(model)
    print(f"accuracy {acc:.4f} on the 2,000 digits it never saw; trained in {time.perf_counter() - start:.0f} s; saved {WEIGHTS}")


if __name__ == "__main__":
    main()
