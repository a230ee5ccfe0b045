"""Probe (issue 30): where does WGAN-GP train and the standard GAN, at the better of two learning rates, not?

    python docs/probes/wgan_robustness_ring8.py ring8 2000      # prints one JSON line per (architecture, method, lr)

ring8, 3 seeds, 2,000 generator steps, batch 256, z in 2 dimensions, 2,500 samples scored with
ganlab.metrics.mode_coverage. GAN: non-saturating loss, Adam betas (0.5, 0.999). WGAN-GP: the
toy settings of the WGAN-GP authors' gan_toy.py (lambda 0.1, 5 critic steps, Adam 1e-4,
betas (0.5, 0.9)), but 2,000 instead of 100,000 generator steps. Results: docs/experiments.md.
"""
import sys, json, time, itertools
import torch
torch.set_num_threads(1)
import os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
import ganlab
from ganlab import models, metrics, data
from ganlab.training import GAN

def build(arch, seed):
    torch.manual_seed(seed)
    width, depth, act = arch
    g = models.mlp_generator(latent_dim=2, hidden=(width,) * depth, out_shape=(2,), activation=act, output=None)
    d = models.mlp_discriminator(in_shape=(2,), hidden=(width,) * depth, activation=act)
    return g, d

def run(arch, method, lr, seed, steps, target):
    g, d = build(arch, seed)
    if method == "gan":
        gan = GAN(g, d, loss="non-saturating", lr=lr, betas=(0.5, 0.999), batch_size=256, seed=seed)
    elif method == "gp":
        gan = GAN(g, d, loss="wgan-gp", lr=lr, betas=(0.5, 0.9), n_critic=5, penalty_weight=0.1, batch_size=256, seed=seed)
    real = data.toy(target, 100_000, seed=1000 + seed)
    t = time.time()
    gan.fit(real, steps=steps, progress=False)
    s = gan.sample(2500, seed=10_000 + seed)
    cov = metrics.mode_coverage(s, target)
    return dict(covered=cov["covered"], hq=cov["high_quality"], sec=time.time() - t)

target = sys.argv[1]; steps = int(sys.argv[2])
archs = [(128, 2, "relu"), (128, 6, "tanh"), (512, 3, "relu")]
for arch in archs:
    for method, lrs in (("gan", (1e-4, 1e-3)), ("gp", (1e-4,))):
        for lr in lrs:
            rows = [run(arch, method, lr, s, steps, target) for s in range(3)]
            print(json.dumps(dict(arch=arch, method=method, lr=lr, covered=[r["covered"] for r in rows],
                                  hq=[round(r["hq"], 3) for r in rows], sec=round(sum(r["sec"] for r in rows), 1))), flush=True)
