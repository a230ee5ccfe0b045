"""The computations notebooks 06 and 06b added in December 2026, run on their own in full mode.

Notebook 06's full run takes over two hours; these are its new cached computations only, with
the same settings as the notebook cells that load them (so the same cache keys):

    GANLAB_REFERENCE_EXPORT=ganlab/_data/reference OMP_NUM_THREADS=1 python scripts/compute_06_additions.py

writes their reference files (one thread, one run after another). `--quick` runs the same
code at quick-mode sizes, without exporting; `--only 06b` runs only notebook 06b's computation (`--only 06b-gaps`: only its
grid measurements with D at G's rate and the unrolled GAN's longer runs; `--only 06b-grid-longer`: only
the grid's longer one), `--only 06-remedies` only 06's remedies
table (`--workers 2`: two single-threaded processes side by side).
"""
import sys
import time

import torch

import ganlab
from ganlab import collapse, recipes

quick = "--quick" in sys.argv
ganlab.set_mode("quick" if quick else "full")
torch.set_num_threads(1)
device = torch.device("cpu")
t0 = time.time()
only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None


def log(text):
    print(f"[{(time.time() - t0) / 60:5.1f} min] {text}", flush=True)


# notebook 06, section 1: the timeline, now with its seed in the key
COLLAPSING = dict(latent_dim=16)
TIMELINE_SEED = 1
timeline_steps = ganlab.budget(full=6000, quick=900)


def watch():
    gan = recipes.toy_gan(seed=TIMELINE_SEED, device=device, **COLLAPSING)
    ring = ganlab.data.toy("ring8", 50_000, seed=0, device=device)
    return collapse.coverage_over_time(gan, ring, "ring8", steps=timeline_steps, every=timeline_steps // 30,
                                       progress=False)


if only in (None, "06"):
    timeline = ganlab.runtime.cached("06_timeline", watch,
                                     settings=dict(gan=COLLAPSING, seed=TIMELINE_SEED, steps=timeline_steps))
    log(f"timeline: covered at the end {timeline['covered'][-1]}")

# notebook 06, section 3: the baseline, every seed's samples kept; WGAN-GP at its own settings
remedy_steps = ganlab.budget(full=3000, quick=60)
seeds = ganlab.budget(full=5, quick=2)
BASELINE = {"collapsing GAN (z in 16 dims)": COLLAPSING}
if only in (None, "06"):
    baseline = ganlab.runtime.cached("06_baseline_seeds", lambda: collapse.compare(
        BASELINE, target="ring8", seeds=seeds, steps=remedy_steps, device=device, workers=1, progress=False,
        every_seed=True), settings=dict(variants=BASELINE, steps=remedy_steps, seeds=seeds, every_seed=True))
    b = baseline["collapsing GAN (z in 16 dims)"]
    log(f"baseline: covered {b['covered']}, top share {[round(t, 2) for t in b['top_share']]}")

    WGAN_GP_OWN = {"+ WGAN-GP, its own settings": dict(COLLAPSING, loss="wgan-gp", lr=1e-4, betas=(0.5, 0.9),
                                                        n_critic=5, penalty_weight=0.1)}
    wgan_at = ganlab.budget(full=(1000, 2000), quick=(20,))
    wgan = ganlab.runtime.cached("06_wgan_gp_own", lambda: collapse.compare(
        WGAN_GP_OWN, target="ring8", seeds=seeds, steps=remedy_steps, at=wgan_at, device=device, workers=1,
        progress=False, every_seed=True),
        settings=dict(variants=WGAN_GP_OWN, steps=remedy_steps, at=wgan_at, seeds=seeds, every_seed=True))
    w = next(iter(wgan.values()))
    log(f"WGAN-GP own: covered {w['covered']}, high quality {[round(h, 3) for h in w['high_quality']]}")

# notebook 06, section 3: the remedies table (its shipped file predates the trainer's change of batch order;
# `--only 06-remedies` recomputes it with the current trainer, about 22 CPU-minutes at the recorded times)
REMEDIES = {
    "collapsing GAN (z in 16 dims)": COLLAPSING,
    "+ minibatch std in D": dict(COLLAPSING, minibatch_std=True),
    "+ packing (pack 2)": dict(COLLAPSING, pack=2),
    "+ unrolled D (5 steps)": dict(COLLAPSING, unroll=5),
    "+ WGAN-GP": dict(COLLAPSING, loss="wgan-gp", lr=1e-3),
    "z in 2 dims instead": dict(COLLAPSING, latent_dim=2),
}
if only in (None, "06", "06-remedies"):
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 1
    rows = ganlab.runtime.cached("06_remedies", lambda: collapse.compare(
        REMEDIES, target="ring8", seeds=seeds, steps=remedy_steps, device=device, workers=workers,
        progress=False), settings=dict(variants=REMEDIES, steps=remedy_steps, seeds=seeds))
    for name, r in rows.items():
        log(f"{name}: covered {r['covered']}, high quality {[round(h, 3) for h in r['high_quality']]}")

