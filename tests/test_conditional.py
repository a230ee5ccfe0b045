"""The conditional GAN of notebook 07: pairs, the projection discriminator, the trainer's small
delta, saving, the two measurements (digit asked vs read, style across digits) and the widget."""
import pytest
import torch
import torch.nn.functional as F

import ganlab
from ganlab import conditional, recipes, widgets
from ganlab.training import GAN, random_shift


def tiny_cgan(seed=0, **changes):
    settings = dict(style_dim=8, g_hidden=(32,), d_hidden=(32,), batch_size=16, **changes)
    return recipes.conditional_mnist(seed=seed, device="cpu", **settings)


@pytest.fixture(scope="module")
def digits():
    images, labels = ganlab.data.mnist("held_out", device="cpu")
    return images, labels


def test_pairs_hold_pixels_then_the_label_and_split_back(digits):
    images, labels = digits[0][:20], digits[1][:20]
    p = conditional.pairs(images, labels)
    assert p.shape == (20, 784 + 10)
    assert torch.equal(p[:, 784:].argmax(1), labels) and torch.equal(p[:, 784:].sum(1), torch.ones(20))
    back, back_labels = conditional.split(p)
    assert torch.equal(back, images) and torch.equal(back_labels, labels)
    with pytest.raises(ValueError, match="one label per image"):
        conditional.pairs(images, labels[:5])
    with pytest.raises(ValueError, match="from 0 to 9"):
        conditional.one_hot([3, 10])
    with pytest.raises(ValueError, match="whole class numbers"):
        conditional.one_hot(torch.tensor([0.5, 2.0]))
    assert torch.equal(conditional.one_hot(torch.tensor([2.0, 0.0])), F.one_hot(torch.tensor([2, 0]), 10).float())


def test_projection_discriminator_is_w_phi_plus_b_plus_the_class_vector_times_phi():
    torch.manual_seed(0)
    d = conditional.ProjectionDiscriminator(hidden=(16, 12), spectral_norm=False)
    x, labels = torch.randn(5, 784), torch.tensor([0, 3, 3, 9, 1])
    layers = [m for m in d.modules() if isinstance(m, torch.nn.Linear)]
    w1, w2, head, table = layers[0], layers[1], layers[2], layers[3]
    phi = F.leaky_relu(w2(F.leaky_relu(w1(x), 0.2)), 0.2)                                # (5, 12)
    expected = phi @ head.weight.T + head.bias + (table.weight.T[labels] * phi).sum(1, keepdim=True)
    got = d(torch.cat([x, F.one_hot(labels, 10).float()], 1))
    assert got.shape == (5, 1) and torch.allclose(got, expected, atol=1e-5)
    # the label matters: the same image with another label gets another score
    assert not torch.allclose(got, d(torch.cat([x, F.one_hot((labels + 1) % 10, 10).float()], 1)))
    blind = conditional.ProjectionDiscriminator(hidden=(16, 12), spectral_norm=False, projection=False)
    pairs_a = torch.cat([x, F.one_hot(labels, 10).float()], 1)
    pairs_b = torch.cat([x, F.one_hot((labels + 1) % 10, 10).float()], 1)
    assert blind.embed is None and torch.equal(blind(pairs_a), blind(pairs_b))     # the label is ignored


