"""How fast does ganlab's one training loop run here?  python -m benchmarks.train_speed

Times GAN.fit (D step + G step, history, NaN check) for the models the notebooks
train, and prints steps and images per second on this machine's device. The
design note's reference point: a tutorial-style MLP GAN loop ran at about
3,800 images/s at batch 32 on a 2-core CPU.
"""
import argparse
import time

import torch

import ganlab
from ganlab import models
from ganlab.training import GAN


def bench(name, gan, data, batch_size, steps, warmup=50):
    gan.fit(data, steps=warmup, batch_size=batch_size, progress=False)
    start = time.perf_counter()
    gan.fit(data, steps=steps, batch_size=batch_size, progress=False)
    if gan.device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    print(f"{name:<34} batch {batch_size:4d}: {steps / seconds:8.0f} steps/s {steps * batch_size / seconds:10.0f} images/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    dev = ganlab.device()
    print(f"device {dev}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    ganlab.seed(0)
    ring = ganlab.data.toy("ring8", 10_000, device=dev)
    mnist, _ = ganlab.data.mnist("test", device=dev)
    two_d = lambda: GAN(models.mlp_generator(latent_dim=2, hidden=(128, 128), out_shape=(2,), output=None),
                        models.mlp_discriminator(in_shape=(2,), hidden=(128, 128)), lr=1e-3, device=dev)
    bench("2D MLP GAN (notebook 02)", two_d(), ring, 256, args.steps)
    for bs in (32, 64):
        gan = GAN(models.mlp_generator(), models.mlp_discriminator(activation="relu"), device=dev)
        bench("MNIST MLP GAN, as published", gan, mnist, bs, args.steps)
    gan = GAN(models.mlp_generator(activation="leaky_relu", batch_norm=True),
              models.mlp_discriminator(dropout=0.3), ema=0.999, device=dev)
    bench("MNIST MLP GAN, notebook 03 recipe", gan, mnist, 128, args.steps)
    gan = GAN(models.dcgan_generator(width=16), models.dcgan_discriminator(width=16), device=dev)
    bench("DCGAN width 16", gan, mnist, 64, max(50, args.steps // 5))


if __name__ == "__main__":
    main()
