import math
import copy
import types

import pytest
import torch
from torch import nn

import ganlab
from ganlab import metrics, models
from ganlab.training import GAN, CheckpointError, TrainingDiverged
from ganlab.unrolled import UnrolledGAN


def tiny_gan(loss="non-saturating", dropout=0.0, seed=0, **kw):
    torch.manual_seed(seed)
    g = models.mlp_generator(latent_dim=2, hidden=(16,), out_shape=(2,), output=None)
    d = models.mlp_discriminator(in_shape=(2,), hidden=(16,), dropout=dropout)
    return GAN(g, d, loss=loss, seed=seed, lr=1e-3, **kw)


def weights(module):
    return torch.cat([p.detach().flatten().clone() for p in module.parameters()])


def test_fit_records_a_history_per_step():
    gan = tiny_gan()
    hist = gan.fit(ganlab.data.toy("ring8", 500, seed=0), steps=12, batch_size=32, progress=False)
    assert set(hist) == set(ganlab.training.HISTORY_KEYS)
    assert hist["step"] == list(range(1, 13)) and gan.step == 12
    assert all(0 < p < 1 for p in hist["d_real"] + hist["d_fake"])   # probabilities for this loss
    assert hist["time"] == sorted(hist["time"]) and hist["time"][0] > 0
    gan.fit(ganlab.data.toy("ring8", 500, seed=0), epochs=2, batch_size=100, progress=False)
    assert gan.step == 12 + 10


def test_n_critic_and_weight_clipping():
    gan = tiny_gan("wasserstein", n_critic=3, optimizer="rmsprop")
    gan.fit(ganlab.data.toy("ring8", 500), steps=4, batch_size=16, progress=False)
    assert all(p.abs().max() <= 0.01 for p in gan.discriminator.parameters())
    # RMSprop counts its updates per parameter: 3 critic updates per generator update
    state = next(iter(gan.d_optimizer.state.values()))
    assert int(state["step"]) == 12
    assert int(next(iter(gan.g_optimizer.state.values()))["step"]) == 4


def test_save_load_resumes_bit_for_bit(tmp_path):
    data = ganlab.data.toy("grid25", 1000, seed=0)
    gan = tiny_gan("wgan-gp", dropout=0.3, n_critic=2)    # dropout uses torch's global RNG
    gan.fit(data, steps=10, batch_size=32, progress=False)
    path = gan.save(tmp_path / "run.pt")
    gan.fit(data, steps=10, batch_size=32, progress=False)
    expected_g, expected_d = weights(gan.generator), weights(gan.discriminator)

    torch.manual_seed(12345)                              # whatever happened in between
    again = GAN.load(path)
    assert again.step == 10 and len(again.history["step"]) == 10
    again.fit(data, steps=10, batch_size=32, progress=False)
    assert torch.equal(weights(again.generator), expected_g)
    assert torch.equal(weights(again.discriminator), expected_d)
    assert again.history["d_loss"] == gan.history["d_loss"]


def resumable_gan(**kw):
    return tiny_gan("wgan-gp", dropout=0.3, n_critic=2, ema=0.9, augment=0, **kw)


def test_fit_split_into_calls_equals_one_call(tmp_path):
    """fit(10) + fit(10), and save / load between them, give fit(20)'s weights bit for bit."""
    data = ganlab.data.toy("grid25", 1000, seed=0)
    whole = resumable_gan()
    whole.fit(data, steps=20, batch_size=32, progress=False)
    split = resumable_gan()
    for steps in (10, 3, 7):
        split.fit(data, steps=steps, batch_size=32, progress=False)
    loaded = resumable_gan()
    loaded.fit(data, steps=10, batch_size=32, progress=False)
    loaded.save(tmp_path / "half.pt")
    torch.manual_seed(999)                                # whatever happened in between
    loaded = GAN.load(tmp_path / "half.pt")
    loaded.fit(data, steps=10, batch_size=32, progress=False)
    for other in (split, loaded):
        assert other.step == 20
        assert torch.equal(weights(other.generator), weights(whole.generator))
        assert torch.equal(weights(other.discriminator), weights(whole.discriminator))
        assert torch.equal(weights(other.ema_generator), weights(whole.ema_generator))


