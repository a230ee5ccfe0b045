"""What would the WGAN-GP authors' toy run cost here? A few dozen steps timed, 100,000 projected.

    python -m benchmarks.wgan_gp_toy                # about a minute on a 2-core CPU
    python -m benchmarks.wgan_gp_toy --steps 20 --threads 1

The toy experiment of the WGAN-GP paper (Gulrajani et al. 2017; the authors' gan_toy.py)
trains a generator and a critic of 3 hidden ReLU layers of 512 units each, noise in 2
dimensions, batches of 256, 5 critic updates per generator update, gradient penalty
weight 0.1, Adam (lr 1e-4, betas 0.5 and 0.9), for 100,000 generator iterations. Here the
same networks and settings are built with ganlab (recipes.toy_gan), trained on the ring
for a few warm-up steps and then timed for --steps steps (one step = 5 critic updates and
one generator update, as one of their iterations), and the time of 100,000 is projected.
Notebook 05's own toy WGAN-GP, 2 hidden layers of 128, is timed beside it for scale.
"""
import argparse
import time

import torch

import ganlab
from ganlab import recipes

AUTHORS_ITERATIONS = 100_000
AUTHORS = dict(loss="wgan-gp", latent_dim=2, hidden=(512, 512, 512), batch_size=256, n_critic=5,
               penalty_weight=0.1, lr=1e-4, betas=(0.5, 0.9))
SETUPS = {
    "gan_toy.py's networks (3 x 512)": AUTHORS,
    "notebook 05's networks (2 x 128)": dict(AUTHORS, hidden=(128, 128)),
}


def seconds_per_step(settings, steps, warmup=3, device="cpu"):
    """(wall, CPU) seconds per generator step (with its critic updates), after `warmup` untimed steps.

    On a shared machine the wall time includes waiting for a core; the process's CPU time
    does not (with one thread it is what the step costs on a core of its own)."""
    gan = recipes.toy_gan(seed=0, device=device, **settings)
    ring = ganlab.data.toy("ring8", 20_000, seed=0, device=device)
    gan.fit(ring, steps=warmup, progress=False)
    wall, cpu = time.perf_counter(), time.process_time()
    gan.fit(ring, steps=steps, progress=False)
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="timed steps per setup (default 40)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be 1 or more")
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"CPU, {torch.get_num_threads()} thread(s); {args.steps} timed steps per setup "
          f"(one step: 5 critic updates, then one generator update)")
    out = {}
    for name, settings in SETUPS.items():
        wall, cpu = out[name] = seconds_per_step(settings, args.steps)
        print(f"{name:34} per step {1000 * wall:6.1f} ms wall, {1000 * cpu:6.1f} ms CPU -> "
              f"{AUTHORS_ITERATIONS:,} steps: {wall * AUTHORS_ITERATIONS / 3600:5.1f} h wall, "
              f"{cpu * AUTHORS_ITERATIONS / 3600:5.1f} h CPU")
    if torch.get_num_threads() > 1:
        print("(with several threads the CPU time adds up every thread's time)")
    return out


if __name__ == "__main__":
    main()
