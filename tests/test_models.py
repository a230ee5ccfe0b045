import pytest
import torch

from ganlab import models


def test_mlp_pair_shapes_for_mnist_and_2d():
    g, d = models.mlp_generator(), models.mlp_discriminator()
    z = torch.randn(5, 64)
    x = g(z)
    assert x.shape == (5, 1, 28, 28) and x.abs().max() <= 1
    assert d(x).shape == (5, 1)
    # the classic 784-256-256-1 discriminator
    sizes = [m.out_features for m in d if isinstance(m, torch.nn.Linear)]
    assert sizes == [256, 256, 1]
    g2 = models.mlp_generator(latent_dim=2, hidden=(16,), out_shape=(2,), output=None)
    assert g2(torch.randn(3, 2)).shape == (3, 2) and g2.latent_dim == 2


@pytest.mark.parametrize("size", [28, 64])
def test_dcgan_shapes(size):
    g = models.dcgan_generator(latent_dim=100, width=8, image_size=size, channels=3)
    d = models.dcgan_discriminator(width=8, image_size=size, channels=3)
    x = g(torch.randn(4, 100))
    assert x.shape == (4, 3, size, size)
    assert d(x).shape == (4, 1)


def test_width_knob_shrinks_the_model():
    small = models.count_parameters(models.dcgan_generator(width=16))
    big = models.count_parameters(models.dcgan_generator(width=64))
    assert small * 3.5 < big      # the first layer (100 x 4w x 7 x 7) scales linearly in w


def test_dcgan_init_statistics():
    torch.manual_seed(0)
    g = models.dcgan_generator(width=32)
    conv = [m for m in g if isinstance(m, torch.nn.ConvTranspose2d)][0]
    bn = [m for m in g if isinstance(m, torch.nn.BatchNorm2d)][0]
    assert abs(conv.weight.std().item() - 0.02) < 0.002
    assert abs(conv.weight.mean().item()) < 0.002
    assert abs(bn.weight.mean().item() - 1) < 0.01 and bn.bias.abs().max() == 0


def test_rebuild_from_spec_and_bad_arguments():
    g = models.mlp_generator(latent_dim=8, hidden=(32,))
    again = models.rebuild(g.ganlab_spec)
    assert [p.shape for p in again.parameters()] == [p.shape for p in g.parameters()]
    with pytest.raises(ValueError, match="leaky_relu"):
        models.mlp_generator(activation="sigmoidish")
    with pytest.raises(ValueError, match="28 or 64"):
        models.dcgan_generator(image_size=32)


def test_spectral_norm_bounds_each_layer():
    torch.manual_seed(0)
    d = models.mlp_discriminator(in_shape=(2,), hidden=(32, 32), spectral_norm=True)
    d(torch.randn(64, 2))                  # a few power iterations in training mode
    for _ in range(20):
        d(torch.randn(64, 2))
    d.eval()
    for layer in d:
        if isinstance(layer, torch.nn.Linear):
            assert torch.linalg.matrix_norm(layer.weight, ord=2).item() == pytest.approx(1.0, abs=0.05)


def test_minibatch_std_feature_by_hand():
    layer = models.MinibatchStd()
    x = torch.tensor([[0.0, 1.0], [2.0, 5.0]])
    # per-feature std over the batch (population): 1 and 2, mean 1.5
    out = layer(x)
    assert out.shape == (2, 3) and torch.allclose(out[:, 2], torch.tensor([1.5, 1.5]), atol=1e-4)
    copies = layer(torch.ones(4, 2))
    assert copies[:, 2].abs().max() < 1e-3              # identical samples: no spread
    d = models.mlp_discriminator(in_shape=(2,), hidden=(8,), minibatch_std=True)
    assert d(torch.randn(5, 2)).shape == (5, 1)
    from ganlab.training import GAN
    gan = GAN(models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(2,), output=None), d)
    assert not gan.joint_d_pass           # real and fake batches must be summarised separately


def test_layer_shapes_lists_every_layer():
    g = models.dcgan_generator(width=4)
    shapes = models.layer_shapes(g, torch.randn(2, 100))
    assert shapes[0] == ("Unflatten", (100, 1, 1)) and shapes[-1] == ("Tanh", (1, 28, 28))
    assert len(shapes) == len(g)


def test_dcgan_discriminator_with_spectral_norm():
    torch.manual_seed(0)
    d = models.dcgan_discriminator(width=4, batch_norm=False, spectral_norm=True)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())
    for _ in range(30):                                   # power iterations run in training mode
        d(torch.randn(8, 1, 28, 28))
    conv = d[0]
    # a conv's spectral norm as SN-GAN defines it: of the weight reshaped to (out, in * k * k)
    assert torch.linalg.matrix_norm(conv.weight.flatten(1), ord=2).item() == pytest.approx(1.0, abs=0.05)
    again = models.rebuild(d.ganlab_spec)
    assert again.ganlab_spec[1]["spectral_norm"] is True


@pytest.mark.parametrize("size, hidden", [(28, 2 * 8), (64, 8)])
def test_refine_adds_size_keeping_convolutions_at_the_last_hidden_size(size, hidden):
    plain = models.dcgan_generator(latent_dim=10, width=8, image_size=size)
    deeper = models.dcgan_generator(latent_dim=10, width=8, image_size=size, refine=2)
    extra = [m for m in deeper if isinstance(m, torch.nn.Conv2d)]
    assert len(extra) == 2 and all(m.kernel_size == (3, 3) and m.in_channels == m.out_channels == hidden
                                   for m in extra)
    # each: a 3x3 kernel per channel pair, no bias, and a batch norm's scale and shift
    added = models.count_parameters(deeper) - models.count_parameters(plain)
    assert added == 2 * (hidden * hidden * 9 + 2 * hidden)
    assert deeper(torch.randn(3, 10)).shape == plain(torch.randn(3, 10)).shape
    shapes = [s for name, s in models.layer_shapes(deeper, torch.randn(2, 10)) if name == "Conv2d"]
    assert all(s[1] == size // 2 for s in shapes)                  # the size is kept
    again = models.rebuild(deeper.ganlab_spec)                     # checkpoints rebuild it
    assert [p.shape for p in again.parameters()] == [p.shape for p in deeper.parameters()]
    assert "refine" not in plain.ganlab_spec[1]                     # older checkpoints' specs are unchanged
