import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

import ganlab
from ganlab import collapse, plots, recipes
from ganlab.unrolled import UnrolledGAN


def test_compare_averages_over_seeds_and_picks_the_best():
    rows = collapse.compare({"a": dict(loss="non-saturating"), "b": dict(loss="minimax", pack=2)},
                            target="ring8", seeds=2, steps=5, workers=1, progress=False)
    assert list(rows) == ["a", "b"]
    for r in rows.values():
        assert len(r["covered"]) == 2 and r["mean_covered"] == sum(r["covered"]) / 2
        assert r["mean_high_quality"] == pytest.approx(sum(r["high_quality"]) / 2)
        assert r["samples"].shape == (2500, 2) and r["n_modes"] == 8
    text = collapse.table(rows)
    assert text.count("\n") == 3 and "/ 8" in text
    # the same runs in two worker processes give the same table layout and per-seed lists
    parallel = collapse.compare({"a": dict(loss="non-saturating")}, target="ring8", seeds=2, steps=5,
                                workers=2, progress=False)
    assert len(parallel["a"]["covered"]) == 2 and parallel["a"]["samples"].shape == (2500, 2)


def test_compare_keeps_every_seed_when_asked():
    rows = collapse.compare({"a": {}}, target="ring8", seeds=2, steps=4, at=(2,), workers=1, progress=False,
                            every_seed=True)
    r = rows["a"]
    assert len(r["seed_samples"]) == 2 and torch.equal(r["seed_samples"][0], r["samples"])
    assert not torch.equal(r["seed_samples"][0], r["seed_samples"][1])
    # each seed's own trend, and its last point is that seed's table entry
    assert [[p["step"] for p in t] for t in r["seed_trends"]] == [[2, 4], [2, 4]]
    assert [t[-1]["covered"] for t in r["seed_trends"]] == r["covered"]
    assert "seed_samples" not in collapse.compare({"a": {}}, target="ring8", seeds=1, steps=2, workers=1,
                                                  progress=False)["a"]


def test_best_prefers_coverage_then_quality():
    def row(c, q):
        return dict(mean_covered=c, mean_high_quality=q)
    rows = {"many modes, poor": row(25, 0.2), "few modes, sharp": row(10, 0.99), "many, sharp": row(25, 0.9)}
    assert collapse.best(rows) == "many, sharp"


def test_coverage_over_time_records_each_measurement():
    gan = recipes.toy_gan(seed=0, batch_size=32)
    t = collapse.coverage_over_time(gan, ganlab.data.toy("ring8", 500, seed=0), "ring8", steps=12, every=4,
                                    n_samples=100, progress=False)
    assert t["step"] == [4, 8, 12] and t["counts"].shape == t["nearest"].shape == (3, 8) and len(t["samples"]) == 3
    assert t["nearest"].sum(1).tolist() == [100, 100, 100] and (t["nearest"] >= t["counts"]).all()
    assert all(int(c.sum()) == round(q * 100) for c, q in zip(t["counts"], t["high_quality"]))


def test_mode_timeline_shows_shares_per_column():
    counts = torch.tensor([[10, 0, 0], [5, 5, 0], [0, 0, 0]])
    fig = plots.mode_timeline(counts, [100, 200, 300])
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (3, 3)                        # modes down, time across
    assert shown[:, 0].tolist() == [1.0, 0.0, 0.0] and shown[:, 1].tolist() == [0.5, 0.5, 0.0]
    assert shown[:, 2].tolist() == [0.0, 0.0, 0.0]      # no high-quality samples at all


def test_a_trend_measures_the_same_runs_at_earlier_steps():
    rows = collapse.compare({"GAN": {}}, target="ring8", seeds=2, steps=6, at=(2, 4), workers=1, progress=False)
    row = rows["GAN"]
    assert [p["step"] for p in row["trend"]] == [2, 4, 6]
    last = row["trend"][-1]                               # the last point is the table's own numbers
    assert last["covered"] == row["mean_covered"] and last["high_quality"] == pytest.approx(row["mean_high_quality"])
    assert len(row["reverse_kl"]) == 2