def test_a_stop_press_mid_step_finishes_the_step_then_resumes_exactly(capsys):
    """Ctrl-C (SIGINT) while D's update runs: the step finishes and is counted; continuing
    gives the uninterrupted run's weights."""
    import signal

    data = ganlab.data.toy("grid25", 1000, seed=0)
    whole = resumable_gan()
    whole.fit(data, steps=30, batch_size=32, progress=False)
    gan = resumable_gan()
    real_d_update, d_updates = gan.d_update, []

    def d_update_then_press(*args):
        out = real_d_update(*args)
        d_updates.append(1)
        if len(d_updates) == 21:                        # the first of step 11's two critic updates
            signal.raise_signal(signal.SIGINT)
        return out

    gan.d_update = d_update_then_press
    gan.fit(data, steps=30, batch_size=32, progress=False)
    assert gan.interrupted and gan.step == 11 and len(d_updates) == 22
    assert "interrupted at step 11" in capsys.readouterr().out
    gan.fit(data, steps=19, batch_size=32, progress=False)
    assert torch.equal(weights(gan.generator), weights(whole.generator))
    assert torch.equal(weights(gan.discriminator), weights(whole.discriminator))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler      # fit put Ctrl-C back


def test_checkpoint_is_plain_data(tmp_path):
    path = tiny_gan().save(tmp_path / "a.pt")
    state = torch.load(path, weights_only=True)          # no pickled code inside
    assert state["format"].startswith("ganlab-gan")


def test_extras_travel_with_the_checkpoint(tmp_path):
    gan = tiny_gan()
    gan.extras["snapshots"] = torch.arange(6.0).reshape(2, 3)
    gan.extras["steps"] = [10, 20]
    again = GAN.load(gan.save(tmp_path / "x.pt"))
    assert torch.equal(again.extras["snapshots"], gan.extras["snapshots"]) and again.extras["steps"] == [10, 20]


def test_corrupt_and_foreign_checkpoints(tmp_path):
    path = tiny_gan().save(tmp_path / "a.pt")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        GAN.load(path)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "b.pt")
    with pytest.raises(CheckpointError, match="not a ganlab GAN checkpoint"):
        GAN.load(tmp_path / "b.pt")
    with pytest.raises(FileNotFoundError):
        GAN.load(tmp_path / "missing.pt")


class MyGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(3, 2)

    def forward(self, z):
        return self.net(z)


def test_any_module_pair_trains_and_reloads(tmp_path):
    d = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    gan = GAN(MyGenerator(), d, loss="hinge", latent_dim=3)
    gan.fit(ganlab.data.toy("gaussian", 256), steps=3, batch_size=16, progress=False)
    path = gan.save(tmp_path / "mine.pt")
    with pytest.raises(ValueError, match="generator="):
        GAN.load(path)
    again = GAN.load(path, generator=MyGenerator(), discriminator=nn.Sequential(
        nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)))
    assert torch.equal(weights(again.generator), weights(gan.generator))
    with pytest.raises(ValueError, match="latent_dim"):
        GAN(MyGenerator(), d)


def test_shape_mismatch_is_explained():
    gan = tiny_gan()
    with pytest.raises(ValueError, match=r"generator makes samples of shape \(2,\).*\(3,\)"):
        gan.fit(torch.randn(100, 3), steps=1, progress=False)
    bad_d = nn.Linear(2, 4)
    gan2 = GAN(models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(2,), output=None), bad_d)
    with pytest.raises(ValueError, match="one score per sample"):
        gan2.fit(torch.randn(100, 2), steps=1, progress=False)


def test_nan_stops_training_and_keeps_the_last_good_weights():
    gan = tiny_gan()
    data = ganlab.data.toy("ring8", 200, seed=0)
    gan.fit(data, steps=3, batch_size=16, progress=False)
    before = weights(gan.discriminator), weights(gan.generator)
    poisoned = lambda n: torch.full((n, 2), float("nan"))      # noqa: E731  (a sampler: NaN in a tensor is refused first)
    with pytest.raises(TrainingDiverged, match="step 4.*learning rate"):
        gan.fit(poisoned, steps=5, batch_size=16, progress=False)
    assert torch.equal(weights(gan.discriminator), before[0])
    assert torch.equal(weights(gan.generator), before[1])
    assert gan.step == 3 and len(gan.history["step"]) == 3


def test_kernel_interrupt_keeps_model_and_history(capsys):
    gan = tiny_gan()

    def interrupt_at_five(g):
        if g.step == 5:
            raise KeyboardInterrupt

    hist = gan.fit(ganlab.data.toy("ring8", 200), steps=50, every=1, batch_size=16,
                   callback=interrupt_at_five, progress=False)
    assert gan.step == 5 and len(hist["step"]) == 5
    assert "interrupted at step 5" in capsys.readouterr().out
    gan.fit(ganlab.data.toy("ring8", 200), steps=2, batch_size=16, progress=False)
    assert gan.step == 7


