"""Mode collapse, measured: GAN variants on a toy mixture, several seeds, one table.

    rows = compare({"GAN": {}, "+ packing": dict(pack=2)}, target="grid25", seeds=5, steps=10_000)
    print(table(rows))
    rows = compare({"PacGAN4": dict(pack=4)}, recipe="pacgan", target="ring8", steps=6000, at=(2000, 4000))
    history = coverage_over_time(gan, data, "ring8", steps=5000, every=250)
    pull = mode_pull(gan, gan.sample(2500, seed=0), "grid25")      # which way G's loss moves samples
    alone = discriminator_alone(pack=4, steps=3000, every=500)     # a PacGAN D against fixed blurry fakes
    seen = projected_difference(pack=4)        # how different real and blurry packs look along one direction

Every variant is a set of settings for one recipe (recipes.toy_gan; recipes.pacgan_toy for
the PacGAN paper's networks; recipes.unrolled_toy for the unrolled GAN's demo setup), so a
remedy is a small delta, never a new training loop. The measure is metrics.mode_coverage on
2,500 samples: modes covered, the share of high-quality samples (within 3 std of a mode) and
PacGAN's reverse KL, averaged over seeds, as in the VEEGAN and PacGAN papers; `at` also
measures at earlier steps of the same runs, to show whether a gap is a matter of time. Each
measurement also records `mode_pull`: for the samples that are not high quality, whether the
gradient G learns from moves them towards their nearest mode, which is what sharpens a
blurry generator.
"""
import math
import multiprocessing
import os
import signal
import statistics
import sys
import threading
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed

import torch
from tqdm.auto import tqdm

from . import data as _data
from . import metrics as _metrics
from . import recipes as _recipes
from .runtime import kind, resolve_device

RECIPES = {"toy": _recipes.toy_gan, "pacgan": _recipes.pacgan_toy, "unrolled": _recipes.unrolled_toy}
NUMBERS = ("covered", "high_quality", "reverse_kl", "top_share")
PULL = ("pull_toward", "pull_cos")         # measured along a trend, not shown in the table


def run(settings, target="grid25", seed=0, steps=10_000, n_samples=2500, device=None, data_size=100_000,
        recipe="toy", at=()):
    """Train one toy GAN and measure it at `steps` (and at each step count in `at`).

    Returns dict(covered, high_quality, reverse_kl, top_share, seconds, samples, n_modes,
    trend), where trend is a list of the same numbers with their step, one per measurement.
    """
    real = _data.toy(target, data_size, seed=1000 + seed, device=device)
    gan = RECIPES[recipe](seed=seed, device=device, **settings)
    trend = []
    for mark in sorted({int(m) for m in at if 0 < m < steps} | {int(steps)}):
        gan.fit(real, steps=mark - gan.step, progress=False)
        samples = gan.sample(n_samples, seed=10_000 + seed).cpu()
        cov = _metrics.mode_coverage(samples, target)
        cov["top_share"] = top_share(samples, target)
        pull = mode_pull(gan, samples, target)
        trend.append(dict(step=gan.step, **{k: cov[k] for k in NUMBERS},
                          pull_toward=pull["toward"], pull_cos=pull["cos"]))
    return dict(trend[-1], seconds=gan.elapsed, samples=samples, n_modes=cov["n_modes"], trend=trend)


