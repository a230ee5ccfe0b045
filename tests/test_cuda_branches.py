"""The CUDA branches of ganlab, run on this CPU through the pretend GPU.

Every device-specific choice in ganlab asks runtime.kind(device); inside
fake_accelerator() + pretend_cuda() the accelerator answers "cuda" there while its
tensors stay CPU tensors underneath, and the torch.cuda calls the branches make go
to a PretendCuda that logs them (tests/fake_accelerator.py). What this shows: each
branch is taken and does its bookkeeping (which stream is seeded, saved, restored,
which kernel and precision are chosen). What it cannot show: CUDA's own kernels,
or bfloat16 arithmetic under CUDA autocast (the pretend autocast is the CPU's, and
the wrapped tensors pass under it in float32).
"""
import pytest
import torch
from torch import nn

from ganlab import GAN, models, placement, runtime

from fake_accelerator import fake_accelerator, pretend_cuda


def tiny(dropout=0.0):
    with runtime.seeded(0):
        return models.mlp_generator(4, (8,), (2,)), models.mlp_discriminator((2,), (8,), dropout=dropout)


DATA = torch.linspace(-1, 1, 64).reshape(32, 2)


def test_the_device_choices_take_their_cuda_branch():
    conv = nn.Sequential(nn.Conv2d(1, 2, 3))
    with fake_accelerator() as dev, pretend_cuda(bf16=True) as cuda:
        assert runtime.kind(dev) == "cuda" and runtime.kind("cpu") == "cpu"
        assert placement.channels_last(None, dev, conv) is False       # on a CPU the same network gets True
        assert placement.autocast("auto", dev) == "bfloat16"
        assert ("is_bf16_supported", False) in cuda.calls           # native bfloat16 only, not emulated
        assert runtime.machine_name(dev) == "Pretend GPU"
        gan = GAN(*tiny(), seed=1, autocast="auto", device=dev)
        assert gan.d_optimizer.defaults["fused"] is True and gan.settings.autocast == "auto"
        gan.fit(DATA, steps=3, progress=False)
        assert cuda.calls.count(("autocast", torch.bfloat16)) == 3      # every step entered CUDA's autocast
    assert placement.channels_last(None, "cpu", conv) is True
    with fake_accelerator() as dev, pretend_cuda(bf16=False):
        assert placement.autocast("auto", dev) is None                 # a T4: bfloat16 is emulated there


def test_fused_adam_on_the_pretend_gpu_trains_as_on_the_cpu():
    with fake_accelerator() as dev, pretend_cuda():
        on_gpu = GAN(*tiny(), seed=2, device=dev)
        on_gpu.fit(DATA, steps=3, progress=False)
        gpu_weights = [p.cpu() for p in on_gpu.generator.parameters()]
    on_cpu = GAN(*tiny(), seed=2, device="cpu")
    on_cpu.fit(DATA, steps=3, progress=False)
    for a, b in zip(gpu_weights, on_cpu.generator.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_seeded_blocks_seed_and_restore_the_gpus_stream():
    with fake_accelerator(), pretend_cuda() as cuda:
        before = cuda.state.clone()
        with runtime.seeded(3):
            seeded = cuda.state.clone()
        assert ("manual_seed_all", 3) in cuda.calls
        assert not torch.equal(seeded, before) and torch.equal(cuda.state, before)


def test_dropout_draws_from_the_trainers_gpu_stream_and_resumes_exactly(tmp_path):
    with fake_accelerator() as dev, pretend_cuda() as cuda:
        cpu_before, gpu_before = torch.get_rng_state(), cuda.state.clone()
        whole = GAN(*tiny(dropout=0.5), seed=4, device=dev)
        whole.fit(DATA, steps=4, progress=False)
        assert torch.equal(torch.get_rng_state(), cpu_before) and torch.equal(cuda.state, gpu_before)
        seeded_only = torch.Generator().manual_seed(4).get_state()
        assert not torch.equal(whole.dropout_rng["cuda"], seeded_only)        # dropout drew from the GPU's stream
        half = GAN(*tiny(dropout=0.5), seed=4, device=dev)
        half.fit(DATA, steps=2, progress=False)
        half.save(tmp_path / "half.pt")
        ends = []
        for keep_gpu_stream in (True, False):
            resumed = GAN.load(tmp_path / "half.pt", *tiny(dropout=0.5), device=dev)
            assert torch.equal(resumed.dropout_rng["cuda"], half.dropout_rng["cuda"])
            if not keep_gpu_stream:              # what a trainer that kept only the CPU's stream would do
                resumed.dropout_rng = dict(resumed.dropout_rng, cuda=None)
            resumed.fit(DATA, steps=2, progress=False)
            ends.append(all(torch.equal(a.cpu(), b.cpu())
                            for a, b in zip(resumed.generator.parameters(), whole.generator.parameters())))
        assert ends == [True, False]           # exact with the GPU's stream kept, and only then
    on_cpu = GAN.load(tmp_path / "half.pt", *tiny(dropout=0.5), device="cpu")      # a GPU stream means nothing here
    assert on_cpu.dropout_rng["cuda"] is None


def test_every_device_kind_decision_goes_through_the_seam():
    """No `device.type == "cuda"` outside runtime.py: a new one would not run in these tests."""
    import re
    from pathlib import Path

    import ganlab

    pattern = re.compile(r"\.type\s*(==|!=|in)\s*[(\"']")
    offenders = [f"{path.name}:{n}" for path in Path(ganlab.__file__).parent.rglob("*.py") if path.name != "runtime.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == [], f"ask runtime.kind(device) instead of device.type: {offenders}"