def test_callback_every_and_sampling():
    gan = tiny_gan()
    seen = []
    gan.fit(ganlab.data.toy("ring8", 200), steps=10, every=4, batch_size=16,
            callback=lambda g: seen.append(g.step), progress=False)
    assert seen == [4, 8, 10]
    z = gan.noise(5, seed=3)
    assert torch.equal(gan.sample(z=z), gan.sample(z=gan.noise(5, seed=3)))
    assert gan.sample(7).shape == (7, 2)
    with pytest.raises(ValueError, match="z must have shape"):
        gan.sample(z=torch.zeros(2, 5))


def test_packed_discriminator_sees_pairs():
    g = models.mlp_generator(latent_dim=2, hidden=(16,), out_shape=(2,), output=None)
    d = models.mlp_discriminator(in_shape=(2,), hidden=(16,), pack=2)
    gan = GAN(g, d)
    assert gan.score(torch.randn(8, 2)).shape == (4, 1)
    gan.fit(ganlab.data.toy("ring8", 200), steps=2, batch_size=16, progress=False)
    with pytest.raises(ValueError, match="multiple"):
        gan.fit(ganlab.data.toy("ring8", 200), steps=2, batch_size=15, progress=False)


def test_non_saturating_gan_learns_ring8():
    """A real run, about 5 s on 2 CPU cores: at least 6 of 8 modes covered."""
    ganlab.seed(0)
    g = models.mlp_generator(latent_dim=2, hidden=(128, 128), out_shape=(2,), output=None)
    d = models.mlp_discriminator(in_shape=(2,), hidden=(128, 128))
    gan = GAN(g, d, loss="non-saturating", lr=1e-3, seed=0)
    gan.fit(ganlab.data.toy("ring8", 10_000, seed=0), steps=2000, batch_size=256, progress=False)
    cov = metrics.mode_coverage(gan.sample(2500, seed=1), "ring8")
    assert cov["covered"] >= 6, cov


def test_a_time_budget_stops_training():
    gan = tiny_gan()
    gan.fit(ganlab.data.toy("ring8", 200), seconds=0.3, batch_size=16, progress=False)
    assert 0 < gan.step and gan.history["time"][-1] < 5
    steps = gan.step
    gan.fit(ganlab.data.toy("ring8", 200), steps=5, seconds=60, batch_size=16, progress=False)
    assert gan.step == steps + 5                          # steps first: the budget is an upper bound
    with pytest.raises(ValueError, match="steps=, epochs= or seconds="):
        gan.fit(ganlab.data.toy("ring8", 200))


def test_ema_generator_is_the_running_average(tmp_path):
    gan = tiny_gan(ema=0.9)
    start = weights(gan.generator)
    history = [start]
    data = ganlab.data.toy("ring8", 200, seed=0)
    for _ in range(3):
        gan.fit(data, steps=1, batch_size=16, progress=False)
        history.append(weights(gan.generator))
    # by hand: e0 = w0, e_t = d_t e_{t-1} + (1 - d_t) w_t with d_t = min(0.9, (1 + t') / (10 + t')),
    # t' = steps done before this update: 0, 1, 2 -> d = 0.1, 2/11, 3/12
    e = history[0]
    for w, d in zip(history[1:], (0.1, 2 / 11, 3 / 12)):
        e = d * e + (1 - d) * w
    assert torch.allclose(weights(gan.ema_generator), e, atol=1e-6)
    z = gan.noise(4, seed=0)
    assert torch.equal(gan.sample(z=z), gan.ema_generator(z))
    assert torch.equal(gan.sample(z=z, ema=False), gan.generator(z))
    again = GAN.load(gan.save(tmp_path / "ema.pt"))
    assert torch.equal(weights(again.ema_generator), weights(gan.ema_generator))
    with pytest.raises(ValueError, match="ema"):
        tiny_gan(ema=1.5)


def test_lr_decay_is_linear_and_restored():
    gan = tiny_gan()
    seen = []
    gan.fit(ganlab.data.toy("ring8", 200), steps=4, every=1, batch_size=16, progress=False,
            lr_schedule=ganlab.training.linear_decay,
            callback=lambda g: seen.append(g.g_optimizer.param_groups[0]["lr"]))
    # the lr used for step k (k = 0..3) is 1e-3 * (1 - k/4); the callback sees it after the step
    assert seen == pytest.approx([1e-3, 0.75e-3, 0.5e-3, 0.25e-3])
    assert gan.g_optimizer.param_groups[0]["lr"] == gan.d_optimizer.param_groups[0]["lr"] == 1e-3


