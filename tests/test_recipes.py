import pytest
import torch

import ganlab
from ganlab import recipes, style


def test_recipes_build_what_they_say():
    mlp = recipes.mlp_mnist()
    assert mlp.batch_size == 128 and mlp.ema == 0.999 and mlp.latent_dim == 64
    assert mlp.g_optimizer.param_groups[0]["betas"] == (0.5, 0.999)
    linear_widths = lambda net: [m.out_features for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert linear_widths(mlp.generator) == [256, 256, 256, 784]          # G: three hidden layers
    assert linear_widths(mlp.discriminator) == [256, 256, 1]             # D: two
    published = recipes.mlp_mnist(g_hidden=(256, 256))
    assert linear_widths(published.generator) == [256, 256, 784]
    dc = recipes.dcgan_mnist(width=8)
    assert dc.sample(2).shape == (2, 1, 28, 28) and dc.latent_dim == 100
    assert dc.batch_size == 64 and dc.ema is None and dc.autocast is None
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in dc.discriminator.modules())   # the paper's D
    gp = recipes.wgan_mnist("wgan-gp", width=8)
    assert gp.loss.penalty_weight == 10 and gp.n_critic == 5
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in gp.discriminator.modules())
    clip = recipes.wgan_mnist("wasserstein", width=8)
    assert clip.loss.clip_value == 0.01 and isinstance(clip.d_optimizer, torch.optim.RMSprop)
    with pytest.raises(ValueError, match="unknown setting"):
        recipes.mlp_mnist(hiden=(10,))
    with pytest.raises(ValueError, match="loss must be"):
        recipes.wgan_mnist("hinge")
    toy = recipes.toy_gan("wgan-gp", batch_size=64)
    assert toy.batch_size == 64 and toy.n_critic == 5


def test_the_tuned_dcgan_is_the_paper_recipe_plus_its_measured_changes(monkeypatch):
    assert {k for k in recipes.DCGAN_TUNED if recipes.DCGAN_TUNED[k] != recipes.DCGAN_PAPER[k]} == {
        "d_width", "d_batch_norm", "spectral_norm", "lr", "batch_size", "ema", "augment", "refine", "autocast"}
    dc = recipes.dcgan_tuned(device="cpu")
    convs = lambda net, kind: [m.out_channels for m in net.modules() if isinstance(m, kind)]
    assert convs(dc.discriminator, torch.nn.Conv2d) == [32, 64, 1]               # twice the paper's width
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in dc.discriminator.modules())
    assert convs(dc.generator, torch.nn.Conv2d) == [32]                          # the one extra 3x3 layer
    layers = list(dc.generator.modules()) + list(dc.discriminator.modules())
    assert not any(isinstance(m, torch.nn.Linear) for m in layers)             # no dense layer anywhere
    assert (dc.batch_size, dc.ema, dc.augment) == (128, 0.999, 2) and dc.channels_last
    assert dc.g_optimizer.param_groups[0]["lr"] == dc.d_optimizer.param_groups[0]["lr"] == 1e-3
    # "auto": bfloat16 only where the machine has it natively
    for native in (True, False):
        monkeypatch.setattr(ganlab.runtime, "fast_bfloat16", lambda device, native=native: native)
        assert recipes.dcgan_tuned(width=4, d_width=4, device="cpu").autocast == ("bfloat16" if native else None)
    assert recipes.dcgan_tuned(width=4, autocast=None, device="cpu").autocast is None
    with pytest.raises(ValueError, match="unknown setting"):
        recipes.dcgan_tuned(dwidth=8)


