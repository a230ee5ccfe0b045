"""The reference models and results shipped with ganlab (ganlab/_data/reference/, made by
scripts/run_series.py in full mode): small, safe to load, and they give back the scores
the results file recorded for them."""
import json
from pathlib import Path

import pytest
import torch

import ganlab
from ganlab import checkpoints, classifier

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "ganlab" / "_data" / "reference"
RESULTS = json.loads((ROOT / "ganlab" / "_data" / "results.json").read_text())


def shipped(prefix):
    found = sorted(REFERENCE.glob(f"{prefix}-*.pt"))
    assert len(found) == 1, f"expected one shipped {prefix} model, found {[p.name for p in found]}"
    return found[0]


def test_the_reference_files_are_small_and_load_without_running_code():
    files = sorted(REFERENCE.glob("*.pt"))
    assert files, "no reference models or results shipped: run `python scripts/run_series.py`"
    total = sum(p.stat().st_size for p in files)
    # the target was ~10 MB for six notebooks; notebook 07's model (two full-precision generators:
    # its own and the weight average the samples come from) takes the series to about 12.3 MB
    assert total < 15 * 2**20, f"the reference files take {total / 2**20:.1f} MB; the aim is under 15 MB"
    for path in files:
        torch.load(path, map_location="cpu", weights_only=True)      # raises on anything but plain data


def test_the_shipped_mlp_gan_gives_back_its_recorded_scores():
    """Notebook 03's cell: 5,000 samples from seed 7, scored by the shipped classifier."""
    gan = ganlab.GAN.load(shipped("03_mlp_gan"), device="cpu")
    recorded = RESULTS["notebooks"]["03"]["numbers"]
    assert gan.step == recorded["final_steps"]["value"]
    scores = classifier.digit_scores(gan.sample(5000, seed=7))
    assert scores["confident"] == pytest.approx(recorded["confident"]["value"], abs=1e-6)
    assert scores["frechet"] == pytest.approx(recorded["frechet"]["value"], rel=1e-3)
    assert scores["inception"] == pytest.approx(recorded["inception"]["value"], rel=1e-3)


def test_the_shipped_mlp_gan_says_where_it_was_trained():
    gan = ganlab.GAN.load(shipped("03_mlp_gan"), device="cpu")
    p = gan.provenance
    assert p is not None and p["steps"] == gan.step and p["seconds"] == pytest.approx(gan.elapsed, abs=0.1)
    machine = RESULTS["machine"]
    assert p["torch"] == machine["torch"] and p["device"] == machine["device"] and p["threads"] == machine["threads"]
    assert checkpoints.read(shipped("03_mlp_gan"))["compact"]


def test_the_shipped_conditional_gan_gives_back_its_recorded_scores():
    """Notebook 07's cell: every digit asked for with the same 500 style codes, read by the shipped classifier."""
    from ganlab import conditional

    gan = ganlab.GAN.load(shipped("07_conditional_gan"), device="cpu")
    recorded = RESULTS["notebooks"]["07"]["numbers"]
    assert isinstance(gan, conditional.ConditionalGAN) and gan.step == recorded["steps"]["value"]
    asked = conditional.requested_digit_scores(gan, n_per_class=500, seed=0)
    assert asked["accuracy"] == pytest.approx(recorded["read_as_asked"]["value"], abs=1e-6)
    assert asked["accuracy"] >= 0.95 and asked["per_class"].min() == pytest.approx(recorded["worst_digit"]["value"], abs=1e-6)