def compare(variants, target="grid25", seeds=5, steps=10_000, device=None, workers=None, progress=True,
            recipe="toy", at=(), every_seed=False):
    """Run every variant ({name: settings}) for `seeds` seeds; returns {name: row}.

    A row holds per-seed lists (covered, high_quality, reverse_kl, seconds), their means,
    the mean trend over `at`, and the samples of the first seed (for plotting); with
    every_seed=True also each seed's samples ("seed_samples") and trend ("seed_trends"),
    to show the seeds one by one.
    workers: CPU processes training in parallel, one thread each (default: up to 4, one
    per core; 1 on a GPU). These small networks keep one core busy with little work,
    so runs side by side finish sooner than one run using every core. The processes stay
    up between calls (starting them takes seconds) and close with Python; close_workers()
    closes them sooner. A call that fails or is interrupted stops its runs and closes them.
    """
    device = resolve_device(device)
    if workers is None:
        workers = 1 if kind(device) != "cpu" else max(1, min(4, os.cpu_count() or 1))
    if workers > 1 and kind(device) != "cpu":
        warnings.warn(f"workers={workers}: the runs train in CPU processes, not on {device}; give workers=1 to "
                      f"train them on {device}", stacklevel=2)
    jobs = [(name, s) for name in variants for s in range(seeds)]
    results = {}
    bar = tqdm(total=len(jobs), desc=f"{len(variants)} variants x {seeds} seeds on {target}",
               disable=not progress)
    kwargs = dict(target=target, steps=steps, recipe=recipe, at=tuple(at))
    if workers > 1:
        pool = _pool(workers)
        try:
            futures = {pool.submit(run, variants[name], seed=s, device="cpu", **kwargs): (name, s)
                       for name, s in jobs}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(1)
        except BaseException:                 # interrupted, or a run failed: stop the other runs too
            close_workers(stop_running=True)
            bar.close()
            raise
    else:
        for name, s in jobs:
            bar.set_postfix_str(name)
            results[(name, s)] = run(variants[name], seed=s, device=device, **kwargs)
            bar.update(1)
    bar.close()
    rows = {}
    for name, s in jobs:                      # in the order given, whatever order they finished
        r = results[(name, s)]
        row = rows.setdefault(name, dict({k: [] for k in NUMBERS + ("seconds", "trends")},
                                         n_modes=r["n_modes"], samples=r["samples"],
                                         settings=dict(variants[name]), steps=steps, recipe=recipe))
        for key in NUMBERS + ("seconds",):
            row[key].append(r[key])
        row["trends"].append(r["trend"])
        if every_seed:
            row.setdefault("seed_samples", []).append(r["samples"])
            row.setdefault("seed_trends", []).append(r["trend"])
    for row in rows.values():
        for key in NUMBERS:
            row[f"mean_{key}"] = statistics.mean(row[key])
        row["trend"] = [dict(step=points[0]["step"], **{k: _mean([p[k] for p in points]) for k in NUMBERS + PULL})
                        for points in zip(*row.pop("trends"))]
    return rows


def _mean(values):
    """The mean of the finite values (nan when there are none: e.g. no sample was off its mode)."""
    finite = [v for v in values if math.isfinite(v)]
    return statistics.mean(finite) if finite else float("nan")


def mode_pull(gan, samples, target):
    """Which way G's loss would move its samples that are off every mode (not high quality).

    For each such sample x, the direction G's update pushes it, -d loss_G / dx through D's
    scores (packed as D packs), is compared with the direction from x to its nearest mode
    centre. Returns dict(toward: the share pushed towards that mode (cosine > 0; about 0.5
    when the push is unrelated to where the modes are), cos: the mean cosine (1 = straight
    at it), off_mode: how many samples were measured). A generator whose discriminator has
    learnt where the modes are is pulled onto them; that is how a blurry generator sharpens.
    """
    centres, std = _data.toy_modes(target)
    x = samples.detach().float().to(gan.device)
    x = x[: x.shape[0] - x.shape[0] % gan.pack].clone().requires_grad_(True)
    was_training = gan.discriminator.training
    gan.discriminator.eval()
    try:
        (grad,) = torch.autograd.grad(gan.loss.g_loss(gan.score(x)), x)
    finally:
        gan.discriminator.train(was_training)
    x, push = x.detach().cpu(), -grad.cpu()
    distance, nearest = torch.cdist(x, centres.cpu()).min(1)
    off = distance > 3 * std
    if not off.any():
        return dict(toward=float("nan"), cos=float("nan"), off_mode=0)
    cos = torch.nn.functional.cosine_similarity(push[off], centres.cpu()[nearest[off]] - x[off], dim=1)
    return dict(toward=float((cos > 0).float().mean()), cos=float(cos.mean()), off_mode=int(off.sum()))