def test_train_or_load_trains_once_then_loads(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    data = ganlab.data.toy("ring8", 500, seed=0)
    built = []

    def build(device=None):
        built.append(1)
        return recipes.toy_gan(seed=0, device=device, batch_size=32)

    gan = recipes.train_or_load("toy", build, data, steps=200, n_fixed=8)
    # the snapshot rule at 32 images a step: 1,000 images at step 32, 2,000 at 63, 5,000 at 157, then the end
    assert gan.extras["snapshot_steps"] == [0, 32, 63, 157, 200] and gan.extras["snapshots"][0].shape == (8, 2)
    again = recipes.train_or_load("toy", build, data, steps=200)
    assert len(built) == 1 and again.step == 200 and "loaded" in capsys.readouterr().out
    assert torch.equal(again.sample(z=again.extras["fixed_z"]), gan.sample(z=gan.extras["fixed_z"]))


def test_an_interrupted_train_or_load_keeps_the_model_under_another_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    data = ganlab.data.toy("ring8", 500, seed=0)

    def build(device=None):
        gan = recipes.toy_gan(seed=0, device=device, batch_size=32)
        real_step = gan.train_step

        def step_then_stop(*args, **kwargs):
            record = real_step(*args, **kwargs)
            if gan.step == 7:
                raise KeyboardInterrupt
            return record
        gan.train_step = step_then_stop
        return gan

    gan = recipes.train_or_load("toy", build, data, steps=50)
    assert gan.step == 7 and gan.interrupted
    assert "not saved as" in capsys.readouterr().out
    kept = sorted(p.name for p in tmp_path.glob("toy*.pt"))
    assert len(kept) == 1 and kept[0].endswith("-interrupted.pt")
    again = recipes.train_or_load("toy", lambda device=None: recipes.toy_gan(seed=0, device=device, batch_size=32),
                                  data, steps=50)
    assert again.step == 50 and (tmp_path / kept[0].replace("-interrupted", "")).exists()   # trained in full


def test_snapshots_follow_images_seen_under_a_time_budget(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    gan = recipes.train_or_load("timed", lambda device=None: recipes.toy_gan(device=device, batch_size=32),
                                ganlab.data.toy("ring8", 500, seed=0), seconds=0.6, n_fixed=4)
    steps = gan.extras["snapshot_steps"]
    assert steps[0] == 0 and steps[-1] == gan.step > 0 and steps == sorted(set(steps))
    moments = style.snapshot_images(gan.step * 32)
    assert len(steps) == len(moments)                    # one snapshot per moment of the rule, whatever the budget
    assert all(s * 32 >= m > (s - 1) * 32 for s, m in zip(steps[1:-1], moments[1:-1]))   # at the first step past it


def test_taking_snapshots_does_not_change_training(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    data = ganlab.data.mnist(device="cpu")[0][:512]
    build = lambda device=None: recipes.mlp_mnist(device=device, batch_size=16)     # noqa: E731  (batch norm in G)
    kept = recipes.train_or_load("with", build, data, steps=70, n_fixed=8)
    plain = build()
    plain.fit(data, steps=70, progress=False)
    assert kept.extras["snapshot_steps"] == [0, 63, 70]                  # 1,008 images at step 63
    for a, b in zip(kept.generator.state_dict().values(), plain.generator.state_dict().values()):
        assert torch.equal(a, b)
    for a, b in zip(kept.discriminator.state_dict().values(), plain.discriminator.state_dict().values()):
        assert torch.equal(a, b)


def test_reference_export_keeps_a_small_copy_that_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path / "ckpt"))
    monkeypatch.setenv("GANLAB_REFERENCE_EXPORT", str(tmp_path / "reference"))
    monkeypatch.setenv("GANLAB_QUICK", "0")
    gan = recipes.train_or_load("toy", lambda device=None: recipes.toy_gan(device=device, batch_size=32, ema=0.9),
                                ganlab.data.toy("ring8", 500, seed=0), steps=30)
    copy, = (tmp_path / "reference").glob("toy-*.pt")
    small = ganlab.GAN.load(copy)
    z = gan.noise(16, seed=1)
    assert torch.equal(small.sample(z=z), gan.sample(z=z))       # the generators are kept exact
    assert small.step == 30 and len(small.extras["snapshots"]) == len(gan.extras["snapshots"])
    assert small.provenance["steps"] == 30 and small.provenance["torch"] == torch.__version__
    assert gan.provenance is None                                 # only shipped copies carry one
    assert copy.stat().st_size < 0.6 * ganlab.runtime.checkpoint_path(copy.stem).stat().st_size
    kept = ganlab.runtime.cached("numbers", lambda: {"a": 1}, settings={"x": 1})
    assert kept == {"a": 1} and len(list((tmp_path / "reference").glob("numbers-*.pt"))) == 1


def exporting_full_run(tmp_path, monkeypatch):
    """Full mode, exporting reference files to tmp_path/reference (as the full-mode command does);
    returns toy data and a builder of a small toy GAN."""
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path / "ckpt"))
    monkeypatch.setattr(ganlab.store, "REFERENCE", tmp_path / "reference")
    monkeypatch.delenv("GANLAB_QUICK", raising=False)
    data = ganlab.data.toy("ring8", 500, seed=0)
    build = lambda device=None: recipes.toy_gan(device=device, batch_size=32)       # noqa: E731
    monkeypatch.setenv("GANLAB_MODE", "full")
    monkeypatch.setenv("GANLAB_REFERENCE_EXPORT", str(tmp_path / "reference"))
    return data, build


def test_reference_mode_shows_the_shipped_model_and_never_trains(tmp_path, monkeypatch, capsys):
    data, build = exporting_full_run(tmp_path, monkeypatch)
    trained = recipes.train_or_load("toy", build, data, steps=20)
    ganlab.runtime.cached("numbers", lambda: {"made": "in full mode"}, settings={"k": 1})
    monkeypatch.setenv("GANLAB_MODE", "reference")
    monkeypatch.delenv("GANLAB_REFERENCE_EXPORT")
    (tmp_path / "ckpt").rename(tmp_path / "elsewhere")               # nothing of the reader's own
    capsys.readouterr()
    shown = recipes.train_or_load("toy", lambda device=None: pytest.fail("reference mode must not train"), data,
                                  steps=20)
    assert "reference model shipped with ganlab" in capsys.readouterr().out
    assert shown.step == 20 and torch.equal(shown.sample(4, seed=1), trained.sample(4, seed=1))
    kept = ganlab.runtime.cached("numbers", lambda: pytest.fail("must not compute"), settings={"k": 1})
    assert kept == {"made": "in full mode"} and "reference result" in capsys.readouterr().out
    missing = ganlab.runtime.cached("other", lambda: 42, settings={"k": 1})
    assert missing == 42 and "computing it here" in capsys.readouterr().out


