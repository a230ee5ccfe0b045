"""How fast does ganlab train here, next to a tutorial-style loop?

    python -m benchmarks.training                  # a table, about two minutes on a 2-core CPU
    python -m benchmarks.training --json out.json  # the same numbers as JSON too
    python -m benchmarks.training --seconds 3      # shorter timings (noisier)

For each model (the MLP GAN at batch 32 and 128, the DCGAN of notebook 04) it
times two loops that do the same training:

- reference: the loop as the popular tutorials write it: a torchvision MNIST
  dataset with ToTensor + Normalize transforms, a shuffling DataLoader that
  builds every batch from single PIL images, BCE-with-logits losses, plain Adam,
  one generated batch shared by D's and G's updates, and loss.item() logged;
- ganlab: GAN.fit on the same models, losses, optimizer settings and batch size,
  with the data as one tensor on the device.

It reports images per second, their ratio, a full epoch of 60,000 images
extrapolated, and a lower bound on time: the FLOPs of one training step
(counted by torch's FlopCounterMode on the reference step: G forward, D forward
and backward on real and fake, D forward and backward for G's update, G
backward) divided by this machine's measured matmul throughput.

Then the DCGAN step alone, in ganlab's trainer: the paper's recipe with the plain memory
layout, with channels-last (every pixel's channels side by side, the layout oneDNN's CPU
convolutions prefer), with bfloat16 arithmetic on top where the device has it natively, and
notebook 04's tuned recipe. They are timed in turns, round after round, because a shared
machine's speed drifts by tens of percent within minutes; the ratio is taken within each round.
Last, the latency of a latent slider: from a slider move to the new PNG in the widget.

Offline, torchvision's MNIST is not on disk; the reference then reads the
10,000 shipped test digits through the same torchvision class (copied into a
temporary folder in its raw format), so its per-image work is the same.
"""
import argparse
import copy
import gzip
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import ganlab
from ganlab import models, widgets
from ganlab.training import GAN


# ---------------------------------------------------------------- data for the reference loop

def torchvision_mnist(transform):
    """torchvision's MNIST dataset: the training split if on disk, else the shipped digits."""
    from torchvision.datasets import MNIST

    try:
        return MNIST(ganlab.data.data_root(), train=True, download=False, transform=transform), "train"
    except Exception:
        pass
    root = Path(tempfile.mkdtemp(prefix="ganlab-bench-")) / "MNIST" / "raw"
    root.mkdir(parents=True)
    for kind in ("images-idx3", "labels-idx1"):
        raw = gzip.decompress((ganlab.data.SHIPPED / f"t10k-{kind}-ubyte.gz").read_bytes())
        (root / f"t10k-{kind}-ubyte").write_bytes(raw)
        # torchvision checks that the training files exist too before reading the test split
        shutil.copy(root / f"t10k-{kind}-ubyte", root / f"train-{kind}-ubyte")
    return MNIST(root.parent.parent, train=False, download=False, transform=transform), "shipped test"


def reference_loader(batch_size, workers):
    from torch.utils.data import DataLoader
    from torchvision import transforms

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    dataset, split = torchvision_mnist(tf)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True, num_workers=workers), split


# ---------------------------------------------------------------- the two loops

