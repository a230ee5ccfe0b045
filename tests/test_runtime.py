import random

import numpy as np
import torch

import ganlab


def test_quick_reads_environment(monkeypatch):
    monkeypatch.setenv("GANLAB_QUICK", "1")
    assert ganlab.quick() and ganlab.budget(full=1000, quick=10) == 10
    for off in ("0", "", "false"):
        monkeypatch.setenv("GANLAB_QUICK", off)
        assert not ganlab.quick() and ganlab.budget(full=1000, quick=10) == 1000
    monkeypatch.delenv("GANLAB_QUICK")
    assert not ganlab.quick()


def test_seed_makes_every_generator_repeat():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3).tolist()
    ganlab.seed(7)
    first = draw()
    ganlab.seed(7)
    assert draw() == first
    ganlab.seed(8)
    assert draw() != first


def test_device_is_a_torch_device():
    dev = ganlab.device()
    assert isinstance(dev, torch.device)
    if not torch.cuda.is_available():
        assert dev.type in ("cpu", "mps")


def test_checkpoint_path_differs_between_modes(monkeypatch, tmp_path):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    monkeypatch.setenv("GANLAB_QUICK", "1")
    quick = ganlab.runtime.checkpoint_path("x")
    monkeypatch.setenv("GANLAB_QUICK", "0")
    full = ganlab.runtime.checkpoint_path("x")
    assert quick != full and quick.parent == full.parent == tmp_path


def test_cached_computes_once_then_loads(monkeypatch, tmp_path):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return {"scores": [0.5, 0.25], "samples": torch.ones(2, 3)}

    first = ganlab.runtime.cached("demo", compute)
    again = ganlab.runtime.cached("demo", compute)
    assert len(calls) == 1 and again["scores"] == first["scores"] == [0.5, 0.25]
    assert torch.equal(again["samples"], torch.ones(2, 3))
    path = ganlab.runtime.checkpoint_path("demo")
    path.write_bytes(b"garbage")
    import pytest
    with pytest.raises(ValueError, match="delete it"):
        ganlab.runtime.cached("demo", compute)


def test_cached_results_are_keyed_by_their_settings(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    runs = []

    def compute(lr):
        runs.append(lr)
        return {"lr": lr}

    a = ganlab.runtime.cached("cmp", lambda: compute(1e-3), settings={"lr": 1e-3, "steps": 10})
    b = ganlab.runtime.cached("cmp", lambda: compute(3e-3), settings={"lr": 3e-3, "steps": 10})
    assert a == {"lr": 1e-3} and b == {"lr": 3e-3} and runs == [1e-3, 3e-3]    # a change computes again
    capsys.readouterr()
    again = ganlab.runtime.cached("cmp", lambda: compute(9.0), settings={"steps": 10, "lr": 1e-3})
    assert again == {"lr": 1e-3} and len(runs) == 2                             # same settings: kept
    assert "using the result kept in" in capsys.readouterr().out


def test_an_interrupted_computation_is_never_kept(monkeypatch, tmp_path, capsys):
    """Stop pressed inside a comparison stops the whole comparison and keeps nothing."""
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    import pytest
    from ganlab import recipes

    finished, presses = [], [1]                           # the reader presses stop once

    def comparison():
        for name in ("first", "second"):
            gan = recipes.toy_gan(hidden=(8,), batch_size=16)

            def stop(g):
                if name == "first" and g.step == 3 and presses:
                    presses.pop()
                    raise KeyboardInterrupt

            gan.fit(ganlab.data.toy("ring8", 100, seed=0), steps=10, every=1, callback=stop, progress=False)
            finished.append(name)
        return finished

    with pytest.raises(KeyboardInterrupt):
        ganlab.runtime.cached("race", comparison, settings={"n": 2})
    assert finished == [] and "nothing was kept" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())
    assert ganlab.runtime.cached("race", comparison, settings={"n": 2}) == ["first", "second"]


def test_a_kept_slice_costs_only_its_own_size(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path))
    big = torch.randn(2000, 784)
    ganlab.runtime.cached("slice", lambda: {"samples": big[:32]}, settings={"n": 32})
    (path,) = tmp_path.glob("slice-*.pt")
    assert path.stat().st_size < 200_000                      # 32 rows, not the 6 MB they were sliced from
    kept = torch.load(path, weights_only=True)["value"]["samples"]
    assert torch.equal(kept, big[:32])