def discriminator_alone(pack, steps, every, blur=0.3, target="grid25", seed=0, device=None, progress=True):
    """Train only a PacGAN-paper discriminator (recipes.pacgan_toy) against a generator that never
    changes: fakes = the mode centres + N(0, blur²), several times wider than the real modes.

    Every `every` steps it measures, on 2,500 held-out real samples and 2,500 fixed fakes
    that D never trains on, D's accuracy (its share of packs judged right) and `mode_pull`
    of the fakes. The same D, optimizer and fakes for every `pack`: only how many samples D
    judges at once changes. Returns dict(step, accuracy, toward, cos), each a list.
    """
    gan = _recipes.pacgan_toy(pack=pack, seed=seed, device=device)
    centres, _ = _data.toy_modes(target)
    centres = centres.to(gan.device)
    g = torch.Generator(device=gan.device).manual_seed(seed)

    def blurry(n, generator):
        pick = torch.randint(len(centres), (n,), generator=generator, device=gan.device)
        return centres[pick] + blur * torch.randn(n, 2, generator=generator, device=gan.device)

    real = _data.toy(target, 100_000, seed=1000 + seed, device=gan.device)
    batches = gan.batches(real, gan.batch_size)
    held_real = _data.toy(target, 2500, seed=2000 + seed, device=gan.device)      # not in D's training pool
    held_fake = blurry(2500, torch.Generator(device=gan.device).manual_seed(seed + 1))
    out = dict(step=[], accuracy=[], toward=[], cos=[])
    for step in tqdm(range(1, steps + 1), desc=f"D alone, pack {pack}", disable=not progress):
        gan.d_update(batches(), blurry(gan.batch_size, g))
        if step % every == 0 or step == steps:
            with torch.no_grad():
                right = 0.5 * ((gan.score(held_real) > 0).float().mean() + (gan.score(held_fake) < 0).float().mean())
            pull = mode_pull(gan, held_fake, target)
            for key, value in (("step", step), ("accuracy", float(right)), ("toward", pull["toward"]),
                               ("cos", pull["cos"])):
                out[key].append(value)
    return out


def top_share(samples, target):
    """The largest share of samples that have one and the same mode as their nearest: 1 / K for
    an even spread, 1 when every sample piles up by one mode (high quality or not)."""
    centres, _ = _data.toy_modes(target)
    nearest = torch.cdist(samples.detach().float().cpu(), centres.cpu()).argmin(1)
    return float(torch.bincount(nearest, minlength=len(centres)).max() / len(nearest))


_POOL = {}       # the worker processes, kept between calls: starting them costs seconds each time


def _pool(workers):
    """The pool of `workers` spawned processes (made on first use, then reused; made again
    when a worker has died, e.g. killed, since the pool cannot run without it)."""
    key = (workers, tuple(sys.path))
    if _POOL.get("key") != key or set(_POOL.get("pids", ())) - set(worker_pids()):
        close_workers()
        context = multiprocessing.get_context("spawn")      # safe with threads and notebooks
        started = context.SimpleQueue()                     # each worker puts its process id here
        _POOL.update(key=key, started=started, pids=set(),
                     pool=ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_setup,
                                              initargs=(list(key[1]), started)))
    return _POOL["pool"]


def worker_pids():
    """The process ids of compare()'s worker processes that are alive now."""
    started = _POOL.get("started")
    while started is not None and not started.empty():
        _POOL["pids"].add(started.get())
    alive = {child.pid for child in multiprocessing.active_children()}
    return sorted(set(_POOL.get("pids", ())) & alive)


def close_workers(stop_running=False):
    """Close compare()'s worker processes (the next call starts new ones, e.g. after you edit
    ganlab). stop_running: end runs still in progress too, as an interrupted call does."""
    running = worker_pids() if stop_running else []
    pool = _POOL.pop("pool", None)
    _POOL.clear()
    if pool is None:
        return
    pool.shutdown(wait=False, cancel_futures=True)        # drops the queued runs
    for pid in running:                                   # and this ends the ones under way
        os.kill(pid, signal.SIGTERM)


def _worker_setup(path, started):
    sys.path[:] = path                      # the notebook's path, so ganlab imports as it does there
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Jupyter's interrupt reaches the whole group: the kernel handles it
    torch.set_num_threads(1)
    started.put(os.getpid())
    threading.Thread(target=_exit_with_parent, daemon=True).start()


def _exit_with_parent():
    """A worker whose kernel was killed would otherwise wait for work for ever."""
    multiprocessing.parent_process().join()         # returns when the parent process has ended
    os._exit(0)


