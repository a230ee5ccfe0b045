"""The command that made notebook 05b's shipped MNIST robustness result (ganlab/_data/reference/05b_mnist_robustness-*.pt).

    GANLAB_REFERENCE_EXPORT=ganlab/_data/reference OMP_NUM_THREADS=1 python docs/probes/make_05b_mnist_robustness.py

It runs the notebook's own cached call (section 4 of notebooks/05b_losses_in_detail.ipynb) in full
mode, with the same settings, so the file it exports is the one reference mode finds: MLPs of 4
hidden layers of 128 tanh units, no batch norm, on MNIST (the 8,000 shipped training digits),
3 seeds, 8,000 generator steps, each method at its own settings (robustness.MNIST_METHODS).

How the setting was chosen (short single-seed probes, seed 0, 4 x 128 tanh, batches of 64,
1,000 samples scored): the GAN at lr 1e-4 and 2e-4 ended at 0% confident and Frechet 774 and
811 after 3,000 steps, at 1e-3 at 5% and 410; WGAN-GP at Algorithm 1's settings reached 15%
and 418 after 4,800 steps and 22% and 366 after 6,400, still falling; 4 x 256 and 3 x 512 cost 2-4x
as much per step (docs/probes/wgan_robustness_mnist.py). Single-threaded on the shared 2-core CPU:
1,114 s wall on 2026-12-07 (WGAN-GP about 250 s a run, the GAN about 50 s).
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
mnist_setup = dict(methods=robustness.MNIST_METHODS, hidden=(128,) * 4, activation="tanh", seeds=(0, 1, 2),
                   steps=ganlab.budget(full=8000, quick=4), every=ganlab.budget(full=1000, quick=2),
                   n_samples=ganlab.budget(full=2000, quick=100))
print("keys:", ganlab.runtime.keys("05b_mnist_robustness", dict(mnist_setup, device=device.type)), flush=True)
started = time.time()
runs = ganlab.runtime.cached("05b_mnist_robustness", lambda: robustness.mnist_compare(device=device, **mnist_setup),
                             settings=dict(mnist_setup, device=device.type))
for name, row in robustness.mnist_table(runs).items():
    print(name, row, flush=True)
print(f"done in {time.time() - started:.0f} s", flush=True)
