"""Nothing made here is lost: the review's "work lost" cases, each as a test (ganlab.store)."""
import collections
import warnings

import numpy as np
import pytest
import torch

import ganlab
from ganlab import recipes, store


@pytest.fixture
def kept_in(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path / "ckpt"))
    monkeypatch.delenv("GANLAB_MODE", raising=False)
    monkeypatch.setenv("GANLAB_QUICK", "1")
    return tmp_path / "ckpt"


def small_gan(device=None):
    return recipes.toy_gan(hidden=(8,), batch_size=16, device=device)


DATA = ganlab.data.toy("ring8", 200, seed=0)


def test_an_unwritable_folder_is_said_before_any_work(tmp_path, monkeypatch):
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.setenv("GANLAB_CHECKPOINTS", str(tmp_path / "a_file" / "ckpt"))
    with pytest.raises(store.StoreError, match="Nothing was computed yet.*GANLAB_CHECKPOINTS"):
        ganlab.runtime.cached("r", lambda: pytest.fail("must not compute"), settings={"a": 1})
    with pytest.raises(store.StoreError, match="GANLAB_CHECKPOINTS"):
        recipes.train_or_load("g", lambda device=None: pytest.fail("must not train"), DATA, steps=3)


def break_the_folder(folder):
    """The folder becomes a file while the work runs (a disk unmounted, a folder gone)."""
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    folder.write_text("now a file")


def test_a_failed_save_returns_the_result_and_says_where(kept_in):
    def compute():
        break_the_folder(kept_in)
        return {"x": 1}

    with pytest.warns(UserWarning, match=f"could not be written to {kept_in}"):
        assert ganlab.runtime.cached("r", compute, settings={"a": 1}) == {"x": 1}

    kept_in.unlink()

    def build(device=None):
        break_the_folder(kept_in)
        return small_gan(device)

    with pytest.warns(UserWarning, match=f"trained model 'g' could not be written to {kept_in}"):
        gan = recipes.train_or_load("g", build, DATA, steps=3, progress=False)
    assert gan.step == 3


def test_two_kernels_filling_one_key_return_what_is_kept(kept_in, capsys):
    def slow():                      # another kernel finishes the same result while this one computes
        ganlab.runtime.cached("r", lambda: {"who": 2}, settings={"a": 1})
        return {"who": 1}

    assert ganlab.runtime.cached("r", slow, settings={"a": 1}) == {"who": 2}
    assert "another kernel kept" in capsys.readouterr().out
    (path,) = kept_in.glob("r-*.pt")
    assert torch.load(path, weights_only=True)["value"] == {"who": 2}
    assert sorted(p.name for p in kept_in.iterdir()) == [path.name]          # no temporary file left

    def build(device=None):          # the other kernel trains and saves the same model first
        recipes.train_or_load("g", small_gan, DATA, steps=3, progress=False)
        return small_gan(device)

    mine = recipes.train_or_load("g", build, DATA, steps=3, progress=False)
    assert "this model (the one returned) is not saved" in capsys.readouterr().out and mine.step == 3


def test_temporary_files_are_unique(tmp_path):
    names = []

    def save(tmp):
        names.append(tmp)
        torch.save({"a": 1}, tmp)

    store.write(tmp_path / "x.pt", save)
    store.write(tmp_path / "x.pt", save)
    assert names[0] != names[1] and [p.name for p in tmp_path.iterdir()] == ["x.pt"]


def test_results_that_are_not_plain_data(kept_in):
    Pair = collections.namedtuple("Pair", "a b")
    runs = []

    def compute():
        runs.append(1)
        return Pair(1, 2)

    with pytest.warns(UserWarning, match="Pair, which is not plain data"):
        assert ganlab.runtime.cached("nt", compute, settings={}) == Pair(1, 2)
    with pytest.warns(UserWarning):
        ganlab.runtime.cached("nt", compute, settings={})
    assert len(runs) == 2                                  # never kept, computed again, never lost
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = ganlab.runtime.cached("np", lambda: {"m": np.arange(3.0), "s": np.float64(0.5)}, settings={})
        again = ganlab.runtime.cached("np", lambda: pytest.fail("kept"), settings={})
    assert torch.equal(first["m"], torch.arange(3.0, dtype=torch.float64)) and first["s"] == 0.5
    assert torch.equal(again["m"], first["m"]) and type(again["s"]) is float


def test_settings_are_keyed_by_content(kept_in):
    a, b = torch.zeros(5000), torch.zeros(5000)
    b[2500] = 1.0
    assert repr(a) == repr(b)                                # what the key was made of
    assert ganlab.runtime.cached("t", lambda: 1, settings={"w": a}) == 1
    assert ganlab.runtime.cached("t", lambda: 2, settings={"w": b}) == 2
    assert ganlab.runtime.cached("t", lambda: 3, settings={"w": a.clone()}) == 1
    # plain settings keep the keys of the shipped reference files
    assert store.fingerprint({"steps": 10, "lr": (1, 2)}) == store.fingerprint({"lr": [1, 2], "steps": 10})
    with pytest.raises(TypeError, match="no lasting name"):
        ganlab.runtime.cached("f", lambda: 1, settings={"f": object()})


def test_a_new_budget_without_settings_trains_anew(kept_in):
    five = recipes.train_or_load("g", small_gan, DATA, steps=5, progress=False)
    eight = recipes.train_or_load("g", small_gan, DATA, steps=8, progress=False)
    assert five.step == 5 and eight.step == 8


def test_saving_onto_a_folder_says_so(tmp_path):
    with pytest.raises(IsADirectoryError, match="give the checkpoint a file name"):
        small_gan().save(tmp_path)
