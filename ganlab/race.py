"""A fair race between MNIST GAN recipes: scored at equal images seen and at equal seconds, over seeds.

    result = race.run({"DCGAN": recipes.dcgan_tuned, "MLP GAN": recipes.mlp_mnist}, images, seconds=150)
    print(race.table(result))

Each contender trains for the same seconds from each seed and is scored by the shipped
classifier (classifier.digit_scores on n samples from fixed noise) at `points` evenly spaced
times. The first contender's scored points also fix *image counts* (real images shown to D:
steps x batch size x D updates per step), and every later contender is scored again at the
first step at or past each count (exactly at it when the batch sizes match, as in notebook
04). So each question has its own scored points: per second, the even times; per image, the
first contender's image counts. Put the slower contender first, so the others reach its
counts within their time.
"""
import statistics

from tqdm.auto import tqdm

from . import classifier as _classifier

SCORES = ("confident", "frechet", "digits_present", "inception")


def images_seen(gan):
    """Real images shown to D so far: one batch per D update."""
    return gan.step * gan.batch_size * gan.n_critic


def scored(gan, data, seconds, points=6, images=(), n=1000, seed=1, batch_size=None, progress=False):
    """Train `gan` for `seconds`, scoring at `points` even times and at each count in `images`.

    The one scored-training loop of ganlab (train_scored is this, at even times only).
    Times count from the call; image counts are totals since the GAN's first step (images_seen).
    progress: a bar in seconds of training.

    Returns a list of dicts (seconds, step, images, at="time" or "images", and SCORES), in
    the order they were taken. An image count not reached within the time is skipped.
    """
    z = gan.noise(n, seed=seed)
    per_step = (batch_size or gan.batch_size) * gan.n_critic
    start = gan.elapsed
    bar = tqdm(total=round(seconds), unit="s", desc=f"{seconds:.0f} s of training, scored {points} times",
               disable=not progress)
    times = [start + seconds * (k + 1) / points for k in range(points)]
    marks = sorted(int(c) for c in images)
    log = []
    while times:
        to_mark = max(0, -(-marks[0] // per_step) - gan.step) if marks else None
        if to_mark != 0:        # train until the next image count or the next time, whichever comes first
            gan.fit(data, steps=to_mark, seconds=max(times[0] - gan.elapsed, 1e-3), batch_size=batch_size,
                    progress=False)
            bar.n = round(min(gan.elapsed - start, seconds))
            bar.refresh()
            if gan.interrupted:
                break
        at = []
        if marks and images_seen(gan) >= marks[0]:
            marks.pop(0)
            at.append("images")
        if gan.elapsed >= times[0]:
            times.pop(0)
            at.append("time")
        if at:
            s = _classifier.digit_scores(gan.sample(z=z))
            log += [dict(seconds=gan.elapsed - start, step=gan.step, images=images_seen(gan), at=kind,
                         **{k: s[k] for k in SCORES}) for kind in at]
    bar.close()
    return log


def run(contenders, data, seconds, seeds=3, points=6, n=1000, device=None, progress=True):
    """Race {name: build} (build(seed=, device=) -> GAN) for `seconds` each, from `seeds` seeds.

    Returns {name: [log per seed]} with each log as scored() returns it.
    """
    names = list(contenders)
    out = {name: [] for name in names}
    bar = tqdm(total=len(names) * seeds, desc=f"race: {len(names)} recipes x {seeds} seeds x {seconds:.0f} s",
               disable=not progress)
    for s in range(seeds):
        marks = ()
        for i, name in enumerate(names):
            gan = contenders[name](seed=s, device=device)
            log = scored(gan, data, seconds, points=points, images=marks, n=n)
            if i == 0:         # its points at even times are its per-image points too
                marks = [p["images"] for p in log if p["at"] == "time"]
                log += [dict(p, at="images") for p in log if p["at"] == "time"]
            out[name].append(log)
            bar.update(1)
    bar.close()
    return out


def points(result, name, at):
    """The scored points of one contender, kind `at` ("time" or "images"), averaged over seeds.

    Returns a list of dicts: seconds, images, and for each score its mean, lowest and
    highest seed (e.g. confident, confident_low, confident_high); only points every seed reached.
    """
    runs = [[p for p in log if p["at"] == at] for log in result[name]]
    k = min(len(r) for r in runs)
    rows = []
    for j in range(k):
        here = [r[j] for r in runs]
        row = dict(seconds=statistics.mean(p["seconds"] for p in here),
                   images=statistics.mean(p["images"] for p in here))
        for key in SCORES:
            values = [p[key] for p in here]
            row.update({key: statistics.mean(values), f"{key}_low": min(values), f"{key}_high": max(values)})
        rows.append(row)
    return rows


def table(result, at="images"):
    """The race as text, one line per scored point and contender: mean (lowest-highest) over seeds."""
    seeds = len(next(iter(result.values())))
    what = "equal images shown to D" if at == "images" else "equal seconds of training"
    lines = [f"at {what}, mean (lowest-highest) over {seeds} seeds",
             f"{'recipe':>24} {'seconds':>8} {'images':>9} {'confident %':>18} {'Fréchet':>18}"]
    for name in result:
        for p in points(result, name, at):
            lines.append(f"{name:>24} {p['seconds']:8.0f} {p['images']:9,.0f} "
                         f"{_spread(p, 'confident', 100):>18} {_spread(p, 'frechet'):>18}")
    return "\n".join(lines)


def _spread(p, key, scale=1):
    return f"{p[key] * scale:.1f} ({p[key + '_low'] * scale:.1f}-{p[key + '_high'] * scale:.1f})"


def wins(result, a, b, at="images"):
    """At how many of the scored points after the first `a` beat `b` on both scores (seed means:
    more confident samples and a lower Fréchet distance), and how many points there were."""
    pa, pb = points(result, a, at)[1:], points(result, b, at)[1:]
    k = min(len(pa), len(pb))
    won = sum(x["confident"] > y["confident"] and x["frechet"] < y["frechet"] for x, y in zip(pa[:k], pb[:k]))
    return won, k


def train_scored(gan, data, seconds, points=6, batch_size=None, n=1000, seed=1, progress=True):
    """Train `gan` for `seconds` of training time and score it at `points` evenly spaced times.

    Each time it scores n samples from the same fixed noise (seed) with digit_scores.
    Returns a dict of lists (also appended to gan.extras["scores"]): seconds (the GAN's
    total training time), step, confident, digits_present, inception, frechet. Equal *time*,
    not equal steps, is the fair way to compare models whose steps cost different amounts.
    (ganlab.race.scored does the training and scoring; it can also score at image counts.)
    """
    log = gan.extras.setdefault("scores", {k: [] for k in (
        "seconds", "step", "confident", "digits_present", "inception", "frechet")})
    start = gan.elapsed
    for p in scored(gan, data, seconds, points=points, n=n, seed=seed, batch_size=batch_size, progress=progress):
        log["seconds"].append(start + p["seconds"])
        for key in ("step", "confident", "digits_present", "inception", "frechet"):
            log[key].append(p[key])
    return log
