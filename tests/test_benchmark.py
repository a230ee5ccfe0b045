"""The speed benchmark runs end to end and reports numbers that hang together.

It times nothing against a target (targets live in the benchmark's output, read
by a person); this only checks that a user's `python -m benchmarks.training` works.
"""
import json

import torch

from benchmarks import training as bench


def test_benchmark_runs_and_writes_json(tmp_path):
    out = tmp_path / "speed.json"
    rows, latency, dcgan_rows = bench.main(["--seconds", "0.3", "--json", str(out)])
    saved = json.loads(out.read_text())
    assert [r["batch_size"] for r in saved["rows"]] == [32, 128, 64]
    for r in rows:
        assert r["reference_images_per_s"] > 0 and r["ganlab_images_per_s"] > 0
        assert r["ratio"] == r["ganlab_images_per_s"] / r["reference_images_per_s"]
        # nothing runs faster than its compute bound
        assert r["ganlab_images_per_s"] < r["bound_images_per_s"]
    assert set(latency) == {"MLP", "DCGAN"} and all(v > 0 for v in latency.values())
    names = [r["variant"] for r in saved["dcgan_rows"]]
    assert names[:2] == ["paper, float32, plain layout", "paper, float32, channels-last"]
    assert names[-1] == "tuned (recipes.dcgan_tuned)"
    for r in dcgan_rows:
        assert len(r["rounds"]) == 3 and all(v > 0 for v in r["rounds"])
        assert 0 < r["share_of_float32_bound"] < (2 if "bfloat16" in r["variant"] else 1)
    assert dcgan_rows[0]["ratio_to_plain"] == 1.0
    # the tuned recipe's D is twice as wide: more arithmetic per image than the paper's
    assert dcgan_rows[-1]["mflop_per_image"] > 1.5 * dcgan_rows[0]["mflop_per_image"]


def test_variants_are_timed_in_turns(monkeypatch):
    """Every round times each variant once, in the order given, before the next round starts."""
    order = []

    class Fake:
        device, batch_size, step = torch.device("cpu"), 4, 0

        def __init__(self, name):
            self.name = name

        def fit(self, data, steps=None, seconds=None, progress=False):
            order.append((self.name, "warm" if steps else "timed"))
            self.step += steps or 3

    speeds = bench.time_variants({"a": lambda: Fake("a"), "b": lambda: Fake("b")}, None, seconds=0.01, rounds=2)
    assert order == [("a", "warm"), ("b", "warm")] + [("a", "timed"), ("b", "timed")] * 2
    assert set(speeds) == {"a", "b"} and all(len(v) == 2 and v[0] > 0 for v in speeds.values())


def test_flop_count_matches_the_layers():
    """The MLP step's FLOPs, by hand: every Linear's multiply-adds in each pass."""
    batch = 8
    g = [(64, 256), (256, 256), (256, 784)]
    d = [(784, 256), (256, 256), (256, 1)]
    mac = lambda layers: sum(a * b for a, b in layers) * batch
    # G: forward, backward (input and weight grads; no input grad into z's layer)
    g_flops = 2 * (mac(g) + mac(g) + mac(g[1:]))
    # D: 3 forwards (real, detached fake, fake for G); 2 weight-grad backwards for D's step
    # (real, fake; no input grads for D's first layer), 1 backward for G's step with
    # input grads all the way and weight grads (D's weights do take part in autograd there)
    d_flops = 2 * (3 * mac(d) + 2 * (mac(d) + mac(d[1:])) + 2 * mac(d))
    assert bench.step_flops(bench.mlp, batch, torch.device("cpu")) == g_flops + d_flops