def test_lr_decay_follows_the_time_budget(monkeypatch):
    """With a time budget ending training before the steps do, the lr reaches 0 at the deadline."""
    clock = iter(range(1000))                        # a fake clock: one second per reading
    monkeypatch.setattr(ganlab.training, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    gan, seen = tiny_gan(), []
    gan.fit(ganlab.data.toy("ring8", 200), steps=10**6, every=1, batch_size=16,
            lr_schedule=ganlab.training.linear_decay, seconds=9, progress=False,
            callback=lambda g: seen.append(g.g_optimizer.param_groups[0]["lr"]))
    # fit reads the clock once per step and train_step twice: steps start at seconds 1, 4, 7 of 9
    assert seen[:3] == pytest.approx([1e-3 * (1 - 1 / 9), 1e-3 * (1 - 4 / 9), 1e-3 * (1 - 7 / 9)])
    assert gan.step == 3
    assert gan.g_optimizer.param_groups[0]["lr"] == 1e-3


def test_a_callback_object_sees_every_hook_in_order_and_lr_schedule_is_one():
    """fit(callbacks=[...]) runs start, before/after each step, finished, close; lr_schedule=f is
    the same as callbacks=[LrSchedule(f)]."""
    from ganlab.callbacks import Callback, LrSchedule, linear_decay

    class Log(Callback):
        def __init__(self):
            self.calls = []

        def start(self, gan, steps):
            self.calls.append(("start", steps))

        def before_step(self, gan, progress):
            self.calls.append(("before", progress, gan.g_optimizer.param_groups[0]["lr"]))

        def after_step(self, gan, record):
            self.calls.append(("after", record["step"]))

        def finished(self, gan):
            self.calls.append(("finished",))

        def close(self, gan):
            self.calls.append(("close", gan.g_optimizer.param_groups[0]["lr"]))

    data = ganlab.data.toy("ring8", 200)
    gan, log = tiny_gan(), Log()
    gan.fit(data, steps=2, batch_size=16, progress=False, callbacks=[LrSchedule(linear_decay), log])
    # the schedule runs first, so the log sees each step's lr: 1e-3 * (1 - k/2)
    assert log.calls == [("start", 2), ("before", 0.0, 1e-3), ("after", 1), ("before", 0.5, 0.5e-3), ("after", 2),
                         ("finished",), ("close", 1e-3)]
    again = tiny_gan()
    again.fit(data, steps=2, batch_size=16, progress=False, lr_schedule=linear_decay)
    for a, b in zip(gan.generator.parameters(), again.generator.parameters()):
        assert torch.equal(a, b)


def test_one_discriminator_pass_equals_two():
    """Without batch norm, D scores real and fake in one pass; the loss is the same number."""
    gan = tiny_gan()
    assert gan.joint_d_pass
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    joint = gan.score(torch.cat([real, fake]))
    loss = gan.loss.d_loss(*joint.split(8))[0]
    separate = gan.loss.d_loss(gan.discriminator(real), gan.discriminator(fake))[0]
    assert torch.allclose(loss, separate, atol=1e-6)
    dcgan = GAN(models.dcgan_generator(width=4), models.dcgan_discriminator(width=4))
    assert not dcgan.joint_d_pass            # batch norm: real and fake normalised separately


def test_step_by_hand_matches_the_trainer():
    """One non-saturating step written out with plain torch gives the trainer's weights."""
    gan = tiny_gan()
    g_ref, d_ref = copy.deepcopy(gan.generator), copy.deepcopy(gan.discriminator)
    opt_g = torch.optim.Adam(g_ref.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d_ref.parameters(), lr=1e-3, betas=(0.5, 0.999))
    real = torch.randn(16, 2)
    # the trainer draws z from its own generator: replay the same draw
    gan.rng.manual_seed(7)
    z = torch.randn(16, 2, generator=torch.Generator().manual_seed(7))
    gan.train_step(lambda: real, 16)
    fake = g_ref(z)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    d_loss = bce(d_ref(real), torch.ones(16, 1)) + bce(d_ref(fake.detach()), torch.zeros(16, 1))
    opt_d.zero_grad(), d_loss.backward(), opt_d.step()
    g_loss = bce(d_ref(fake), torch.ones(16, 1))
    opt_g.zero_grad(), g_loss.backward(), opt_g.step()
    assert torch.allclose(weights(gan.discriminator), weights(d_ref), atol=1e-6)
    assert torch.allclose(weights(gan.generator), weights(g_ref), atol=1e-6)
    assert gan.history["d_loss"][0] == pytest.approx(d_loss.item(), abs=1e-6)


def test_unrolled_generator_gradient_matches_finite_differences():
    """unroll=1: G descends F(θ) = loss_G(D_{w'}(G_θ(z))), w' = w − lr ∇_w loss_D(real, G_θ(z)).

    F is written out by hand for a linear G and a linear D (no autograd) and differentiated
    by central differences; the trainer's G step must have followed that gradient.
    """
    torch.manual_seed(0)
    g, d = torch.nn.Linear(1, 1).double(), torch.nn.Linear(1, 1).double()
    with torch.no_grad():
        g.weight.fill_(0.7), g.bias.fill_(-0.2), d.weight.fill_(1.3), d.bias.fill_(0.1)
    gan = UnrolledGAN(g, d, loss="non-saturating", latent_dim=1, optimizer="sgd", d_lr=0.5, g_lr=0.1, unroll=1,
                      real_term=False)                       # G's own loss only (the real term: a test below)
    z = torch.tensor([[0.3], [-1.2], [0.8], [2.0]], dtype=torch.float64)
    real = torch.tensor([[1.0], [1.5], [0.5], [2.5]], dtype=torch.float64)
    gan.noise = lambda n, seed=None: z                      # the same codes every time
    sp, sig = torch.nn.functional.softplus, torch.sigmoid

    def F(a, b, w=1.3, c=0.1, lr=0.5):
        f = a * z + b
        sr, sf = w * real + c, w * f + c
        dw = (-sig(-sr) * real).mean() + (sig(sf) * f).mean()     # ∂ loss_D / ∂ w
        dc = (-sig(-sr)).mean() + sig(sf).mean()                   # ∂ loss_D / ∂ c
        w2, c2 = w - lr * dw, c - lr * dc
        return sp(-(w2 * f + c2)).mean().item()

    eps = 1e-6
    want = [(F(0.7 + eps, -0.2) - F(0.7 - eps, -0.2)) / (2 * eps),
            (F(0.7, -0.2 + eps) - F(0.7, -0.2 - eps)) / (2 * eps)]
    gan.g_update(g(z), lambda: real)
    got = [(0.7 - g.weight.item()) / 0.1, (-0.2 - g.bias.item()) / 0.1]
    assert got == pytest.approx(want, rel=1e-5)
    assert d.weight.item() == 1.3 and d.bias.item() == 0.1       # D itself did not move


def test_unrolled_training_runs_and_rejects_negative_unroll(tmp_path):
    gan = ganlab.recipes.toy_gan(hidden=(16,), unroll=3, batch_size=32)
    gan.fit(ganlab.data.toy("ring8", 500, seed=0), steps=5, progress=False)
    assert gan.step == 5 and all(torch.isfinite(p).all() for p in gan.generator.parameters())
    again = GAN.load(gan.save(tmp_path / "unrolled.pt"))
    assert isinstance(again, UnrolledGAN) and again.unroll == 3
    with pytest.raises(ValueError, match="unroll"):
        ganlab.recipes.toy_gan(unroll=-1)


def shifted_by_hand(image, dy, dx, fill=-1.0):
    """image (C, H, W) moved down dy and right dx pixels, the uncovered border filled."""
    c, h, w = image.shape
    out = torch.full_like(image, fill)
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[:, i, j] = image[:, i - dy, j - dx]
    return out


def test_random_shift_moves_each_image_within_range_and_passes_gradients():
    from ganlab.training import random_shift

    x = torch.randn(16, 2, 5, 5, requires_grad=True)
    y = random_shift(x, 2, torch.Generator().manual_seed(0))
    offsets = set()
    for k in range(16):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.equal(y[k], shifted_by_hand(x[k].detach(), dy, dx))]
        assert len(matches) == 1, k
        offsets.add(matches[0])
    assert len(offsets) > 3                              # each image gets its own offset
    y.sum().backward()
    assert set(x.grad.unique().tolist()) <= {0.0, 1.0}   # a pixel is either kept once or shifted out
    flat = torch.randn(4, 3)
    assert random_shift(flat, 2) is flat                 # not images: unchanged


