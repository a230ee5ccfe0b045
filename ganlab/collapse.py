"""Mode collapse, measured: GAN variants on a toy mixture, several seeds, one table.

    rows = compare({"GAN": dict(loss="minimax"), "WGAN-GP": dict(loss="wgan-gp")},
                   target="grid25", seeds=5, steps=10_000)
    print(table(rows))
    history = coverage_over_time(gan, data, "ring8", steps=5000, every=250)

Every variant is a set of recipes.toy_gan settings (a loss, a discriminator option,
a trainer option), so a remedy is a small delta, never a new training loop. The
measure is metrics.mode_coverage on 2,500 samples: modes covered and the share of
high-quality samples (within 3 std of a mode), averaged over seeds, as in the
VEEGAN and PacGAN papers.
"""
import multiprocessing
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed

import torch
from tqdm.auto import tqdm

from . import data as _data
from . import metrics as _metrics
from . import recipes as _recipes
from .runtime import resolve_device


def run(settings, target="grid25", seed=0, steps=10_000, n_samples=2500, device=None, data_size=50_000):
    """Train one toy GAN with `settings` and measure it; returns dict(covered, high_quality, seconds, samples)."""
    real = _data.toy(target, data_size, seed=1000 + seed, device=device)
    gan = _recipes.toy_gan(seed=seed, device=device, **settings)
    gan.fit(real, steps=steps, progress=False)
    samples = gan.sample(n_samples, seed=10_000 + seed).cpu()
    cov = _metrics.mode_coverage(samples, target)
    return dict(covered=cov["covered"], high_quality=cov["high_quality"], seconds=gan.elapsed,
                samples=samples, n_modes=cov["n_modes"])


def compare(variants, target="grid25", seeds=5, steps=10_000, device=None, workers=None, progress=True):
    """Run every variant ({name: toy_gan settings}) for `seeds` seeds; returns {name: row}.

    A row holds per-seed lists (covered, high_quality, seconds), their means, and the
    samples of the first seed (for plotting).
    workers: CPU processes training in parallel, one thread each (default: up to 4, one
    per core; 1 on a GPU). These small networks keep one core busy with little work,
    so runs side by side finish sooner than one run using every core.
    """
    device = resolve_device(device)
    if workers is None:
        workers = 1 if device.type != "cpu" else max(1, min(4, os.cpu_count() or 1))
    jobs = [(name, s) for name in variants for s in range(seeds)]
    results = {}
    bar = tqdm(total=len(jobs), desc=f"{len(variants)} variants x {seeds} seeds on {target}",
               disable=not progress)
    if workers > 1:
        context = multiprocessing.get_context("spawn")      # safe with threads and notebooks
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_setup,
                                 initargs=(sys.path,)) as pool:
            futures = {pool.submit(run, variants[name], target, seed=s, steps=steps, device="cpu"): (name, s)
                       for name, s in jobs}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(1)
    else:
        for name, s in jobs:
            bar.set_postfix_str(name)
            results[(name, s)] = run(variants[name], target, seed=s, steps=steps, device=device)
            bar.update(1)
    bar.close()
    rows = {}
    for name, s in jobs:                      # in the order given, whatever order they finished
        r = results[(name, s)]
        row = rows.setdefault(name, dict(covered=[], high_quality=[], seconds=[], n_modes=r["n_modes"],
                                         samples=r["samples"], settings=dict(variants[name]), steps=steps))
        for key in ("covered", "high_quality", "seconds"):
            row[key].append(r[key])
    for row in rows.values():
        row["mean_covered"] = statistics.mean(row["covered"])
        row["mean_high_quality"] = statistics.mean(row["high_quality"])
    return rows


def _worker_setup(path):
    sys.path[:] = path                      # the notebook's path, so ganlab imports as it does there
    torch.set_num_threads(1)


def table(rows, target="grid25"):
    """The comparison as text: per row, steps, mean (and range over seeds) of modes covered and % high quality."""
    lines = [f"{'variant':<34} {'steps':>6} {'modes covered':>18} {'high quality':>20} {'s / run':>8}",
             "-" * 90]
    for name, r in rows.items():
        k = r["n_modes"]
        lines.append(f"{name:<34} {r['steps']:6d} {r['mean_covered']:5.1f} / {k} ({min(r['covered'])}-{max(r['covered'])})"
                     f"{100 * r['mean_high_quality']:10.1f}% ({100 * min(r['high_quality']):.0f}-"
                     f"{100 * max(r['high_quality']):.0f}%) {statistics.mean(r['seconds']):8.1f}")
    return "\n".join(lines)


def best(rows):
    """The name of the row with the most modes covered on average, ties broken by quality."""
    return max(rows, key=lambda n: (round(rows[n]["mean_covered"], 6), rows[n]["mean_high_quality"]))


def coverage_over_time(gan, data, target, steps, every, n_samples=2500, progress=True):
    """Train `gan` on `data`, measuring coverage every `every` steps.

    Returns dict(step (T,), counts (T, K): high-quality samples per mode, nearest (T, K):
    all samples by their nearest mode, high quality or not, covered (T,), high_quality
    (T,), samples: a list of T sample tensors), the record that shows a collapsed
    generator hopping from mode to mode.
    """
    centres, _ = _data.toy_modes(target)
    out = dict(step=[], counts=[], nearest=[], covered=[], high_quality=[], samples=[])
    z = gan.noise(n_samples, seed=12_345)
    for _ in tqdm(range(max(1, steps // every)), desc="training, measuring coverage", disable=not progress):
        gan.fit(data, steps=every, progress=False)
        samples = gan.sample(z=z).cpu()
        cov = _metrics.mode_coverage(samples, target)
        out["step"].append(gan.step)
        out["counts"].append(cov["counts"])
        out["nearest"].append(torch.bincount(torch.cdist(samples, centres.cpu()).argmin(1), minlength=len(centres)))
        out["covered"].append(cov["covered"])
        out["high_quality"].append(cov["high_quality"])
        out["samples"].append(samples[:1000])
    out["counts"], out["nearest"] = torch.stack(out["counts"]), torch.stack(out["nearest"])
    return out