def test_the_pacgan_recipe_is_the_papers_network():
    gan = recipes.pacgan_toy(pack=4)
    linear = [m for m in gan.generator.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linear] == [400, 400, 400, 400, 2]
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in gan.generator.modules()) == 4
    d_linear = [m for m in gan.discriminator.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in d_linear] == [(8, 1000), (200, 1000), (200, 1000), (200, 1)]
    assert gan.batch_size == 400 and gan.pack == 4                    # 100 packs of 4 samples
    assert gan.d_optimizer.param_groups[0]["betas"] == (0.8, 0.999) and gan.d_optimizer.param_groups[0]["lr"] == 1e-4
    assert abs(d_linear[1].weight.std().item() - 0.02) < 0.002     # weights ~ N(0, 0.02)
    x = torch.randn(8, 2)
    assert gan.score(x).shape == (2, 1)


def test_maxout_keeps_the_largest_piece():
    from ganlab.models import Maxout

    x = torch.tensor([[1.0, 5.0, -2.0, 0.5, 0.0, -1.0]])          # 2 units x 3 pieces
    assert Maxout(3)(x).tolist() == [[5.0, 0.5]]


def test_table_puts_published_numbers_beside_ours():
    rows = collapse.compare({"GAN": {}}, target="ring8", seeds=1, steps=2, workers=1, progress=False)
    text = collapse.table(rows, published={"GAN": (6.3, 98.2, 0.45)})
    assert "published" in text and "6.3" in text and "98.2" in text and "0.45" in text


class _DistanceCritic(torch.nn.Module):
    """Scores a sample (or a pack of samples) by minus its distance to the nearest grid centre, times sign."""

    def __init__(self, sign=1.0, pack=1):
        super().__init__()
        self.sign, self.pack = sign, pack
        self.unused = torch.nn.Linear(1, 1)       # the trainer wants parameters to optimize

    def forward(self, x):
        centres, _ = ganlab.data.toy_modes("grid25")
        points = x.reshape(-1, 2)
        d = torch.cdist(points, centres).min(1).values.reshape(x.shape[0], -1).sum(1, keepdim=True)
        return -self.sign * d


def _gan_with(critic):
    g = ganlab.models.mlp_generator(latent_dim=2, hidden=(8,), out_shape=(2,), output=None)
    return ganlab.GAN(g, critic, seed=0)


def test_mode_pull_sees_a_discriminator_that_pulls_samples_onto_the_modes():
    off = torch.tensor([[0.6, 0.1], [1.3, -1.8], [-3.5, 3.4], [2.4, 0.3]] * 25)      # all off the modes
    pull = collapse.mode_pull(_gan_with(_DistanceCritic(+1.0)), off, "grid25")
    assert pull["off_mode"] == 100 and pull["toward"] == 1.0 and pull["cos"] > 0.99
    away = collapse.mode_pull(_gan_with(_DistanceCritic(-1.0)), off, "grid25")
    assert away["toward"] == 0.0 and away["cos"] < -0.99
    # a packed D judges packs; the pull still reaches every sample of the pack (an odd sample is left out)
    packed = collapse.mode_pull(_gan_with(_DistanceCritic(+1.0, pack=2)), off[:99], "grid25")
    assert packed["off_mode"] == 98 and packed["toward"] == 1.0
    # samples on the modes are high quality: nothing to measure
    centres, _ = ganlab.data.toy_modes("grid25")
    none = collapse.mode_pull(_gan_with(_DistanceCritic(+1.0)), centres, "grid25")
    assert none["off_mode"] == 0 and none["toward"] != none["toward"]           # nan


def test_discriminator_alone_trains_only_d_and_measures_it():
    out = collapse.discriminator_alone(pack=2, steps=5, every=2, progress=False)
    assert out["step"] == [2, 4, 5]
    assert all(0 <= a <= 1 for a in out["accuracy"]) and all(0 <= t <= 1 for t in out["toward"])
    assert all(-1 <= c <= 1 for c in out["cos"])


def test_a_trend_records_the_pull_and_averages_it_over_seeds():
    rows = collapse.compare({"GAN": dict(pack=2)}, target="grid25", seeds=2, steps=4, at=(2,), workers=1,
                            progress=False, recipe="pacgan")
    for point in rows["GAN"]["trend"]:
        assert set(collapse.PULL) <= set(point)
    assert collapse._mean([0.5, float("nan"), 1.0]) == 0.75
    assert collapse._mean([float("nan")]) != collapse._mean([float("nan")])


def test_packing_washes_out_what_one_projection_shows():
    one, four = (collapse.projected_difference(p, directions=50, n=20_000) for p in (1, 4))
    assert one["difference"] > 3 * one["floor"]                   # blurry samples stand out along a line
    assert four["difference"] < one["difference"] / 2             # packs of four much less so
    assert one["real"].shape == one["fake"].shape == (20_000,)
    same = collapse.projected_difference(1, blur=ganlab.data.toy_modes("grid25")[1], directions=50, n=20_000)
    assert same["difference"] < 2 * same["floor"]                 # no blur, nothing beyond sampling noise