def reference_step(G, D, opt_g, opt_d, real, latent_dim, device, log):
    """One step as the tutorials write it (models return logits, so BCE-with-logits)."""
    real = real.to(device)
    ones = torch.ones(real.shape[0], 1, device=device)
    zeros = torch.zeros(real.shape[0], 1, device=device)
    fake = G(torch.randn(real.shape[0], latent_dim, device=device))
    d_loss = (F.binary_cross_entropy_with_logits(D(real), ones)
              + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    log.append((d_loss.item(), g_loss.item()))


def time_reference(make, batch_size, seconds, device, workers, warmup=20):
    G, D, latent_dim, lr, betas = make()
    G, D = G.to(device), D.to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    loader, split = reference_loader(batch_size, workers)
    log, steps, start = [], 0, None
    while True:
        for real, _ in loader:
            reference_step(G, D, opt_g, opt_d, real, latent_dim, device, log)
            steps += 1
            if start is None and steps == warmup:
                _sync(device)
                start, steps = time.perf_counter(), 0
            elif start is not None and time.perf_counter() - start > seconds:
                _sync(device)
                return steps * batch_size / (time.perf_counter() - start), split


def time_ganlab(make, batch_size, seconds, device, data, warmup=20):
    G, D, latent_dim, lr, betas = make()
    gan = GAN(G, D, loss="non-saturating", lr=lr, betas=betas, device=device, seed=0)
    gan.fit(data, steps=warmup, batch_size=batch_size, progress=False)
    _sync(device)
    start = time.perf_counter()
    gan.fit(data, seconds=seconds, batch_size=batch_size, progress=False)
    _sync(device)
    return (gan.step - warmup) * batch_size / (time.perf_counter() - start)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


# ---------------------------------------------------------------- the compute bound

def step_flops(make, batch_size, device):
    """FLOPs of one reference training step, counted by torch (backward included)."""
    from torch.utils.flop_counter import FlopCounterMode

    G, D, latent_dim, lr, betas = make()
    G, D = G.to(device), D.to(device)
    opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    real = torch.zeros(batch_size, 1, 28, 28)
    with FlopCounterMode(display=False) as counter:
        reference_step(G, D, opt_g, opt_d, real, latent_dim, device, [])
    return counter.get_total_flops()


def matmul_flops_per_second(device, n=1024, repeats=20, dtype=torch.float32, tries=5):
    """Measured matmul throughput (n x n by n x n, in `dtype`), the best of a few runs."""
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    best = 0.0
    for _ in range(tries):
        a @ b
        _sync(device)
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        _sync(device)
        best = max(best, 2 * n ** 3 * repeats / (time.perf_counter() - start))
    return best


# ---------------------------------------------------------------- slider latency

def slider_latency_ms(gan, moves=50):
    """Median time from setting a latent slider's value to the widget holding the new PNG."""
    sliders = widgets.LatentSliders(gan, dims=range(4), seed=0)
    times = []
    for i in range(moves):
        start = time.perf_counter()
        sliders.sliders[i % 4].value = round(-2 + 4 * (i / moves), 2)
        _sync(gan.device)
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times)[len(times) // 2]


# ---------------------------------------------------------------- the models

def mlp():      # notebook 03's published recipe: 64 -> 256 -> 256 -> 784, ReLU, Adam(2e-4)
    return (models.mlp_generator(latent_dim=64), models.mlp_discriminator(activation="relu"),
            64, 2e-4, (0.9, 0.999))


def dcgan():    # notebook 04's DCGAN: z of 100, width 16, Adam(2e-4, beta1 0.5)
    return (models.dcgan_generator(latent_dim=100, width=16), models.dcgan_discriminator(width=16),
            100, 2e-4, (0.5, 0.999))


CASES = [("MLP GAN", mlp, 32), ("MLP GAN", mlp, 128), ("DCGAN w16", dcgan, 64)]


# ---------------------------------------------------------------- the DCGAN step: layouts and precisions

def dcgan_variants(device):
    """{name: build() -> GAN} for the DCGAN step: the paper's recipe (batch 64) in float32 with the
    plain layout, channels-last, and channels-last with bfloat16 where the device has it natively;
    then notebook 04's tuned recipe (batch 128) as recipes.dcgan_tuned builds it."""
    from ganlab import recipes
    from ganlab.runtime import fast_bfloat16

    out = {"paper, float32, plain layout": lambda: recipes.dcgan_mnist(device=device, channels_last=False),
           "paper, float32, channels-last": lambda: recipes.dcgan_mnist(device=device, channels_last=True)}
    if fast_bfloat16(device):
        out["paper, bfloat16, channels-last"] = lambda: recipes.dcgan_mnist(device=device, channels_last=True,
                                                                            autocast="bfloat16")
    out["tuned (recipes.dcgan_tuned)"] = lambda: recipes.dcgan_tuned(device=device)
    return out


def time_variants(builds, data, seconds, rounds=3, warmup=10):
    """Images per second of each GAN's fit, timed in turns (round after round), so a machine whose
    speed drifts treats every variant alike. Returns {name: [images/s per round]}."""
    gans = {}
    for name, build in builds.items():
        gans[name] = build()
        gans[name].fit(data, steps=warmup, progress=False)
    speeds = {name: [] for name in gans}
    for _ in range(rounds):
        for name, gan in gans.items():
            _sync(gan.device)
            start, step = time.perf_counter(), gan.step
            gan.fit(data, seconds=seconds, progress=False)
            _sync(gan.device)
            speeds[name].append((gan.step - step) * gan.batch_size / (time.perf_counter() - start))
    return speeds


def gan_step_flops(gan, data):
    """FLOPs per image of one of gan's own training steps (counted by torch; the model is left as it was)."""
    from torch.utils.flop_counter import FlopCounterMode

    trial = copy.deepcopy(gan)
    with FlopCounterMode(display=False) as counter:
        trial.fit(data, steps=1, progress=False)
    return counter.get_total_flops() / gan.batch_size


def main(argv=None):
    parser = argparse.ArgumentParser(description="ganlab's trainer against a tutorial-style loop")
    parser.add_argument("--seconds", type=float, default=8.0, help="timed seconds per loop and case")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers for the reference")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    device = ganlab.device()
    threads = torch.get_num_threads()
    name = torch.cuda.get_device_name() if device.type == "cuda" else platform.processor() or platform.machine()
    print(f"device {device} ({name}), {threads} CPU threads, torch {torch.__version__}")
    data, _ = ganlab.data.mnist("test", device=device)
    peak = matmul_flops_per_second(device)
    print(f"measured matmul throughput: {peak / 1e9:.0f} GFLOP/s (float32, 1024 x 1024)\n")

    header = (f"{'model':<10} {'batch':>5} {'reference img/s':>16} {'ganlab img/s':>13} {'ratio':>6} "
              f"{'epoch (60k)':>12} {'MFLOP/img':>10} {'bound img/s':>12} {'of bound':>9}")
    print(header)
    print("-" * len(header))
    rows = []
    for label, make, bs in CASES:
        torch.manual_seed(0)
        ref, split = time_reference(make, bs, args.seconds, device, args.workers)
        ours = time_ganlab(make, bs, args.seconds, device, data)
        flops = step_flops(make, bs, device) / bs
        bound = peak / flops
        row = dict(model=label, batch_size=bs, reference_images_per_s=ref, ganlab_images_per_s=ours,
                   ratio=ours / ref, epoch_60k_seconds=60_000 / ours, mflop_per_image=flops / 1e6,
                   bound_images_per_s=bound, share_of_bound=ours / bound, reference_data=split)
        rows.append(row)
        print(f"{label:<10} {bs:5d} {ref:16.0f} {ours:13.0f} {ours / ref:5.2f}x {60_000 / ours:10.1f} s "
              f"{flops / 1e6:10.2f} {bound:12.0f} {ours / bound:8.0%}")

    print("\nthe DCGAN step, in turns (median of 3 rounds; ratio to the plain float32 layout, per round):")
    builds = dcgan_variants(device)
    speeds = time_variants(builds, data, args.seconds / 2)
    # the bound again, right after: a busy moment during the first measurement would make it too low
    peak = max(peak, matmul_flops_per_second(device))
    base = speeds["paper, float32, plain layout"]
    dcgan_rows = []
    for label, per_round in speeds.items():
        gan = builds[label]()
        flops = gan_step_flops(gan, data)
        median = sorted(per_round)[len(per_round) // 2]
        ratios = [a / b for a, b in zip(per_round, base)]
        row = dict(variant=label, batch_size=gan.batch_size, images_per_s=median, rounds=per_round,
                   ratio_to_plain=sorted(ratios)[len(ratios) // 2], mflop_per_image=flops / 1e6,
                   share_of_float32_bound=median * flops / peak)
        dcgan_rows.append(row)
        print(f"  {label:<32} batch {gan.batch_size:3d}: {median:7.0f} img/s, {row['ratio_to_plain']:4.2f}x, "
              f"{flops / 1e6:5.1f} MFLOP/img, {row['share_of_float32_bound']:4.0%} of the float32 bound")

    torch.manual_seed(0)
    latency = {}
    for label, make in (("MLP", mlp), ("DCGAN", dcgan)):
        G, D, *_ = make()
        latency[label] = slider_latency_ms(GAN(G, D, device=device))
    print("\nlatent slider, move to new image (median): "
          + ", ".join(f"{k} {v:.1f} ms" for k, v in latency.items()))
    print(f"reference data: torchvision MNIST ({rows[0]['reference_data']} split), "
          f"DataLoader with {args.workers} workers")

    if args.json:
        out = dict(device=str(device), device_name=name, threads=threads, torch=torch.__version__,
                   matmul_flops_per_s=peak, seconds_per_case=args.seconds, workers=args.workers,
                   rows=rows, dcgan_rows=dcgan_rows, slider_latency_ms=latency)
        Path(args.json).write_text(json.dumps(out, indent=2))
        print(f"wrote {args.json}")
    return rows, latency, dcgan_rows


if __name__ == "__main__":
    main()