def test_the_environment_overrides_the_notebooks_mode(monkeypatch, capsys):
    monkeypatch.delenv("GANLAB_MODE", raising=False)
    monkeypatch.setenv("GANLAB_QUICK", "1")
    assert ganlab.set_mode("reference") == "quick" and "quick mode" in capsys.readouterr().out
    monkeypatch.delenv("GANLAB_QUICK")
    assert ganlab.set_mode("full") == "full" and not ganlab.quick() and ganlab.budget(full=3, quick=1) == 3
    monkeypatch.setenv("GANLAB_MODE", "reference")
    assert ganlab.mode() == "reference" and ganlab.budget(full=3, quick=1) == 3
    with pytest.raises(ValueError, match="reference"):
        ganlab.set_mode("fast")
    ganlab.runtime._CHOSEN[0] = None


def test_reference_mode_finds_the_shipped_results_from_another_place(tmp_path, monkeypatch, capsys):
    """Made on a CPU with 8,000 digits, shown on a GPU or with Colab's 60,000: the place does not
    pick the reference result; the recipe does. Kept results of the reader's own stay per place."""
    data, build = exporting_full_run(tmp_path, monkeypatch)
    here = dict(recipe="toy", device="cpu", digits=8000)
    recipes.train_or_load("toy", build, data, steps=20, settings=here)
    ganlab.runtime.cached("numbers", lambda: 1, settings=here)
    monkeypatch.delenv("GANLAB_REFERENCE_EXPORT")
    assert ganlab.runtime.cached("numbers", lambda: 2, settings=dict(here, device="cuda")) == 2   # per place
    monkeypatch.setenv("GANLAB_MODE", "reference")
    there = dict(recipe="toy", device="cuda", digits=60000)
    capsys.readouterr()
    shown = recipes.train_or_load("toy", lambda device=None: pytest.fail("must not train"), data, steps=20,
                                  settings=there)
    assert shown.step == 20 and "on a " in capsys.readouterr().out         # says where it was trained
    assert ganlab.runtime.cached("numbers", lambda: pytest.fail("must not compute"), settings=there) == 1
    assert "device cpu, digits 8000" in capsys.readouterr().out
    other_recipe = ganlab.runtime.cached("numbers", lambda: 3, settings=dict(there, recipe="another"))
    assert other_recipe == 3 and "computing it here" in capsys.readouterr().out


def test_a_recipe_never_moves_the_notebooks_random_stream():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    a = recipes.toy_gan(seed=7, hidden=(8,))
    assert torch.equal(torch.rand(3), expected)                       # the caller's stream, untouched
    b = recipes.toy_gan("non-saturating", 7, hidden=(8,))             # the seed given by position too
    assert all(torch.equal(p, q) for p, q in zip(a.generator.parameters(), b.generator.parameters()))
    with ganlab.runtime.seeded(3):
        inside = torch.rand(2)
    torch.manual_seed(3)
    assert torch.equal(inside, torch.rand(2))


def test_notebook_04_on_a_gpu_in_reference_mode_finds_the_shipped_width_16_files(monkeypatch, capsys):
    """A CUDA reader in reference mode gets width 16, the shipped files' width, and a line saying so;
    with the width a GPU trains at (64) no shipped race, per-image run or final model would be found."""
    from ganlab import race

    cuda = torch.device("cuda")             # only its type is read: no GPU needed
    monkeypatch.delenv("GANLAB_QUICK", raising=False)
    monkeypatch.setenv("GANLAB_MODE", "full")
    assert recipes.dcgan_width(cuda) == 64 and recipes.dcgan_width("cpu") == 16
    monkeypatch.setenv("GANLAB_MODE", "reference")
    capsys.readouterr()
    width = recipes.dcgan_width(cuda)
    assert width == 16 and "made at width 16 on a CPU" in capsys.readouterr().out
    assert recipes.dcgan_width("cpu") == 16 and capsys.readouterr().out == ""

    def race_settings(w):                   # as race.dcgan_against_mlp keys the race
        return dict(seconds=150, seeds=3, points=6, n=1000, width=w, dcgan=recipes.DCGAN_TUNED,
                    mlp=recipes.MLP_MNIST, device="cuda", digits=8000)

    shipped, _, _ = ganlab.store.locate("04_race", race_settings(width))
    assert shipped is not None and ganlab.store.locate("04_race", race_settings(64))[0] is None
    result = torch.load(shipped, weights_only=True)["value"]
    per_image = dict(images=race.image_counts(result, race.MLP), seed=0, n=1000, width=width,
                     dcgan=recipes.DCGAN_TUNED, device="cuda", digits=8000)
    assert ganlab.store.locate("04_per_image", per_image)[0] is not None
    final = dict(recipe="dcgan_tuned", settings=recipes.DCGAN_TUNED, width=width, digits=8000, steps=None, seconds=600)
    assert ganlab.store.locate("04_dcgan", final)[0] is not None
