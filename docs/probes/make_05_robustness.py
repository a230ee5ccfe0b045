"""The command that made notebook 05's shipped robustness result (ganlab/_data/reference/05_robustness-*.pt).

    GANLAB_REFERENCE_EXPORT=ganlab/_data/reference OMP_NUM_THREADS=1 python docs/probes/make_05_robustness.py

It runs the notebook's own cached call (section 5 of notebooks/05_wgan.ipynb) in full mode, with the
same settings, so the file it exports is the one reference mode finds. Single-threaded on a CPU:
about 30 minutes (the WGAN-GP runs are most of it).
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
robust_setup = dict(methods=robustness.METHODS, target="ring8", hidden=(128,) * 6, activation="tanh",
                    seeds=(0, 1, 2), steps=ganlab.budget(full=2000, quick=2), every=ganlab.budget(full=500, quick=1),
                    n_samples=ganlab.budget(full=2500, quick=500))
print("keys:", ganlab.runtime.keys("05_robustness", dict(robust_setup, device=device.type)), flush=True)
started = time.time()
runs = ganlab.runtime.cached("05_robustness", lambda: robustness.compare(device=device, **robust_setup),
                             settings=dict(robust_setup, device=device.type))
for name, row in robustness.table(runs).items():
    print(name, row, flush=True)
print(f"done in {time.time() - started:.0f} s", flush=True)