def test_augment_is_a_saved_setting_and_trains(tmp_path):
    g = models.mlp_generator(latent_dim=4, hidden=(16,), out_shape=(1, 6, 6))
    d = models.mlp_discriminator(in_shape=(1, 6, 6), hidden=(16,))
    gan = GAN(g, d, augment=1, seed=0)
    gan.fit(torch.rand(64, 1, 6, 6) * 2 - 1, steps=3, batch_size=8, progress=False)
    assert GAN.load(gan.save(tmp_path / "aug.pt")).augment == 1


def test_recent_means_average_the_last_steps():
    history = {k: [] for k in ganlab.training.HISTORY_KEYS}
    with pytest.raises(ValueError, match="empty"):
        ganlab.training.recent_means(history)
    for i in range(5):
        for k in history:
            history[k].append(float(i))
    means = ganlab.training.recent_means(history, n=2)
    assert means == {"d_loss": 3.5, "g_loss": 3.5, "d_real": 3.5, "d_fake": 3.5}
    thinned = {k: v[1::2] for k, v in history.items()}           # steps 1 and 3, as a compact copy keeps them
    assert ganlab.training.recent_means(thinned, n=2)["d_loss"] == 3.0   # only step 3 is in the last 2 steps


def test_unrolled_adam_lookahead_is_adams_own_update():
    """unroll=1 with Adam: the look-ahead weights equal one Adam update from D's current state,
    computed here by hand from the optimizer's moments (not by ganlab's code)."""
    torch.manual_seed(0)
    g, d = torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)
    gan = UnrolledGAN(g, d, loss="non-saturating", latent_dim=1, lr=0.01, betas=(0.5, 0.999), unroll=1)
    real = torch.tensor([[1.0], [1.5], [0.5], [2.5]])
    gan.fit(lambda n: real[:n], steps=3, batch_size=4, progress=False)      # Adam has state now
    z = torch.tensor([[0.3], [-1.2], [0.8], [2.0]])
    gan.noise = lambda n, seed=None: z
    looked = gan.lookahead_weights(lambda: real, 4)
    w, c = d.weight.detach(), d.bias.detach()
    sig, f = torch.sigmoid, g(z).detach()
    grads = {"weight": (-sig(-(w * real + c)) * real).mean() + (sig(w * f + c) * f).mean(),
             "bias": (-sig(-(w * real + c))).mean() + sig(w * f + c).mean()}
    for name, p in d.named_parameters():
        s = gan.d_optimizer.state[p]
        t = float(s["step"]) + 1
        m = 0.5 * s["exp_avg"] + 0.5 * grads[name]
        v = 0.999 * s["exp_avg_sq"] + 0.001 * grads[name] ** 2
        want = p.detach() - 0.01 * (m / (1 - 0.5 ** t)) / ((v / (1 - 0.999 ** t)).sqrt() + 1e-8)
        assert torch.allclose(looked[name].detach(), want, atol=1e-6), name