def _spread(values, scale=1.0, digits=1):
    """'mean (lowest-highest)' of a list, e.g. '17.8 (12-24)'."""
    fmt = f"{{:.{digits}f}}"
    lo, hi = min(values) * scale, max(values) * scale
    return f"{fmt.format(statistics.mean(values) * scale)} ({lo:.0f}-{hi:.0f})"


def table(rows, published=None):
    """The comparison as text: per row, steps, modes covered, % high quality and reverse KL,
    each as the mean over seeds with the lowest and highest seed, and the mean seconds of
    training per run; beside them the published
    numbers when `published` ({row name: (modes, high quality %, reverse KL or None)}) has the row."""
    published = published or {}
    head = f"{'variant':<30} {'steps':>6} {'modes covered':>16} {'high quality %':>16} {'reverse KL':>11} {'s / run':>8}"
    if published:
        head += f"   {'published: modes, HQ %, rKL':>28}"
    lines = [head, "-" * len(head)]
    for name, r in rows.items():
        k = r["n_modes"]
        finite = [v for v in r["reverse_kl"] if math.isfinite(v)]
        rkl = f"{statistics.mean(finite):.2f}" if len(finite) == len(r["reverse_kl"]) else "inf"
        line = (f"{name:<30} {r['steps']:6d} {_spread(r['covered']):>11} / {k:<2} "
                f"{_spread(r['high_quality'], 100):>16} {rkl:>11} {statistics.mean(r['seconds']):8.1f}")
        if name in published:
            modes, hq, kl = published[name]
            line += f"   {modes:>11} / {k:<2} {hq:5.1f}  " + ("   -" if kl is None else f"{kl:5.2f}")
        lines.append(line)
    return "\n".join(lines)


def best(rows):
    """The name of the row with the most modes covered on average, ties broken by quality."""
    return max(rows, key=lambda n: (round(rows[n]["mean_covered"], 6), rows[n]["mean_high_quality"]))


def coverage_over_time(gan, data, target, steps, every, n_samples=2500, progress=True):
    """Train `gan` on `data`, measuring coverage every `every` steps.

    Returns dict(step (T,), counts (T, K): high-quality samples per mode, nearest (T, K):
    all samples by their nearest mode, high quality or not, covered (T,), high_quality
    (T,), spread (T,): the samples' standard deviation, averaged over x and y, samples: a
    list of T sample tensors), the record that shows a collapsed generator hopping from
    mode to mode.
    """
    centres, _ = _data.toy_modes(target)
    out = dict(step=[], counts=[], nearest=[], covered=[], high_quality=[], spread=[], samples=[])
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
        out["spread"].append(float(samples.std(0).mean()))
        out["samples"].append(samples[:1000])
    out["counts"], out["nearest"] = torch.stack(out["counts"]), torch.stack(out["nearest"])
    return out


def projected_difference(pack, blur=0.3, target="grid25", directions=200, n=100_000, seed=0):
    """How different real packs and packs of blurry fakes look along one direction.

    A unit of D's first layer sees a pack only through linear projections of its 2 · pack
    coordinates. This draws n real packs and n packs of blurry fakes (the mode centres +
    N(0, blur²)), projects both on `directions` random unit directions and measures the 1D
    Wasserstein distance between the two projected samples. Returns dict(difference: its
    mean over directions, floor: the same between two independent real samples, what
    sampling noise alone gives, real, fake: the projections on the first direction, for
    a histogram). Each projection of a pack adds up several independent samples, which
    smooths away the fine structure that tells real from blurry.
    """
    g = torch.Generator().manual_seed(seed)
    centres, std = _data.toy_modes(target)
    centres = centres.cpu()

    def packs(spread):
        x = centres[torch.randint(len(centres), (n * pack,), generator=g)]
        return (x + spread * torch.randn(n * pack, 2, generator=g)).reshape(n, 2 * pack)

    real, other_real, fake = packs(std), packs(std), packs(blur)
    w = torch.randn(2 * pack, directions, generator=g)
    w = w / w.norm(dim=0)

    def w1(a, b):                         # per direction: mean gap between the sorted projections
        return float(((a @ w).sort(0).values - (b @ w).sort(0).values).abs().mean())

    return dict(difference=w1(real, fake), floor=w1(real, other_real), real=real @ w[:, 0], fake=fake @ w[:, 0])
