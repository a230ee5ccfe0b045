import pytest
import torch

import ganlab
from ganlab import classifier, race


@pytest.fixture(scope="module")
def digits():
    return ganlab.data.mnist("test", device="cpu")


def test_shipped_classifier_is_accurate_on_held_out_digits(digits):
    clf = classifier.load_classifier("cpu")
    assert classifier.unseen_accuracy(clf) > 0.97
    held, held_labels = ganlab.data.mnist("held_out", device="cpu")
    assert classifier.accuracy(clf, held, held_labels) > 0.97


def test_scoring_digits_are_apart_from_training_digits(digits):
    """Reference and held-out digits: 1,000 each, disjoint, from both halves of the test split,
    and neither among the classifier's (and, offline, the GANs') training digits."""
    parts = {name: set(ganlab.data.shipped_part(name).tolist()) for name in ("train", "held_out", "reference")}
    assert len(parts["train"]) == 8000 and len(parts["held_out"]) == len(parts["reference"]) == 1000
    assert not (parts["train"] & parts["held_out"]) and not (parts["train"] & parts["reference"])
    assert not (parts["held_out"] & parts["reference"])
    for name in ("held_out", "reference"):
        assert sum(i < 5000 for i in parts[name]) == 500          # both groups of writers
    images, _ = digits
    ref, _ = ganlab.data.mnist("reference", device="cpu")
    assert torch.equal(ref, images[ganlab.data.shipped_part("reference")])


def test_real_digits_score_as_real_at_equal_sample_size():
    """Held-out real digits against the reference, both 1,000: the floor a generator can reach."""
    real = classifier.real_digit_scores("cpu")
    assert real["frechet_n"] == classifier.FRECHET_N == 1000
    assert 3 < real["frechet"] < 25 and real["confident"] > 0.9
    flat = classifier.digit_scores(torch.full((200, 1, 28, 28), -1.0))
    assert flat["confident"] < 0.1               # a blank image is not a confident "1"


def test_retraining_works_quickly():
    model, acc = classifier.train_classifier(epochs=1, progress=False, device="cpu")
    assert acc > 0.9


def test_real_digits_score_well_and_noise_badly(digits):
    images, _ = digits
    real = classifier.digit_scores(images[:2000])
    noise = classifier.digit_scores(torch.rand(2000, 1, 28, 28) * 2 - 1)
    blank = classifier.digit_scores(torch.full((500, 1, 28, 28), -1.0))
    assert real["confident"] > 0.85 and real["digits_present"] == 10 and real["inception"] > 8
    assert noise["confident"] < 0.05 and noise["inception"] < 1.5
    assert real["frechet"] < 50 < 500 < noise["frechet"]
    assert blank["inception"] < 1.01            # one image repeated: no variety at all
    # one digit repeated 2000 times: confident but not varied
    one = classifier.digit_scores(images[:1].repeat(2000, 1, 1, 1))
    assert one["confident"] == 1.0 and one["digits_present"] == 1 and one["inception"] < 1.01


def test_inception_score_closed_forms():
    eye = torch.eye(10).repeat(5, 1)                       # confident, every class equally
    assert classifier.inception_score(eye) == pytest.approx(10, rel=1e-6)
    assert classifier.inception_score(torch.full((20, 10), 0.1)) == pytest.approx(1, rel=1e-6)
    half = torch.zeros(20, 10)
    half[:10, 0], half[10:, 1] = 1, 1                      # confident, two classes: exp(log 2) = 2
    assert classifier.inception_score(half) == pytest.approx(2, rel=1e-6)


def test_frechet_distance_matches_gaussian_closed_form():
    # for diagonal covariances the distance is ‖μa − μb‖² + Σ (σa − σb)²
    gen = torch.Generator().manual_seed(0)
    n = 200_000
    a = torch.randn(n, 3, generator=gen) * torch.tensor([1.0, 2.0, 0.5])
    b = torch.randn(n, 3, generator=gen) * torch.tensor([1.5, 1.0, 0.5]) + torch.tensor([1.0, 0.0, -2.0])
    want = (1 + 0 + 4) + (0.5 ** 2 + 1.0 ** 2 + 0)
    assert classifier.frechet_distance(a, b) == pytest.approx(want, rel=0.02)
    assert classifier.frechet_distance(a, a) == pytest.approx(0, abs=1e-6)


def test_bad_inputs_are_explained(tmp_path):
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        classifier.predict(torch.zeros(3, 784))
    bad = tmp_path / "clf.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="python -m ganlab.classifier"):
        classifier.load_classifier("cpu", path=bad)
    with pytest.raises(FileNotFoundError, match="retrain"):
        classifier.load_classifier("cpu", path=tmp_path / "missing.pt")


def test_train_scored_logs_at_even_times(digits):
    from ganlab import recipes

    images, _ = digits
    gan = recipes.dcgan_mnist(width=4, device="cpu")
    log = race.train_scored(gan, images[:500], seconds=1.0, points=3, n=100, progress=False)
    assert len(log["seconds"]) == 3 and log["seconds"] == sorted(log["seconds"])
    assert 0.9 < log["seconds"][-1] < 3 and log["step"][-1] == gan.step
    assert all(0 <= c <= 1 for c in log["confident"]) and gan.extras["scores"] is log


class _LookupGAN:
    """A stand-in generator that returns held-out digit number round(z[0]): its codes' digits are known."""

    def __init__(self, images, keep):
        self.images, self.keep, self.latent_dim = images, keep, 3

    def noise(self, n, seed=None):
        z = torch.randn(n, 3, generator=torch.Generator().manual_seed(seed))
        z[:, 0] = self.keep[torch.arange(n) % len(self.keep)].float()
        return z

    def sample(self, z):
        return self.images[z[:, 0].round().long()]


def test_codes_for_digits_picks_codes_of_those_digits():
    images, labels = ganlab.data.mnist("held_out", device="cpu")
    gan = _LookupGAN(images, keep=torch.nonzero(labels != 4).flatten())       # a generator that never draws a 4
    codes, probs = classifier.codes_for_digits(gan, [9, 7, 1], n=500, seed=0)
    assert codes.shape == (3, 3)
    shown = codes[:, 0].round().long()
    assert labels[shown].tolist() == [9, 7, 1]                   # the true labels, not the classifier's reading
    all_probs, _ = classifier.predict(images[gan.keep[:500]])
    for k, d in enumerate([9, 7, 1]):                            # the most confident of the n drawn
        readers = all_probs[all_probs.argmax(1) == d, d]
        assert probs[k] == pytest.approx(readers.max().item()) and probs[k] > 0.9
    with pytest.raises(ValueError, match="read as a 4"):
        classifier.codes_for_digits(gan, [4], n=500)
    with pytest.raises(ValueError, match="0 to 9"):
        classifier.codes_for_digits(gan, [10])
