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


# ---------------------------------------------------------------- the review's "silent" and "raw" rows

def toy(**kw):
    return recipes.toy_gan(hidden=(8,), batch_size=16, **kw)


def digits(n=64):
    return ganlab.data.mnist("held_out", limit=n, device="cpu")[0]


def test_images_in_0_1_or_0_255_get_a_warning_saying_to_rescale():
    gan = recipes.mlp_mnist(g_hidden=(8,), d_hidden=(8,), batch_size=16, device="cpu")
    images = digits()
    for scaled, hint in (((images + 1) / 2, r"images \* 2 - 1"), ((images + 1) * 127.5, "127.5 - 1")):
        with pytest.warns(UserWarning, match=hint):
            gan.fit(scaled, steps=1, progress=False)
        with pytest.warns(UserWarning, match=hint):
            ganlab.classifier.digit_scores(scaled)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gan.fit(images, steps=1, progress=False)                     # [-1, 1]: no word
        ganlab.classifier.digit_scores(torch.rand(64, 1, 28, 28))     # noise scored on purpose: no word
    with pytest.raises(TypeError, match="127.5"):
        ganlab.conditional.pairs((images * 127.5 + 127.5).to(torch.uint8), torch.zeros(64, dtype=torch.long))


def test_a_sigmoid_inside_ds_forward_is_spotted():
    class SquashedD(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))

        def forward(self, x):
            return torch.sigmoid(self.net(x))

    g = models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(2,), output=None)
    for seed in range(5):
        torch.manual_seed(seed)
        with pytest.warns(UserWarning, match="sigmoid inside D's forward"):
            GAN(g, SquashedD()).fit(ganlab.data.toy("ring8", 100), steps=1, batch_size=16, progress=False)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        toy().fit(ganlab.data.toy("ring8", 100), steps=1, progress=False)


def test_numpy_float64_data_and_noise_are_accepted():
    import numpy as np

    gan = toy()
    gan.fit(ganlab.data.toy("ring8", 100).numpy().astype(np.float64), steps=2, progress=False)
    z = np.random.default_rng(0).normal(size=(4, 2))
    assert torch.equal(gan.sample(z=z), gan.sample(z=torch.tensor(z, dtype=torch.float32)))
    data = ganlab.data.toy("ring8", 100).requires_grad_()
    gan.fit(data * 1.0, steps=1, progress=False)                      # data that carries a graph: its numbers


def test_a_learning_rate_far_too_high_is_warned():
    with pytest.warns(UserWarning, match="lr=10 is far above"):
        toy(lr=10)


def test_settings_and_budgets_of_the_wrong_kind_are_explained():
    data = ganlab.data.toy("ring8", 100)
    with pytest.raises(ValueError, match=r"betas=\(0.5, 0.999\)"):
        toy(betas=0.5)
    for seconds in (float("inf"), "60", -1):
        with pytest.raises(ValueError, match="time budget"):
            toy().fit(data, seconds=seconds, progress=False)
    with pytest.raises(ValueError, match="whole number"):
        toy().sample(n=-1)
    bn = recipes.pacgan_toy(seed=0)                    # a generator with batch norm
    with pytest.raises(ValueError, match="batch norm needs at least 2"):
        bn.fit(data, steps=1, batch_size=1, progress=False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        toy(device="cuda") if not torch.cuda.is_available() else pytest.skip("this machine has a GPU")


def test_nan_in_the_data_is_named_before_training():
    data = ganlab.data.toy("ring8", 100)
    data[17, 1] = float("nan")
    gan = toy()
    with pytest.raises(ValueError, match="1 NaN.*torch.isfinite"):
        gan.fit(data, steps=1, progress=False)
    assert gan.step == 0


def test_a_dataset_of_dicts_is_explained():
    class Dicts(torch.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"image": torch.zeros(2), "label": 0}

    with pytest.raises(TypeError, match=r"items are dicts.*item\['image'\]"):
        toy().fit(Dicts(), steps=1, progress=False)


def test_an_unknown_quick_flag_is_refused(monkeypatch):
    monkeypatch.delenv("GANLAB_MODE", raising=False)
    monkeypatch.setenv("GANLAB_QUICK", "nope")
    with pytest.raises(ValueError, match="GANLAB_QUICK='nope'.*set it to 1"):
        ganlab.quick()


def test_a_compact_copy_says_it_trains_on_with_fresh_optimizer_state(tmp_path):
    gan = toy()
    gan.fit(ganlab.data.toy("ring8", 100), steps=2, progress=False)
    gan.save(tmp_path / "small.pt", compact=True)
    shared = GAN.load(tmp_path / "small.pt")
    with pytest.warns(UserWarning, match="compact copy.*fresh Adam"):
        shared.fit(ganlab.data.toy("ring8", 100), steps=1, progress=False)


def test_labels_and_scores_of_the_wrong_shape_are_explained():
    from ganlab import conditional, metrics

    with pytest.raises(TypeError, match="labels=7"):
        conditional.one_hot("7")
    with pytest.raises(ValueError, match=r"one-hot.*argmax\(1\)"):
        conditional.pairs(torch.zeros(3, 1, 28, 28), torch.eye(10)[:3])
    with pytest.raises(ValueError, match="at least 2 images"):
        ganlab.classifier.digit_scores(digits(1))
    with pytest.raises(ValueError, match="one shape"):
        metrics.mmd(torch.zeros(4, 2), torch.zeros(4, 3, 1))


def test_train_or_load_given_a_gan_instead_of_a_builder(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    with pytest.raises(TypeError, match="a function that makes a GAN"):
        recipes.train_or_load("x", toy(), ganlab.data.toy("ring8", 100), steps=1)


def test_show_images_takes_flat_square_images_and_names_other_shapes():
    import matplotlib
    matplotlib.use("Agg")
    from ganlab import plots

    flat = torch.linspace(-1, 1, 4 * 784).reshape(4, 784)          # an MLP generator's rows
    grid = plots.image_grid(flat, nrow=4, pad=0)
    assert grid.shape == (28, 4 * 28)
    assert grid[0, 28] == pytest.approx((flat[1, 0].item() + 1) / 2)  # image 1's first pixel starts column 28
    plots.show_images(flat)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*got \(4, 785\)"):
        plots.show_images(torch.zeros(4, 785))


def test_a_number_given_as_text_to_an_exercise_check_is_named(capsys):
    from ganlab import exercises

    assert exercises.check("01.2", "0.2") is False
    assert "the text '0.2', and this exercise expects a number: write 0.2 without the quotes" in capsys.readouterr().out


def test_warnings_point_at_the_learners_own_line():
    g = models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(1, 4, 4))
    d = models.mlp_discriminator(in_shape=(1, 4, 4), hidden=(8,))
    with pytest.warns(UserWarning, match="far above") as caught:
        gan = GAN(g, d, lr=10)                      # through GAN, Settings.from_keywords and dataclass code
    assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match=r"like images in \[0, 1\]") as caught:
        gan.fit(torch.rand(16, 1, 4, 4), steps=1, progress=False)
    assert caught[0].filename == __file__


def test_a_checkpoint_that_cannot_be_written_says_so_and_where_to_save_instead(tmp_path):
    gan = GAN(models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(2,)), models.mlp_discriminator((2,), (8,)))
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(OSError, match=r"could not be written to .*a_file.*model in memory is unchanged.*gan.save"):
        gan.save(tmp_path / "a_file" / "run.pt")
    gan.save(tmp_path / "run.pt")                  # the model is still there to save elsewhere
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "run.pt"]      # no temporary file left