def test_unrolled_lookahead_moves_d_about_as_far_as_real_updates():
    """Each look-ahead Adam step moves a weight by about lr at most, like a real Adam step
    (the old look-ahead, gradient times lr / sqrt(v), moved some weights hundreds of times further)."""
    gan = ganlab.recipes.toy_gan(seed=0, unroll=3, loss="minimax", betas=(0.9, 0.999), lr=3e-3)
    data = ganlab.data.toy("grid25", 2000, seed=0)
    gan.fit(data, steps=2, progress=False)
    draw = gan.batches(data, gan.batch_size)
    looked = gan.lookahead_weights(draw, gan.batch_size)
    moved = max((looked[n] - p).abs().max().item() for n, p in gan.discriminator.named_parameters())
    assert moved <= 3 * 3e-3 * 1.5, moved


def small_dcgan(seed=0, **kw):
    torch.manual_seed(seed)
    return GAN(models.dcgan_generator(latent_dim=8, width=4), models.dcgan_discriminator(width=4, batch_norm=False),
               seed=seed, lr=1e-3, batch_size=8, device="cpu", **kw)


def conv_weights(gan):
    return [p for p in list(gan.generator.parameters()) + list(gan.discriminator.parameters()) if p.dim() == 4]


def test_channels_last_is_on_for_conv_models_on_a_cpu_and_changes_only_the_order():
    digits = torch.rand(64, 1, 28, 28) * 2 - 1
    fast, plain = small_dcgan(), small_dcgan(channels_last=False)
    assert fast.channels_last and not plain.channels_last and not tiny_gan().channels_last
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in conv_weights(fast))
    assert sum(not p.is_contiguous() for p in conv_weights(fast)) >= 3     # those with more than one channel
    assert all(p.is_contiguous() for p in conv_weights(plain))
    for gan in (fast, plain):
        gan.fit(digits, steps=5, progress=False)
    # the same arithmetic in another order: equal up to float32 rounding, and samples come out contiguous
    assert torch.allclose(weights(fast.generator), weights(plain.generator), atol=1e-4)
    assert torch.allclose(torch.tensor(fast.history["d_loss"]), torch.tensor(plain.history["d_loss"]), atol=1e-4)
    assert fast.sample(4, seed=1).is_contiguous()


