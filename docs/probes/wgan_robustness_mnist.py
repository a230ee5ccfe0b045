"""Probe (issue 30, MNIST half): one method, one learning rate, one seed on MNIST with MLPs of constant width.

    OMP_NUM_THREADS=1 python docs/probes/wgan_robustness_mnist.py 128 4 tanh gan 1e-3 3000 [seed]
    OMP_NUM_THREADS=1 B1=0.5 python docs/probes/wgan_robustness_mnist.py 128 4 tanh gp 1e-4 2500

Arguments: width, depth, activation, method (gan: non-saturating, Adam betas (0.5, 0.999); gp:
WGAN-GP at recipes.WGAN_SETTINGS, lambda 10, 5 critic steps, betas (B1 or 0, 0.9)), learning rate,
generator steps, seed. Batches of 64; 1,000 samples scored with classifier.digit_scores at 8 even
points; one line per point (step, confident share, Frechet distance, seconds so far).

What it printed on the shared 2-core CPU (2026-12-07, seed 0, 4 x 128 tanh), which chose the
setting of docs/probes/make_05b_mnist_robustness.py:
  GAN lr 1e-4, 3,000 steps: 0% confident, Frechet 774 (25 s); lr 2e-4: 0%, 811; lr 1e-3: 5%, 410
  WGAN-GP, betas (0, 0.9): Frechet 924 -> 805 -> 696 -> 537 -> 462 -> 418 -> 402 -> 366 at steps
     800 ... 6,400 (15% -> 22% confident), 206 s; at 1,500 steps, betas (0.5, 0.9): Frechet 814, 3 x 128: 707
  4 x 256 and 3 x 512: 2 to 4 times the time per WGAN-GP step (about 80 and 170 ms), too slow for the budget
"""
import sys, time, json, os, warnings
import torch
torch.set_num_threads(1)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from ganlab import models, data, classifier, recipes
from ganlab.training import GAN
warnings.filterwarnings("ignore")
width, depth, act = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
method, lr, steps = sys.argv[4], float(sys.argv[5]), int(sys.argv[6])
seed = int(sys.argv[7]) if len(sys.argv) > 7 else 0
images, _ = data.mnist()
torch.manual_seed(seed)
g = models.mlp_generator(latent_dim=64, hidden=(width,)*depth, activation=act)
d = models.mlp_discriminator(hidden=(width,)*depth, activation=act)
if method == "gan":
    gan = GAN(g, d, loss="non-saturating", lr=lr, betas=(0.5, 0.999), batch_size=64, seed=seed)
else:
    s = dict(recipes.WGAN_SETTINGS["wgan-gp"]); s["lr"] = lr; s["betas"] = (float(os.environ.get("B1", s["betas"][0])), 0.9)
    gan = GAN(g, d, loss="wgan-gp", batch_size=64, seed=seed, **s)
t = time.time(); out = []
for mark in range(steps // 8, steps + 1, steps // 8):
    gan.fit(images, steps=mark - gan.step, progress=False)
    sc = classifier.digit_scores(gan.sample(1000, seed=5))
    out.append((gan.step, round(sc["confident"], 3), round(sc["frechet"], 1), round(time.time() - t)))
    print(sys.argv[1:], os.environ.get("B1",""), out[-1], flush=True)
print(os.environ.get("B1",""), json.dumps(dict(arch=(width, depth, act), method=method, lr=lr, seed=seed, trend=out)), flush=True)