def test_the_unrolled_recipe_is_the_authors_demo_network():
    gan = recipes.unrolled_toy(seed=0)
    linear = [m for net in (gan.generator, gan.discriminator) for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linear] == [128, 128, 2, 128, 128, 1]
    assert linear[0].in_features == 256 and gan.latent_dim == 256
    assert sum(isinstance(m, torch.nn.Tanh) for m in gan.generator.modules()) == 2
    assert sum(isinstance(m, torch.nn.Tanh) for m in gan.discriminator.modules()) == 2
    w = linear[1].weight                                  # orthogonal with gain 1.4: W W^T = 1.4^2 I
    assert torch.allclose(w @ w.T, 1.96 * torch.eye(128), atol=1e-4) and not linear[1].bias.any()
    assert linear[3].in_features == 2
    for layer in linear:                                  # every layer orthogonal (rows or columns), bias 0
        w = layer.weight if layer.weight.shape[0] <= layer.weight.shape[1] else layer.weight.T
        assert torch.allclose(w @ w.T, 1.96 * torch.eye(w.shape[0]), atol=1e-4) and not layer.bias.any()
    assert isinstance(gan, UnrolledGAN) and gan.unroll == 5 and gan.loss.name == "minimax" and gan.real_term
    assert gan.batch_size == 512
    assert gan.d_optimizer.param_groups[0]["lr"] == 1e-4 and gan.g_optimizer.param_groups[0]["lr"] == 1e-3
    assert gan.d_optimizer.param_groups[0]["betas"] == gan.g_optimizer.param_groups[0]["betas"] == (0.5, 0.999)
    plain = recipes.unrolled_toy(unroll=0, seed=0)
    assert not isinstance(plain, UnrolledGAN)
    assert torch.equal(plain.generator[0].weight, gan.generator[0].weight)   # same start, same seed
    with pytest.raises(ValueError, match="unknown setting"):
        recipes.unrolled_toy(hiden=(8,))


def test_the_worker_processes_outlast_a_call_but_not_an_error():
    try:
        collapse.compare({"a": {}}, target="ring8", seeds=2, steps=2, workers=2, progress=False)
        pool = collapse._pool(2)
        assert collapse._pool(2) is pool, "a second call should reuse the running workers"
        workers = collapse.worker_pids()
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGINT)            # Jupyter's interrupt button signals the whole group
        rows = collapse.compare({"a": {}}, target="ring8", seeds=2, steps=2, workers=2, progress=False)
        assert len(rows["a"]["covered"]) == 2 and collapse.worker_pids() == workers
        # one run fails at once while the other would train for minutes: the call stops both
        with pytest.raises(ValueError, match="loss"):
            collapse.compare({"long": {}, "bad": dict(loss="no such loss")}, target="ring8", seeds=1,
                             steps=10**6, workers=2, progress=False)
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in workers), "a failed call should end the runs it started"
        rows = collapse.compare({"a": {}}, target="ring8", seeds=2, steps=2, workers=2, progress=False)
        assert len(rows["a"]["covered"]) == 2 and collapse._pool(2) is not pool
    finally:
        collapse.close_workers()


@pytest.mark.skipif(sys.platform == "win32", reason="checks processes with POSIX signals")
def test_the_workers_exit_when_their_kernel_is_killed(tmp_path):
    script = tmp_path / "kernel.py"
    script.write_text("import sys, time\n"
                      f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
                      "from ganlab import collapse\n"
                      "if __name__ == '__main__':\n"
                      "    collapse.compare({'a': {}}, target='ring8', seeds=2, steps=2, workers=2, progress=False)\n"
                      "    print(*collapse.worker_pids(), flush=True)\n"
                      "    time.sleep(600)\n")
    kernel = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120, kernel.kill)      # a hung script must not hang the test
    watchdog.start()
    try:
        workers = [int(pid) for pid in kernel.stdout.readline().split()]
        assert len(workers) == 2
    finally:
        kernel.kill()
        kernel.wait()
        watchdog.cancel()
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "orphaned workers would wait for work for ever"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    if not os.path.exists(f"/proc/{pid}/stat"):
        return True
    with open(f"/proc/{pid}/stat") as f:            # a zombie has exited; only its parent is gone
        return f.read().split(")")[-1].split()[0] != "Z"