def test_the_generator_hands_its_label_on_and_sample_returns_images():
    gan = tiny_cgan()
    z = gan.noise(6, seed=1, labels=[0, 1, 2, 3, 4, 5])
    assert z.shape == (6, 8 + 10) and torch.equal(z[:, 8:].argmax(1), torch.arange(6))
    out = gan.generator.eval()(z)
    assert out.shape == (6, 794) and torch.equal(out[:, 784:], z[:, 8:])
    assert gan.sample(4, labels=7).shape == (4, 1, 28, 28)
    assert gan.sample(labels=range(10)).shape == (10, 1, 28, 28) and gan.sample(labels=3).shape == (64, 1, 28, 28)
    styles = gan.styles(3, seed=2)
    assert torch.equal(gan.sample(z=styles, labels=[1, 2, 3]), gan.sample(z=gan.with_labels(styles, [1, 2, 3])))
    with pytest.raises(ValueError, match="need labels"):
        gan.sample(z=styles)
    with pytest.raises(ValueError, match="one label, or one per code"):
        gan.sample(z=styles, labels=[1, 2])
    drawn = gan.noise(5000, seed=3)[:, 8:].argmax(1)
    assert torch.bincount(drawn, minlength=10).min() > 400           # labels drawn uniformly


def test_shifted_views_move_the_pixels_of_a_pair_never_its_label(digits):
    gan = tiny_cgan(augment=2)
    p = conditional.pairs(digits[0][:8], digits[1][:8])
    gan.rng.manual_seed(5)
    seen = gan._seen_by_d(p)
    expected = random_shift(digits[0][:8], 2, torch.Generator().manual_seed(5))
    assert torch.equal(seen[:, 784:], p[:, 784:])
    assert torch.equal(seen[:, :784], expected.flatten(1)) and not torch.equal(seen[:, :784], p[:, :784])


def test_it_trains_in_the_one_loop_saves_and_loads_exactly(tmp_path, digits):
    gan = tiny_cgan()
    data = conditional.pairs(*digits)
    gan.fit(data, steps=15, progress=False)
    assert gan.step == 15 and all(torch.isfinite(torch.tensor(gan.history["d_loss"])))
    path = gan.save(tmp_path / "c.pt")
    saved = torch.load(path, weights_only=True)                       # plain data: safe to share
    assert saved["kind"] == "ConditionalGAN"
    back = GAN.load(path)
    assert isinstance(back, conditional.ConditionalGAN) and back.style_dim == 8
    assert torch.equal(back.sample(z=gan.styles(4, seed=0), labels=3), gan.sample(z=gan.styles(4, seed=0), labels=3))
    back.fit(data, steps=3, progress=False)
    gan.fit(data, steps=3, progress=False)
    assert torch.equal(back.sample(8, seed=1), gan.sample(8, seed=1))        # resumes bit for bit
    small = GAN.load(gan.save(tmp_path / "small.pt", compact=True))
    assert torch.equal(small.sample(z=gan.styles(4, seed=0), labels=5), gan.sample(z=gan.styles(4, seed=0), labels=5))


def test_a_conditional_gan_needs_a_conditional_generator():
    from ganlab import models

    with pytest.raises(TypeError, match="ConditionalGenerator"):
        conditional.ConditionalGAN(models.mlp_generator(), conditional.ProjectionDiscriminator())
    with pytest.raises(ValueError, match="unknown setting"):
        recipes.conditional_mnist(stlye_dim=3)


class _Copier:
    """Stands in for a ConditionalGAN: 'draws' held-out real digits of class (label + shift) % 10."""

    def __init__(self, digits, shift):
        self.images, self.labels = digits
        self.shift, self.n_classes, self.style_dim, self.device = shift, 10, 4, torch.device("cpu")

    def styles(self, n, seed=None):
        return torch.randn(n, 4, generator=torch.Generator().manual_seed(seed or 0))

    def sample(self, z, labels):
        labels = torch.as_tensor(labels)
        out = []
        for k, y in enumerate(labels.tolist()):
            pool = self.images[self.labels == (y + self.shift) % 10]
            out.append(pool[k % len(pool)])
        return torch.stack(out)


def test_requested_digit_scores_passes_an_obedient_generator_and_fails_a_disobedient_one(digits):
    good = conditional.requested_digit_scores(_Copier(digits, 0), n_per_class=30)
    assert good["accuracy"] > 0.95 and good["confusion"].sum() == 300 and good["confusion"].trace() > 285
    assert 0.9 < good["confident"] <= good["accuracy"]
    bad = conditional.requested_digit_scores(_Copier(digits, 1), n_per_class=30)
    assert bad["accuracy"] < 0.05 and bad["confusion"][3, 4] > 25      # asked for 3, drew 4s
    assert bad["per_class"].shape == (10,)


