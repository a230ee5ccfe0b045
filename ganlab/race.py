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
import functools
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


def at_images(gan, data, images, n=1000, seed=1, progress=False, log=None):
    """Train `gan` until it has been shown each count in `images` and score it there, with no time limit.

    The same scoring as scored() (n samples from fixed noise `seed`, classifier.digit_scores), at
    the first step at or past each count. For one long run scored where another recipe was
    scored (notebook 04: the DCGAN at the MLP's image counts). progress: a bar in images.
    Returns a list of dicts as scored() returns them, all with at="images"; an interrupt ends it early.
    log: a list to append the points to as they are taken (to watch a long run, or keep its points).
    """
    z = gan.noise(n, seed=seed)
    per_step = gan.batch_size * gan.n_critic
    start = gan.elapsed
    marks = sorted(int(c) for c in images)
    bar = tqdm(total=marks[-1] if marks else 0, unit="img", unit_scale=True,
               desc=f"training to {len(marks)} image counts", disable=not progress)
    log = [] if log is None else log
    for mark in marks:
        steps = -(-mark // per_step) - gan.step
        if steps > 0:
            gan.fit(data, steps=steps, progress=False)
            if gan.interrupted:
                break
        bar.n = min(images_seen(gan), bar.total)
        bar.refresh()
        s = _classifier.digit_scores(gan.sample(z=z))
        log.append(dict(seconds=gan.elapsed - start, step=gan.step, images=images_seen(gan), at="images",
                        **{k: s[k] for k in SCORES}))
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


def image_counts(result, name):
    """Every image count at which contender `name` was scored (both kinds, seed means rounded), in order."""
    return sorted({round(p["images"]) for at in ("images", "time") for p in points(result, name, at)})


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


# notebook 04's two contenders, by the names its kept results use
DCGAN, MLP = "DCGAN (dcgan_tuned)", "MLP GAN (notebook 03)"


def dcgan_against_mlp(data, width, seconds, seeds, n, device=None):
    """Notebook 04's race, kept as "04_race" (ganlab.runtime.cached): recipes.dcgan_tuned at G's
    `width` with D twice as wide, first, against notebook 03's recipes.mlp_mnist, `seconds` each
    from `seeds` seeds, scored on n samples at 6 even times (run). Returns run's result."""
    from . import recipes, runtime
    device = runtime.resolve_device(device)
    contenders = {DCGAN: functools.partial(recipes.dcgan_tuned, width=width, d_width=2 * width),
                  MLP: recipes.mlp_mnist}
    return runtime.cached("04_race", lambda: run(contenders, data, seconds, seeds=seeds, points=6, n=n,
                                                 device=device), settings=dict(
        seconds=seconds, seeds=seeds, points=6, n=n, width=width, dcgan=recipes.DCGAN_TUNED,
        mlp=recipes.MLP_MNIST, device=device.type, digits=len(data)))


def dcgan_at_mlp_counts(result, data, width, n, counts=None, device=None):
    """Notebook 04's per-image run, kept as "04_per_image": one recipes.dcgan_tuned from seed 0
    (as in dcgan_against_mlp), trained with no time limit to every image count at which the
    race `result` scored the MLP (image_counts; the first `counts` of them, all if None) and
    scored there as the race scores (at_images). Returns at_images' list of points."""
    from . import recipes, runtime
    device = runtime.resolve_device(device)
    marks = image_counts(result, MLP)[:counts]

    def compute():
        gan = recipes.dcgan_tuned(width=width, d_width=2 * width, seed=0, device=device)
        return at_images(gan, data, marks, n=n, progress=True)
    return runtime.cached("04_per_image", compute, settings=dict(
        images=marks, seed=0, n=n, width=width, dcgan=recipes.DCGAN_TUNED, device=device.type, digits=len(data)))


def lead(a, b):
    """Where `a`'s lead over `b` ends, from their scored points at the same image counts, in order.

    "Ahead" means ahead on both scores: more confident samples and a lower Fréchet distance.
    Returns (ahead, behind): `a` is ahead at the first `ahead` points, and `b` is ahead at every
    point from index `behind` on (None when `b` is not ahead at the last point).
    """
    def beats(x, y):
        return x["confident"] > y["confident"] and x["frechet"] < y["frechet"]
    pairs = list(zip(a, b))
    ahead = next((k for k, (x, y) in enumerate(pairs) if not beats(x, y)), len(pairs))
    behind = next((k for k in range(len(pairs)) if all(beats(y, x) for x, y in pairs[k:])), None)
    return ahead, behind


def per_image_numbers(long_run, mlp, result):
    """Notebook 04's per-image numbers, {key: (value, fmt, label)} for ganlab.results.record.

    long_run: the DCGAN's points at the MLP's image counts (dcgan_at_mlp_counts); mlp: the MLP's
    points at those counts (points(), seed means); result: the race (dcgan_against_mlp), whose
    seed-0 DCGAN run the long run repeats from the same seed, for how far two such runs differ.
    """
    ahead, behind = lead(long_run, mlp)
    counts = [round(p["images"]) for p in mlp]
    race_end = [p for p in result[DCGAN][0] if p["at"] == "time"][-1]       # the race's seed 0 at 150 s
    near = min(long_run, key=lambda p: abs(p["images"] - race_end["images"]))
    out = {}
    for who, pts in (("dcgan", long_run), ("mlp", mlp)):
        for key, fmt, what in (("confident", "{:.0%}", "confident"), ("frechet", "{:.0f}", "Fréchet")):
            out[f"per_image_{who}_{key}"] = ([p[key] for p in pts], fmt,
                                             f"per image, {who.upper()} at the MLP's image counts: {what}")
    out["per_image_counts"] = (counts, "{:,}", "per image: the MLP's image counts (seed means)")
    out["lead_last_images"] = (counts[ahead - 1] if ahead else 0, "{:,}",
                               "per image: the DCGAN ahead on both scores at every count up to")
    out["mlp_ahead_images"] = (counts[behind] if behind is not None else None, "{:,}",
                               "per image: the MLP ahead on both scores from this count on")
    out["lead_last_margin"] = (100 * (long_run[ahead - 1]["confident"] - mlp[ahead - 1]["confident"]) if ahead
                               else 0.0, "{:.1f}", "per image: the DCGAN's lead in confident % at its last lead")
    out["seed0_long_confident"] = (near["confident"], "{:.1%}",
                                   f"per image, the long seed-0 DCGAN run at {round(near['images']):,} images: confident")
    out["seed0_race_confident"] = (race_end["confident"], "{:.1%}",
                                   f"race, its seed-0 DCGAN run at {race_end['images']:,} images: confident")
    out["last_images"] = (counts[-1], "{:,}", "per image: the last count")
    for who, p in (("mlp", mlp[-1]), ("dcgan", long_run[-1])):
        out[f"{who}_last_confident"] = (p["confident"], "{:.1%}", f"per image, {who.upper()} at the last count: confident")
        out[f"{who}_last_frechet"] = (p["frechet"], "{:.1f}", f"per image, {who.upper()} at the last count: Fréchet")
    return out


def plot_per_image(long_run, mlp, result):
    """Notebook 04's per-image figure: confident % and Fréchet distance against images shown to D.

    Lines: the MLP's seed means (mlp) and the DCGAN's long seed-0 run (long_run), both at the MLP's
    image counts. Bands: lowest to highest seed, for the MLP and for the race's own DCGAN runs
    (points(result, DCGAN, "time"), as far as their 150 s took them). Returns the figure."""
    import matplotlib.pyplot as plt

    from . import plots
    seeds = len(result[MLP])
    dc_race = points(result, DCGAN, "time")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    for ax, (key, factor, label) in zip(axes, (("confident", 100, "% confidently one digit"),
                                               ("frechet", 1, "Fréchet (lower is better)"))):
        for pts, name, what in ((mlp, MLP, f"MLP: lowest to highest of its {seeds} race seeds"),
                                (dc_race, DCGAN, f"DCGAN: lowest to highest of its {seeds} race seeds (150 s)")):
            ax.fill_between([p["images"] / 1000 for p in pts], [p[key + "_low"] * factor for p in pts],
                            [p[key + "_high"] * factor for p in pts], color=plots.colour(name), alpha=0.2,
                            lw=0, label=what)
        ax.plot([p["images"] / 1000 for p in mlp], [p[key] * factor for p in mlp], "o-", ms=4,
                color=plots.colour(MLP), label=f"MLP GAN (notebook 03), mean of {seeds} seeds")
        ax.plot([p["images"] / 1000 for p in long_run], [p[key] * factor for p in long_run], "s-", ms=4,
                color=plots.colour(DCGAN), label="DCGAN (dcgan_tuned), one longer run from seed 0")
        plots.log_x(ax).set_xlabel("thousands of images shown to D")
        ax.set_ylabel(label)
    plots.log_y(axes[1])
    axes[0].set_title("per image: confident samples")
    axes[1].set_title("per image: Fréchet distance")
    plots.legend_outside(axes[1])
    return fig
