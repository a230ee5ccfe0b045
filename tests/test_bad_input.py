"""Bad input at the trainer's door gets a sentence that says what to do, and nothing trained is lost."""
import pytest
import torch
from torch import nn

import ganlab
from ganlab import models, recipes
from ganlab.training import GAN, CheckpointError


def tutorial_generator(nz=8):
    """The PyTorch DCGAN tutorial's generator shape: z comes in as (B, nz, 1, 1)."""
    return nn.Sequential(nn.ConvTranspose2d(nz, 4, 7, 1, 0), nn.ReLU(), nn.ConvTranspose2d(4, 1, 4, 2, 1), nn.Tanh())


def test_a_discriminator_ending_in_sigmoid_is_refused():
    g = models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(2,), output=None)
    d = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1), nn.Sigmoid())
    with pytest.raises(ValueError, match=r"ends in nn.Sigmoid.*remove the last"):
        GAN(g, d)
    tutorial_d = nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1), nn.Conv2d(4, 1, 14, 1, 0), nn.Sigmoid(), nn.Flatten())
    with pytest.raises(ValueError, match="Sigmoid"):
        GAN(tutorial_generator(), tutorial_d, latent_dim=8)
    GAN(g, d[:-1])                                     # without it, fine


def test_a_generator_taking_four_dimensional_z_gets_the_fix():
    d = models.mlp_discriminator(in_shape=(1, 14, 14), hidden=(8,))
    gan = GAN(tutorial_generator(), d, latent_dim=8)
    with pytest.raises(ValueError, match=r"\(batch, 8, 1, 1\).*nn.Unflatten\(1, \(8, 1, 1\)\)"):
        gan.fit(torch.rand(16, 1, 14, 14) * 2 - 1, steps=1, progress=False)
    fixed = GAN(nn.Sequential(nn.Unflatten(1, (8, 1, 1)), tutorial_generator()), d, latent_dim=8)
    fixed.fit(torch.rand(16, 1, 14, 14) * 2 - 1, steps=2, batch_size=8, progress=False)
    assert fixed.step == 2


def test_a_generator_that_fails_otherwise_says_on_what():
    g = nn.Sequential(nn.Linear(5, 2))                # expects 5 numbers, gets latent_dim=3
    gan = GAN(g, models.mlp_discriminator(in_shape=(2,), hidden=(8,)), latent_dim=3)
    with pytest.raises(ValueError, match=r"generator failed on noise of shape .*\(2, 3\)"):
        gan.fit(torch.randn(32, 2), steps=1, progress=False)


def gan_for_images():
    torch.manual_seed(0)
    return GAN(models.mlp_generator(latent_dim=4, hidden=(8,), out_shape=(1, 6, 6)),
               models.mlp_discriminator(in_shape=(1, 6, 6), hidden=(8,)), batch_size=8)


def test_uint8_empty_and_flat_data_are_explained():
    gan = gan_for_images()
    with pytest.raises(TypeError, match=r"uint8.*float\(\) / 127.5 - 1"):
        gan.fit(torch.randint(0, 256, (20, 1, 6, 6), dtype=torch.uint8), steps=1, progress=False)
    with pytest.raises(ValueError, match="empty"):
        gan.fit(torch.empty(0, 1, 6, 6), steps=1, progress=False)
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        GAN(models.mlp_generator(latent_dim=2, hidden=(4,), out_shape=(1,), output=None),
            models.mlp_discriminator(in_shape=(1,), hidden=(4,))).fit(torch.randn(50), steps=1, progress=False)
    with pytest.raises(TypeError, match="Dataset, a DataLoader"):
        gan.fit([[0.0] * 36] * 4, steps=1, progress=False)
    assert gan.step == 0


def test_datasets_and_dataloaders_are_read_once(capsys):
    images = torch.rand(24, 1, 6, 6) * 2 - 1
    labels = torch.arange(24)

    class Pairs(torch.utils.data.Dataset):        # the usual shape: (image, label) per item
        def __len__(self):
            return 24

        def __getitem__(self, i):
            return images[i], int(labels[i])

    for source in (Pairs(), torch.utils.data.DataLoader(Pairs(), batch_size=5, shuffle=True),
                   torch.utils.data.TensorDataset(images, labels)):
        got = ganlab.data.training_tensor(source, device="cpu")
        assert got.shape == images.shape
        assert sorted(got.flatten(1).sum(1).tolist()) == pytest.approx(sorted(images.flatten(1).sum(1).tolist()))
    assert "read 24 samples" in capsys.readouterr().out
    gan = gan_for_images()
    gan.fit(torch.utils.data.DataLoader(Pairs(), batch_size=5), steps=2, progress=False)
    assert gan.step == 2


def test_a_corrupt_checkpoint_never_advises_weights_only_false(tmp_path):
    path = tmp_path / "bad.pt"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError) as err:
        GAN.load(path)
    message = str(err.value)
    assert "corrupt" in message and "train again" in message
    assert "weights_only=False" not in message.replace("Do not load it with weights_only=False", "")

    class Evil:                                       # a pickle that would run code if allowed
        def __reduce__(self):
            return (print, ("this ran",))

    torch.save({"format": "ganlab-gan/2", "payload": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="plain tensors and numbers"):
        GAN.load(tmp_path / "evil.pt")


def test_unknown_names_list_the_choices():
    with pytest.raises(ValueError, match="known losses: minimax"):
        ganlab.losses.get("wgan")
    with pytest.raises(ValueError, match="adam, rmsprop or sgd"):
        recipes.toy_gan(optimizer="adagrad")
    with pytest.raises(ValueError, match="unknown setting"):
        recipes.mlp_mnist(betas1=0.5)


def test_fused_adam_only_where_torch_has_it(monkeypatch):
    from ganlab import training

    monkeypatch.setattr(torch, "__version__", "2.3.1+cpu")
    opt = training._optimizer("adam", [nn.Parameter(torch.zeros(2))], 1e-3, (0.5, 0.999), torch.device("cpu"))
    assert not opt.defaults.get("fused")
    monkeypatch.setattr(torch, "__version__", "2.4.0")
    opt = training._optimizer("adam", [nn.Parameter(torch.zeros(2))], 1e-3, (0.5, 0.999), torch.device("cpu"))
    assert opt.defaults.get("fused")