def test_style_features_read_ink_and_slant_from_hand_drawn_strokes():
    img = -torch.ones(3, 1, 28, 28)
    for r in range(4, 24):
        img[0, 0, r, 13:15] = 1                         # an upright stroke
        img[1, 0, r, 13 + (24 - r) // 4: 15 + (24 - r) // 4] = 1      # top to the right: leans right
        img[2, 0, r, 11:17] = 1                         # upright, three times as wide
    f = conditional.style_features(img)
    assert abs(f["slant"][0]) < 1e-6 and f["slant"][1] > 0.15 and abs(f["slant"][2]) < 1e-6
    assert f["ink"][2] == pytest.approx(3 * f["ink"][0]) and f["ink"][0] == pytest.approx(40 / 784)


class _PenWidth:
    """Stands in for a ConditionalGAN whose first style number is the pen width, whatever the digit."""
    n_classes, style_dim, device = 10, 2, torch.device("cpu")

    def styles(self, n, seed=None):
        return torch.rand(n, 2, generator=torch.Generator().manual_seed(seed or 0))

    def sample(self, z, labels):
        img = -torch.ones(len(z), 1, 28, 28)
        for k, (width, label) in enumerate(zip(z[:, 0].tolist(), torch.as_tensor(labels).tolist())):
            w = 1 + int(width * 5)
            img[k, 0, 4:24 - label, 10:10 + w] = 1                   # length: the digit; width: the style
        return img


class _PenPerParity(_PenWidth):
    """Even digits take their pen width from style[0], odd digits from style[1]: no shared style."""

    def sample(self, z, labels):
        labels = torch.as_tensor(labels)
        swapped = torch.where((labels % 2 == 1)[:, None], z.flip(1), z)
        return super().sample(swapped, labels)


class _IgnoresLabel(_PenWidth):
    """Draws the same image for every digit: the style code decides everything."""

    def sample(self, z, labels):
        return super().sample(z, torch.zeros(len(z), dtype=torch.long))


def test_style_agreement_finds_a_style_that_carries_across_digits_and_its_shuffled_baseline_does_not():
    r = conditional.style_agreement(_PenWidth(), n_styles=200, seed=0)
    assert r["ink"] > 0.9 and abs(r["ink_shuffled"]) < 0.1
    unrelated = conditional.style_agreement(_PenPerParity(), n_styles=200, seed=0)
    # pairs of the same parity share a pen (r = 1), pairs across parities do not (r ~ 0): 20 of 45 pairs
    assert abs(unrelated["ink"] - 20 / 45) < 0.1
    # a generator that ignores the label scores 1: the number means something only beside the label being obeyed
    assert conditional.style_agreement(_IgnoresLabel(), n_styles=200, seed=0)["ink"] > 0.999


def test_spread_per_digit_is_zero_for_one_image_per_digit_and_positive_for_real_digits(digits):
    images, labels = digits
    real = conditional.spread_per_digit(images, labels)
    assert real.shape == (10,) and (real > 5).all()
    copies = images[[int((labels == k).nonzero()[0]) for k in labels.tolist()]]     # each digit's first image
    assert conditional.spread_per_digit(copies, labels).max() < 1e-3
    with pytest.raises(ValueError, match="at least 2"):
        conditional.spread_per_digit(images[:3], labels[:3])


def test_label_path_slides_the_one_hot_at_a_fixed_style():
    gan = tiny_cgan()
    style = gan.styles(1, seed=0)
    path = conditional.label_path(gan, style, 2, 5, n=5)
    assert path.shape == (5, 18) and torch.equal(path[:, :8], style.expand(5, -1))
    assert torch.equal(path[0, 8:], F.one_hot(torch.tensor(2), 10).float())
    assert torch.equal(path[-1, 8:], F.one_hot(torch.tensor(5), 10).float())
    assert torch.allclose(path[2, 8:][[2, 5]], torch.tensor([0.5, 0.5])) and path[:, 8:].sum(1).allclose(torch.ones(5))


def test_digit_and_style_widget_redraws_on_a_digit_button_and_a_style_slider():
    gan = tiny_cgan()
    w = widgets.DigitAndStyle(gan, seed=1, digit=2)
    image, row = bytes(w.image.value), bytes(w.row.value)
    w.pick(8)
    assert bytes(w.image.value) != image and bytes(w.row.value) == row
    image, row = bytes(w.image.value), bytes(w.row.value)
    w.sliders[0].value = 2.5 if w.sliders[0].value < 2 else -2.5
    assert bytes(w.image.value) != image and bytes(w.row.value) != row
    image = bytes(w.image.value)
    w.new_style()
    assert bytes(w.image.value) != image
    with pytest.raises(TypeError, match="ConditionalGAN"):
        widgets.DigitAndStyle(recipes.mlp_mnist(g_hidden=(16,), d_hidden=(16,)))
    with pytest.raises(ValueError, match="dims"):
        widgets.DigitAndStyle(gan, dims=[8])


def test_label_scores_give_d_of_every_image_with_every_label_and_leave_d_as_it_was(digits):
    gan = tiny_cgan()
    images = digits[0][:6]
    scores = conditional.label_scores(gan, images)
    assert scores.shape == (6, 10) and gan.discriminator.training
    gan.discriminator.eval()
    with torch.no_grad():
        for k in (0, 4, 9):
            assert torch.allclose(scores[:, k:k + 1], gan.score(conditional.pairs(images, torch.full((6,), k))))
    blind = recipes.conditional_mnist(style_dim=8, g_hidden=(32,), d_hidden=(32,), projection=False)
    flat = conditional.label_scores(blind, images)
    assert torch.allclose(flat, flat[:, :1].expand(-1, 10))              # no label term: every column the same


def test_the_conditional_recipe_is_notebook_03s_final_one_with_the_label_added():
    # notebook 07 says so; its cell prints the two recipes side by side, this checks the networks
    shared = ("g_hidden", "d_hidden", "spectral_norm", "lr", "betas", "batch_size", "ema", "augment", "loss")
    assert all(recipes.CONDITIONAL_MNIST[k] == recipes.MLP_MNIST[k] for k in shared)
    assert recipes.CONDITIONAL_MNIST["style_dim"] == recipes.MLP_MNIST["latent_dim"]
    ours, theirs = recipes.conditional_mnist(device="cpu"), recipes.mlp_mnist(device="cpu")

    def layers(net):
        return [type(m).__name__ for m in net.modules() if not list(m.children()) and type(m).__name__ != "Unflatten"]

    def linears(net):     # every Linear layer's weight shape (spectral norm or not), the projection's rows apart
        return [tuple(m.weight.shape) for name, m in net.named_modules()
                if isinstance(m, torch.nn.Linear) and name != "embed"]

    assert layers(ours.generator) == layers(theirs.generator)
    g_in, g_in_03 = linears(ours.generator)[0], linears(theirs.generator)[0]
    assert g_in == (g_in_03[0], g_in_03[1] + 10), "G's first layer takes the ten label numbers besides the style"
    assert linears(ours.generator)[1:] == linears(theirs.generator)[1:]
    assert linears(ours.discriminator) == linears(theirs.discriminator), "the same D, apart from the projection"
    assert [l for l in layers(ours.discriminator) if "ReLU" in l] == [l for l in layers(theirs.discriminator) if "ReLU" in l]
    assert ours.fresh_noise_for_g == theirs.fresh_noise_for_g
