"""The command that made notebook 05's shipped equal-cost result (ganlab/_data/reference/05_equal_cost-*.pt).

    GANLAB_REFERENCE_EXPORT=ganlab/_data/reference OMP_NUM_THREADS=1 python docs/probes/make_05_equal_cost.py

It runs the notebook's own cached call (section 6 of notebooks/05_wgan.ipynb) in full mode, with the
same settings, so the file it exports is the one reference mode finds: notebook 02's small ReLU
networks (2 x 128) on the ring, each method at its own settings, 3 seeds; the GAN for 2,000
generator steps, WGAN-GP for 1,000, both measured every 100 steps with the training time so far.
Single-threaded on a shared 2-core CPU: about 10 minutes.
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
torch.set_num_threads(1)
import ganlab                      # noqa: E402
from ganlab import robustness      # noqa: E402

ganlab.set_mode("full")
device = torch.device("cpu")
cost_steps = {"GAN, lr 1e-4": ganlab.budget(full=2000, quick=5), "GAN, lr 1e-3": ganlab.budget(full=2000, quick=5),
              "WGAN-GP": ganlab.budget(full=1000, quick=2)}
cost_setup = dict(methods=robustness.METHODS, target="ring8", hidden=(128,) * 2, activation="relu",
                  seeds=(0, 1, 2), steps=cost_steps, every=ganlab.budget(full=100, quick=1),
                  n_samples=ganlab.budget(full=2500, quick=500))
print("keys:", ganlab.runtime.keys("05_equal_cost", dict(cost_setup, device=device.type)), flush=True)
started = time.time()
cost_runs = ganlab.runtime.cached("05_equal_cost", lambda: robustness.compare(device=device, **cost_setup),
                                  settings=dict(cost_setup, device=device.type))
for name, row in robustness.table(cost_runs).items():
    print(name, row, flush=True)
print(f"done in {time.time() - started:.0f} s", flush=True)