def test_bfloat16_autocast_trains_in_float32_weights_and_reloads(tmp_path):
    digits = torch.rand(64, 1, 28, 28) * 2 - 1
    with pytest.raises(ValueError, match="bfloat16"):
        small_dcgan(autocast="float16")
    half, full = small_dcgan(autocast="bfloat16"), small_dcgan()
    seen = []
    half.discriminator.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    for gan in (half, full):
        gan.fit(digits, steps=5, progress=False)
    assert torch.bfloat16 in seen                           # D really computed in bfloat16 ...
    assert all(p.dtype == torch.float32 for p in half.generator.parameters())    # ... its weights did not
    assert half.sample(4, seed=1).dtype == torch.float32
    assert all(map(math.isfinite, half.history["d_loss"] + half.history["g_loss"]))
    # bfloat16 keeps 8 bits of mantissa: the runs agree to about 1%, not bit for bit
    gap = (weights(half.generator) - weights(full.generator)).abs().max()
    assert 0 < gap < 0.02
    half.save(tmp_path / "half.pt")
    again = GAN.load(tmp_path / "half.pt")
    assert again.autocast == "bfloat16" and again.channels_last
    assert again.config["channels_last"] is None        # the default is kept, not this machine's choice
    assert torch.equal(weights(again.generator), weights(half.generator))
    assert conv_weights(again)[0].is_contiguous(memory_format=torch.channels_last)


def test_fast_bfloat16_reads_the_cpu_flags(tmp_path):
    from ganlab import runtime

    info = tmp_path / "cpuinfo"
    for flags, native in (("fpu avx2 avx512f avx512bw", False), ("fpu avx512f avx512_bf16", True),
                          ("fpu amx_bf16 amx_tile", True)):
        info.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
        assert runtime.fast_bfloat16("cpu", cpuinfo=info) is native
    assert runtime.fast_bfloat16("cpu", cpuinfo=tmp_path / "missing") is False
    assert runtime.fast_bfloat16("meta") is False


def test_unrolled_real_term_is_the_games_value_at_the_lookahead(tmp_path):
    """unroll=1, minimax, real_term: G descends -loss_D(D_{w'}) = -softplus(-D_{w'}(x)) - softplus(D_{w'}(G(z))),
    the authors' demo's -unrolled_loss; the real half moves G only through w'."""
    g, d = torch.nn.Linear(1, 1).double(), torch.nn.Linear(1, 1).double()
    with torch.no_grad():
        g.weight.fill_(0.7), g.bias.fill_(-0.2), d.weight.fill_(1.3), d.bias.fill_(0.1)
    z = torch.tensor([[0.3], [-1.2], [0.8], [2.0]], dtype=torch.float64)
    real = torch.tensor([[1.0], [1.5], [0.5], [2.5]], dtype=torch.float64)
    sp, sig = torch.nn.functional.softplus, torch.sigmoid

    def F(a, b, with_real, w=1.3, c=0.1, lr=0.5):
        f = a * z + b
        sr, sf = w * real + c, w * f + c
        dw = (-sig(-sr) * real).mean() + (sig(sf) * f).mean()
        dc = (-sig(-sr)).mean() + sig(sf).mean()
        w2, c2 = w - lr * dw, c - lr * dc
        value = -sp(w2 * f + c2).mean()
        return (value - sp(-(w2 * real + c2)).mean()).item() if with_real else value.item()

    eps, wants = 1e-6, {}
    for with_real in (True, False):
        gan = UnrolledGAN(copy.deepcopy(g), copy.deepcopy(d), loss="minimax", latent_dim=1, optimizer="sgd",
                          d_lr=0.5, g_lr=0.1, unroll=1, real_term=with_real)
        gan.noise = lambda n, seed=None: z
        wants[with_real] = [(F(0.7 + eps, -0.2, with_real) - F(0.7 - eps, -0.2, with_real)) / (2 * eps),
                            (F(0.7, -0.2 + eps, with_real) - F(0.7, -0.2 - eps, with_real)) / (2 * eps)]
        gan.g_update(gan.generator(z), lambda: real)
        got = [(0.7 - gan.generator.weight.item()) / 0.1, (-0.2 - gan.generator.bias.item()) / 0.1]
        assert got == pytest.approx(wants[with_real], rel=1e-5), with_real
        loaded = GAN.load(gan.save(tmp_path / f"u{with_real}.pt"), generator=torch.nn.Linear(1, 1).double(),
                          discriminator=torch.nn.Linear(1, 1).double())
        assert isinstance(loaded, UnrolledGAN) and loaded.real_term is with_real
    assert wants[True] != pytest.approx(wants[False], rel=1e-3)      # the real half changes G's step


