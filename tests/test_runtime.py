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