# notebook 06b: the plain GAN at the unrolled GAN's demo settings on the ring (seed 0), twice as long as
# the 5-seed table, as the demo has it and with D learning at G's rate
GAP = {"GAN (unroll=0)": dict(unroll=0), "GAN, D at G's rate": dict(unroll=0, d_lr=1e-3)}
gap_steps = ganlab.budget(full=10_000, quick=20)
gap_at = ganlab.budget(full=(2500, 5000, 7500), quick=(10,))
if only in (None, "06b"):
    gap = ganlab.runtime.cached("06b_demo_longer", lambda: collapse.compare(
        GAP, target="ring8", seeds=1, steps=gap_steps, at=gap_at, recipe="unrolled", device=device, workers=1,
        progress=False, every_seed=True),
        settings=dict(variants=GAP, steps=gap_steps, at=gap_at, seeds=1, recipe=recipes.METZ_TOY))
    for name, r in gap.items():
        log(f"{name}: " + ", ".join(f"{p['step']}: {p['covered']:.0f} / {p['high_quality']:.1%}" for p in r["trend"]))
# notebook 06b: the unrolled GAN itself with D at G's rate, seed 0, half the 5-seed table's steps
FAST_D = {"unrolled, D at G's rate": dict(unroll=5, d_lr=1e-3)}
fast_steps = ganlab.budget(full=2500, quick=10)
if only in (None, "06b"):
    fast = ganlab.runtime.cached("06b_unrolled_fast_d", lambda: collapse.compare(
        FAST_D, target="ring8", seeds=1, steps=fast_steps, recipe="unrolled", device=device, workers=1,
        progress=False, every_seed=True),
        settings=dict(variants=FAST_D, steps=fast_steps, seeds=1, recipe=recipes.METZ_TOY))
    for name, r in fast.items():
        log(f"{name}: {r['covered']} / {r['high_quality']}")
# notebook 06b: the same measurement on the grid: the plain and the unrolled GAN with D at G's rate, seed 0,
# the ring's step count
GRID_FAST_D = {"GAN, D at G's rate": dict(unroll=0, d_lr=1e-3), "unrolled, D at G's rate": dict(unroll=5, d_lr=1e-3)}
if only in (None, "06b", "06b-gaps"):
    grid_fast = ganlab.runtime.cached("06b_grid_fast_d", lambda: collapse.compare(
        GRID_FAST_D, target="grid25", seeds=1, steps=fast_steps, recipe="unrolled", device=device, workers=1,
        progress=False, every_seed=True),
        settings=dict(variants=GRID_FAST_D, target="grid25", steps=fast_steps, seeds=1, recipe=recipes.METZ_TOY))
    for name, r in grid_fast.items():
        log(f"grid, {name}: {r['covered']} / {r['high_quality']}")
# notebook 06b: the unrolled GAN with D at G's rate on the grid for three times as long, measured along the way
GRID_LONGER = {"unrolled, D at G's rate": dict(unroll=5, d_lr=1e-3)}
grid_longer_steps = ganlab.budget(full=7500, quick=20)
grid_longer_at = ganlab.budget(full=(2500, 5000), quick=(10,))
if only in (None, "06b", "06b-gaps", "06b-grid-longer"):
    grid_longer = ganlab.runtime.cached("06b_grid_unrolled_longer", lambda: collapse.compare(
        GRID_LONGER, target="grid25", seeds=1, steps=grid_longer_steps, at=grid_longer_at, recipe="unrolled",
        device=device, workers=1, progress=False, every_seed=True),
        settings=dict(variants=GRID_LONGER, target="grid25", steps=grid_longer_steps, at=grid_longer_at, seeds=1,
                      recipe=recipes.METZ_TOY))
    for name, r in grid_longer.items():
        log(f"grid, {name}: " + ", ".join(f"{p['step']}: {p['covered']:.0f} / {p['high_quality']:.1%} / "
                                          f"{p['pull_toward']:.0%}" for p in r["trend"]))
# notebook 06b: the unrolled GAN at the demo's settings on the ring (seed 0), twice the 5-seed table's steps
LONGER = {"unrolled (5 steps)": dict(unroll=5)}
longer_steps = ganlab.budget(full=10_000, quick=20)
longer_at = ganlab.budget(full=(2500, 5000, 7500), quick=(10,))
if only in (None, "06b", "06b-gaps"):
    longer = ganlab.runtime.cached("06b_unrolled_longer", lambda: collapse.compare(
        LONGER, target="ring8", seeds=1, steps=longer_steps, at=longer_at, recipe="unrolled", device=device,
        workers=1, progress=False, every_seed=True),
        settings=dict(variants=LONGER, steps=longer_steps, at=longer_at, seeds=1, recipe=recipes.METZ_TOY))
    for name, r in longer.items():
        log(f"{name}: " + ", ".join(f"{p['step']}: {p['covered']:.0f} / {p['high_quality']:.1%}" for p in r["trend"]))
# notebook 06b: the projections of real and blurry packs (kept, so that reference mode need not redo them)
ALONE_PACKS, BLUR = (1, 2, 4), 0.3
projected_n = ganlab.budget(full=100_000, quick=20_000)
KEPT = 20_000


def projections():
    out = {}
    for pack in ALONE_PACKS:
        seen = collapse.projected_difference(pack, blur=BLUR, n=projected_n)
        out[pack] = dict(seen, real=seen["real"][:KEPT], fake=seen["fake"][:KEPT])
    return out


if only in (None, "06b"):
    seen = ganlab.runtime.cached("06b_projected", projections,
                                 settings=dict(packs=ALONE_PACKS, blur=BLUR, n=projected_n, kept=KEPT))
    log("projections: " + ", ".join(f"pack {p}: {s['difference'] / s['floor']:.2f}" for p, s in seen.items()))
log("done")