# ---------------------------------------------------------------- changes that must not go unnoticed
# (the package review's table: each test below fails when its change is made to the trainer)

def test_the_gradient_penalty_is_added_to_ds_loss():
    gan = tiny_gan("wgan-gp", penalty_weight=10.0)
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    state = gan.rng.get_state()
    probe = torch.Generator().manual_seed(0)
    probe.set_state(state)
    wasserstein = gan.loss.d_loss(gan.score(real), gan.score(fake))[0]
    penalty = ganlab.losses.gradient_penalty(gan.score, real, fake, generator=probe)
    assert penalty.item() > 1e-3                                    # an untrained critic is not 1-Lipschitz
    d_loss, _, _ = gan.d_update(real, fake)
    assert d_loss == pytest.approx((wasserstein + 10.0 * penalty).item(), rel=1e-5)


def test_a_pack_is_consecutive_samples_never_real_and_fake_mixed():
    torch.manual_seed(0)
    d = models.mlp_discriminator(in_shape=(2,), hidden=(16,), pack=2)
    gan = GAN(models.mlp_generator(latent_dim=2, hidden=(16,), out_shape=(2,), output=None), d)
    real, fake = torch.randn(4, 2), torch.randn(4, 2) + 5
    by_hand = d(torch.stack([torch.cat([x[i], x[i + 1]]) for x in (real, fake) for i in (0, 2)]))
    assert torch.allclose(gan.score(torch.cat([real, fake])), by_hand)
    seen = []
    d.register_forward_hook(lambda m, args, out: seen.append(args[0].detach().clone()))
    gan.d_update(real, fake)                                         # the joint pass: packs of one kind
    packs = seen[0].reshape(-1, 2, 2)
    assert torch.equal(packs[:2].reshape(-1, 2), real) and torch.equal(packs[2:].reshape(-1, 2), fake)


def test_the_ema_generator_normalises_with_gs_batch_norm_statistics():
    torch.manual_seed(0)
    g = models.mlp_generator(latent_dim=2, hidden=(16,), out_shape=(2,), output=None, batch_norm=True)
    gan = GAN(g, models.mlp_discriminator(in_shape=(2,), hidden=(16,)), ema=0.9, seed=0)
    gan.fit(ganlab.data.toy("ring8", 200, seed=0), steps=3, batch_size=16, progress=False)
    buffers = dict(gan.generator.named_buffers())
    assert any("running_mean" in k for k in buffers)
    for k, b in gan.ema_generator.named_buffers():
        assert torch.equal(b, buffers[k]), k


def test_a_time_budget_still_calls_the_callback_at_the_end():
    gan, calls = tiny_gan(), []
    gan.fit(ganlab.data.toy("ring8", 200), seconds=0.2, batch_size=16, every=10**6,
            callback=lambda g: calls.append(g.step), progress=False)
    assert calls == [gan.step] and gan.step > 0


def test_fresh_noise_for_g_draws_another_batch_for_gs_update():
    draws = {}
    for fresh in (False, True):
        gan = tiny_gan(fresh_noise_for_g=fresh)
        made = []
        real_sample = gan.sample_train
        gan.sample_train = lambda n: made.append(n) or real_sample(n)
        gan.fit(ganlab.data.toy("ring8", 200, seed=0), steps=3, batch_size=16, progress=False)
        draws[fresh] = (len(made), weights(gan.generator))
    assert draws[False][0] == 3 and draws[True][0] == 6            # one pass through G per step, or two
    assert not torch.equal(draws[False][1], draws[True][1])
