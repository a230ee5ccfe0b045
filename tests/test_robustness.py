"""ganlab.robustness: one network shape, each method at its own settings, over seeds."""
import pytest

from ganlab import robustness


def test_methods_are_each_papers_settings():
    gp = robustness.METHODS["WGAN-GP"]
    assert gp["penalty_weight"] == 0.1 and gp["n_critic"] == 5 and gp["lr"] == 1e-4 and gp["betas"] == (0.5, 0.9)
    assert {m["loss"] for n, m in robustness.METHODS.items() if n.startswith("GAN")} == {"non-saturating"}


def test_table_and_best_on_hand_made_runs():
    runs = {"a": [dict(covered=8, high_quality=0.5, seconds=2.0), dict(covered=6, high_quality=0.1, seconds=1.0)],
            "b": [dict(covered=1, high_quality=0.4, seconds=1.0), dict(covered=2, high_quality=0.3, seconds=1.0)]}
    rows = robustness.table(runs)
    assert rows["a"] == dict(covered=[8, 6], high_quality=[0.5, 0.1], mean_high_quality=pytest.approx(0.3), seconds=3.0)
    assert robustness.best(runs, ["a", "b"]) == "b"          # mean 0.35 beats 0.3, whatever the modes


def test_a_tiny_comparison_measures_along_the_way():
    methods = {k: robustness.METHODS[k] for k in ("GAN, lr 1e-3", "WGAN-GP")}
    runs = robustness.compare(methods, hidden=(8, 8), steps=4, every=2, seeds=(0,), n_samples=200, keep=50,
                              data_size=500, progress=False, device="cpu")
    assert list(runs) == list(methods) and [r["seed"] for r in runs["WGAN-GP"]] == [0]
    r = runs["WGAN-GP"][0]
    assert [p["step"] for p in r["trend"]] == [2, 4] and r["samples"].shape == (50, 2)
    assert r["trend"][-1]["high_quality"] == r["high_quality"] and sum(r["counts"]) <= 200
    again = robustness.run(methods["WGAN-GP"], hidden=(8, 8), steps=4, every=2, seed=0, n_samples=200, keep=50,
                           data_size=500, device="cpu")
    assert again["samples"].equal(r["samples"])            # a seed makes the same run


def test_each_method_its_own_steps_and_readings_by_step():
    methods = {k: robustness.METHODS[k] for k in ("GAN, lr 1e-3", "WGAN-GP")}
    runs = robustness.compare(methods, hidden=(8, 8), steps={"GAN, lr 1e-3": 4, "WGAN-GP": 2}, every=1, seeds=(0,),
                              n_samples=100, keep=10, data_size=500, progress=False, device="cpu")
    gan, gp = runs["GAN, lr 1e-3"][0], runs["WGAN-GP"][0]
    assert [p["step"] for p in gan["trend"]] == [1, 2, 3, 4] and [p["step"] for p in gp["trend"]] == [1, 2]
    seconds = [p["seconds"] for p in gan["trend"]]
    assert seconds == sorted(seconds) and seconds[-1] == pytest.approx(gan["seconds"])   # training time so far
    assert robustness.at_step(gan, 2) is gan["trend"][1]
    with pytest.raises(KeyError, match="measured at"):
        robustness.at_step(gp, 3)


# ------------------------------------------------------------------ MNIST

def test_mnist_methods_are_each_papers_settings():
    gp = robustness.MNIST_METHODS["WGAN-GP"]         # WGAN-GP's Algorithm 1 defaults
    assert gp["loss"] == "wgan-gp" and gp["penalty_weight"] == 10 and gp["n_critic"] == 5
    assert gp["lr"] == 1e-4 and gp["betas"] == (0.0, 0.9)
    gans = {n: m for n, m in robustness.MNIST_METHODS.items() if n.startswith("GAN")}
    assert len(gans) >= 2 and {m["loss"] for m in gans.values()} == {"non-saturating"}
    assert all(n == f"GAN, lr {m['lr']:.0e}".replace("e-0", "e-") for n, m in gans.items())   # the name says the rate


def test_mnist_table_and_best_on_hand_made_runs():
    runs = {"a": [dict(confident=0.6, frechet=100.0, seconds=2.0), dict(confident=0.2, frechet=300.0, seconds=1.0)],
            "b": [dict(confident=0.1, frechet=150.0, seconds=1.0), dict(confident=0.0, frechet=200.0, seconds=1.0)]}
    rows = robustness.mnist_table(runs)
    assert rows["a"] == dict(confident=[0.6, 0.2], frechet=[100.0, 300.0], mean_confident=pytest.approx(0.4),
                             mean_frechet=200.0, seconds=3.0)
    assert robustness.mnist_best(runs, ["a", "b"]) == "b"   # mean Fréchet 175 beats 200, whatever the confident share


def test_a_tiny_mnist_comparison_scores_along_the_way():
    import torch
    images = torch.rand(256, 1, 28, 28) * 2 - 1
    methods = {k: robustness.MNIST_METHODS[k] for k in ("GAN, lr 1e-3", "WGAN-GP")}
    run = robustness.mnist_run(methods["WGAN-GP"], hidden=(8, 8), steps=3, every=2, seed=0, n_samples=20, keep=4,
                               images=images, device="cpu")
    assert [p["step"] for p in run["trend"]] == [2, 3] and run["samples"].shape == (4, 1, 28, 28)
    assert run["trend"][-1]["frechet"] == run["frechet"] and 0 <= run["confident"] <= 1
    again = robustness.mnist_run(methods["WGAN-GP"], hidden=(8, 8), steps=3, every=2, seed=0, n_samples=20, keep=4,
                                 images=images, device="cpu")
    assert again["samples"].equal(run["samples"])          # a seed makes the same run
    g, d = robustness.mnist_networks((8, 8), "tanh")
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in [*g.modules(), *d.modules()])
    assert sum(isinstance(m, torch.nn.Tanh) for m in g.modules()) == 3            # two hidden layers and the output
