"""The checkpoint format is its own thing: every format ever shipped loads, a learner's subclass
round-trips, a file cannot make ganlab build a huge model, and settings are kept as given."""
from pathlib import Path

import pytest
import torch

import ganlab
from ganlab import checkpoints, models, recipes
from ganlab.training import GAN, CheckpointError
from ganlab.unrolled import UnrolledGAN

FIXTURES = Path(__file__).parent / "fixtures" / "checkpoints"
# made by tests/fixtures/checkpoints/make.py with ganlab as it was at each commit
SHIPPED = {"7696bed": "ganlab-gan/1", "69c9b80": "ganlab-gan/1", "04df504": "ganlab-gan/2",
           "98f27a8": "ganlab-gan/2", "065b9c9": "ganlab-gan/2"}


@pytest.mark.parametrize("commit", sorted(SHIPPED))
def test_every_format_ever_shipped_loads_and_samples_as_it_did(commit):
    kinds = ("gan",) if commit == "7696bed" else ("gan", "unrolled")      # no unrolled GAN at the first commit
    for kind in kinds:
        path = FIXTURES / f"{kind}-{commit}.pt"
        assert path.exists(), f"missing fixture {path}: make it with tests/fixtures/checkpoints/make.py"
        assert torch.load(path, weights_only=True)["format"] == SHIPPED[commit]
        expected = torch.load(FIXTURES / f"{kind}-{commit}.expected.pt", weights_only=True)
        gan = GAN.load(path)
        assert type(gan) is (UnrolledGAN if kind == "unrolled" else GAN)
        assert gan.step == expected["step"]
        assert torch.equal(gan.sample(z=expected["z"]), expected["sample"])
        gan.fit(ganlab.data.toy("ring8", 64, seed=0), steps=1, batch_size=16, progress=False)   # and resumes


class MyGAN(GAN):
    """A learner's variant: a method changed, nothing else."""

    def generator_loss(self, fake, real_batches):
        return super().generator_loss(fake, real_batches) * 1.0


def test_a_learners_subclass_saves_and_loads(tmp_path):
    torch.manual_seed(0)
    gan = MyGAN(models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(2,), output=None),
                models.mlp_discriminator(in_shape=(2,), hidden=(8,)), seed=0)
    gan.fit(ganlab.data.toy("ring8", 64, seed=0), steps=2, batch_size=16, progress=False)
    gan.save(tmp_path / "mine.pt")
    for loader in (MyGAN, GAN):
        again = loader.load(tmp_path / "mine.pt")
        assert type(again) is MyGAN and torch.equal(again.sample(4, seed=1), gan.sample(4, seed=1))
    saved = torch.load(tmp_path / "mine.pt", weights_only=True)
    torch.save(dict(saved, kind="NobodysGAN"), tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="defines class NobodysGAN"):
        GAN.load(tmp_path / "other.pt")


def test_settings_are_a_record_apart_from_the_constructor(tmp_path):
    gan = recipes.toy_gan(hidden=(8,), ema=0.9)
    assert gan.config == checkpoints.state(gan)["config"] == vars(gan.settings)
    assert isinstance(gan.settings, GAN.Settings) and gan.ema == 0.9 and gan.settings.loss == "non-saturating"
    with pytest.raises(TypeError, match="no setting 'n_critics'.*n_critic"):
        recipes.toy_gan(hidden=(8,), n_critics=2)
    saved = checkpoints.state(gan)
    torch.save(dict(saved, config=dict(saved["config"], renamed=1)), tmp_path / "x.pt")
    with pytest.raises(CheckpointError, match="renamed"):
        GAN.load(tmp_path / "x.pt")
    torch.save(dict(saved, format="ganlab-gan/9"), tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match="newer ganlab"):
        GAN.load(tmp_path / "new.pt")
    del saved["history"]
    torch.save(saved, tmp_path / "short.pt")
    with pytest.raises(CheckpointError, match="lacks history"):
        GAN.load(tmp_path / "short.pt")


def test_a_spec_for_a_huge_model_is_refused_before_it_is_built(tmp_path):
    gan = recipes.toy_gan(hidden=(8,))
    saved = checkpoints.state(gan)
    name, kwargs = saved["generator_spec"]
    saved["generator_spec"] = [name, dict(kwargs, hidden=[100_000, 100_000])]
    torch.save(saved, tmp_path / "huge.pt")
    assert (tmp_path / "huge.pt").stat().st_size < 100_000
    with pytest.raises(CheckpointError, match="10,00.* parameters .*was not built"):
        GAN.load(tmp_path / "huge.pt")


def test_autocast_auto_is_saved_unresolved(tmp_path, monkeypatch):
    monkeypatch.setattr(ganlab.runtime, "fast_bfloat16", lambda device: True)
    gan = recipes.dcgan_tuned(width=4, d_width=4)
    assert gan.autocast == "bfloat16" and gan.settings.autocast == "auto"
    gan.save(tmp_path / "dc.pt")
    monkeypatch.setattr(ganlab.runtime, "fast_bfloat16", lambda device: False)     # another machine
    again = GAN.load(tmp_path / "dc.pt")
    assert again.settings.autocast == "auto" and again.autocast is None


def test_a_compact_copy_keeps_image_snapshots_as_8_bit_levels_and_points_in_half(tmp_path):
    images = torch.rand(3, 1, 28, 28) * 2 - 1
    points = torch.randn(5, 2) * 3                                      # 2D samples: not images, not in [-1, 1]
    small = checkpoints.compact_extras({"snapshots": [images], "points": [points], "fixed_z": torch.randn(4, 8)})
    assert small["snapshots"][0].dtype == torch.uint8 and small["points"][0].dtype == torch.half
    back = checkpoints._full_extras(dict(extras=small, images_8bit=True))
    assert (back["snapshots"][0] - images).abs().max() <= 0.5 / 127.5 + 1e-6
    assert torch.allclose(back["points"][0], points, atol=1e-2) and back["fixed_z"].dtype == torch.float32
    old = checkpoints._full_extras(dict(extras={"snapshots": [images.half()]}))   # copies made before 8-bit images
    assert torch.allclose(old["snapshots"][0], images, atol=1e-3)


def test_only_the_snapshots_become_8_bit_and_other_extras_come_back_as_they_were():
    kernel = torch.randn(8, 1, 3, 3) * 0.01                     # 4-D, inside [-1, 1], but not an image
    grid = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8)  # a user's own 8-bit images
    saved = dict(extras=checkpoints.compact_extras({"kernel": [kernel], "grid": [grid]}),
                 images_8bit=list(checkpoints.IMAGE_KEYS))
    back = checkpoints._full_extras(saved)
    assert torch.equal(back["grid"][0], grid)
    assert torch.allclose(back["kernel"][0], kernel, rtol=1e-3, atol=1e-6)
