"""Re-take the snapshots of a shipped MNIST model by replaying its training run step for step.

    python scripts/replay_snapshots.py 03_mlp_gan 04_dcgan 07_conditional_gan
    python scripts/replay_snapshots.py 03_mlp_gan --check 200      # replay 200 steps, compare, write nothing

The models notebooks 03, 04 and 07 ship were trained on 2026-12-01 with snapshots kept at 8 evenly
spaced steps, so their strips jumped from noise to finished digits. The series' snapshot rule now
keeps them at 1, 2 and 5 times each power of ten images seen (ganlab.style.snapshot_images). Taking
a snapshot changes nothing in training (tests/test_recipes.py), so replaying the same run with the
new rule gives the same model with new snapshots. This script rebuilds each model from its recipe
and seed, trains it for the shipped number of steps on the same data and thread count (2; other
counts round differently), and keeps the new snapshots only if the replay is the shipped run:
every point of the shipped history equal, the generator and its weight average equal bit for bit,
the discriminator equal at the half precision it is shipped in. Anything else writes nothing.

One difference from today's trainer is put back by hand: on 2026-12-01, fit's shape check drew its
batch from the trainer's random stream (changed on 2026-12-06, so that resuming is exact), so the
replay makes that one draw before training.
"""
import glob
import sys
import time
from pathlib import Path

import torch

import ganlab
from ganlab import checkpoints, conditional, recipes
from ganlab import store as _store

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "ganlab" / "_data" / "reference"


def recipe(name, images, labels):
    """The build function and training data of each shipped model, as its notebook calls them."""
    return {
        "03_mlp_gan": (recipes.mlp_mnist, images),
        "04_dcgan": (lambda device=None: recipes.dcgan_tuned(width=16, d_width=32, seed=0, device=device), images),
        "07_conditional_gan": (recipes.conditional_mnist, conditional.pairs(images, labels)),
    }[name]


def differences(shipped, gan, steps):
    """What differs between the shipped run and the replay (an empty list: the same run)."""
    found = []
    history = shipped["history"]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        for s, value in zip(history["step"], history[key]):
            if s <= steps and gan.history[key][s - 1] != value:
                found.append(f"history {key} at step {s}: shipped {value}, replay {gan.history[key][s - 1]}")
                break
    if steps == shipped["step"]:
        for part, half in (("generator", False), ("ema_generator", False), ("discriminator", True)):
            mine = getattr(gan, part).state_dict()
            for k, v in shipped[part].items():
                ours = mine[k].half() if half and mine[k].is_floating_point() else mine[k]
                if not torch.equal(ours.cpu(), v):
                    found.append(f"{part} {k} differs")
                    break
    return found


def replay(name, check=None):
    path = Path(glob.glob(str(REFERENCE / f"{name}-*.pt"))[0])
    shipped = torch.load(path, weights_only=True)
    steps = check or shipped["step"]
    images, labels = ganlab.data.mnist(device="cpu")
    build, data = recipe(name, images, labels)
    gan = build(device="cpu")
    torch.randint(data.shape[0], (gan.batch_size,), generator=gan.rng)     # the 2026-12-01 shape check's draw
    kept = recipes.Snapshots(gan, n_fixed=32, fixed_seed=123)
    if not torch.equal(kept.fixed_z.cpu().half(), shipped["extras"]["fixed_z"]):
        sys.exit(f"{name}: the fixed codes differ from the shipped ones; nothing written")
    started = time.perf_counter()
    kept.fit(data, steps=steps, progress=False)
    found = differences(shipped, gan, steps)
    if not any(st <= steps for st in shipped["history"]["step"]):
        found.append(f"no point of the shipped history at or before step {steps} to compare")
    print(f"{name}: replayed {steps:,} steps in {time.perf_counter() - started:.0f} s on "
          f"{torch.get_num_threads()} threads; {'the same run' if not found else 'NOT the same run: ' + '; '.join(found)}")
    if found or check is not None:
        return not found
    small = checkpoints.compact_extras(gan.extras)                      # as a compact copy keeps them
    shipped["extras"]["snapshots"], shipped["images_8bit"] = small["snapshots"], list(checkpoints.IMAGE_KEYS)
    shipped["extras"]["snapshot_steps"] = list(gan.extras["snapshot_steps"])
    shipped["provenance"]["snapshots"] = ("re-taken at the series' snapshot moments by replaying the run "
                                          f"(scripts/replay_snapshots.py, {time.strftime('%Y-%m-%d')}); the "
                                          "replay's history and weights equal the shipped ones")
    _store.write(path, lambda tmp: torch.save(shipped, tmp))
    print(f"  {len(gan.extras['snapshot_steps'])} snapshots at steps {gan.extras['snapshot_steps']} -> {path.name}")
    return True


if __name__ == "__main__":
    torch.set_num_threads(2)                      # the shipped runs' thread count (their provenance)
    args = sys.argv[1:]
    check = int(args[args.index("--check") + 1]) if "--check" in args else None
    unknown = [a for a in args if a.startswith("--") and a != "--check"]
    if unknown or (check is not None and check < 1):
        sys.exit(f"usage: replay_snapshots.py NAME... [--check STEPS>0]; not understood: {unknown or check}")
    names = [a for a in args if not a.startswith("--") and not a.isdigit()]
    ok = [replay(name, check) for name in names]
    sys.exit(0 if all(ok) else 1)
