"""A pretend accelerator for machines without a GPU: it fails on a device mix as a GPU run would.

    with FakeAccelerator():          # ganlab.device() now returns the accelerator
        gan = ganlab.GAN(...)        # its tensors live "on the accelerator"
        torch.cat([gan.sample(4), torch.zeros(4, 2)])    # DeviceMixError, as on CUDA

Most learners run the notebooks on a GPU (Colab); this machine has none. On a
GPU, an operation that mixes a GPU tensor with a CPU tensor fails, `.numpy()` of
a GPU tensor fails, and a CPU random generator cannot draw GPU noise. On a CPU
alone all of that silently works, so such bugs would reach learners unseen.

Here an accelerator tensor is a real CPU tensor wrapped in AcceleratorTensor,
which reports the device "meta" (a device every PyTorch build knows, whose
autograd needs no driver). Each operation unwraps, checks that the operands do
not mix the two devices (0-d CPU tensors are allowed, as CUDA allows them, and
so are CPU index tensors and copies between devices), runs on the CPU and wraps
the result. A TorchFunctionMode turns `device=<accelerator>` in factory calls and
`.to(<accelerator>)` into wrapped tensors, refuses `.numpy()` on them, and checks
that random draws use a generator of the tensor's own device. Checkpoints see
plain CPU tensors, and an accelerator generator's state has a different format
from a CPU generator's (as a CUDA generator's has), so a state cannot silently
cross devices.
"""
import contextlib

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_map

ACCELERATOR = torch.device("meta")
_REAL_GENERATOR = torch.Generator
_IS_META = torch.Tensor.is_meta.__get__
_STATE_TAG = torch.tensor([0x47, 0x50, 0x55, 0x21], dtype=torch.uint8)      # "GPU!"


class DeviceMixError(RuntimeError):
    """An operation mixed accelerator and CPU tensors (on a GPU this would fail too)."""


def _is_accelerator(device):
    if device is None or isinstance(device, int):
        return False
    return torch.device(device).type == ACCELERATOR.type


def _describe(t):
    return f"{'accelerator' if isinstance(t, AcceleratorTensor) else t.device.type} tensor {tuple(t.shape)}"


class AcceleratorTensor(torch.Tensor):
    """A CPU tensor that pretends to live on the accelerator."""

    __torch_function__ = torch._C._disabled_torch_function_impl

    @staticmethod
    def __new__(cls, elem):
        assert not isinstance(elem, AcceleratorTensor)
        out = torch.Tensor._make_wrapper_subclass(
            cls, elem.shape, strides=elem.stride(), storage_offset=elem.storage_offset(),
            dtype=elem.dtype, layout=elem.layout, device=ACCELERATOR, requires_grad=elem.requires_grad)
        out.elem = elem
        return out

    def __repr__(self):
        return f"AcceleratorTensor({self.elem!r})"

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        name = func.overloadpacket.__name__
        tensors = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        if name not in ("copy_", "_to_copy", "_copy_from", "_copy_from_and_resize", "index", "index_put_",
                        "index_put", "_index_put_impl_", "set_"):
            plain = [t for t in tensors if not isinstance(t, AcceleratorTensor) and t.dim() > 0]
            if plain:
                accel = next(t for t in tensors if isinstance(t, AcceleratorTensor))
                raise DeviceMixError(
                    f"{name}: an accelerator tensor met a CPU tensor ({_describe(accel)} and "
                    f"{_describe(plain[0])}); on a GPU this fails with 'Expected all tensors to be on the "
                    f"same device'")
        gen = kwargs.get("generator")
        if gen is not None and not isinstance(gen, AcceleratorGenerator):
            raise DeviceMixError(f"{name}: a CPU torch.Generator drew numbers for an accelerator tensor")
        to_cpu = name == "_to_copy" and kwargs.get("device") is not None and not _is_accelerator(kwargs["device"])
        if "device" in kwargs and _is_accelerator(kwargs["device"]):
            kwargs["device"] = torch.device("cpu")
        unwrap = lambda t: t.elem if isinstance(t, AcceleratorTensor) else t      # noqa: E731
        with _device_stream(name, gen):
            out = func(*tree_map(unwrap, args), **tree_map(unwrap, kwargs))
        if to_cpu:
            return out
        if name in ("copy_",) and not isinstance(args[0], AcceleratorTensor):
            return args[0]
        return tree_map(lambda t: AcceleratorTensor(t) if isinstance(t, torch.Tensor)
                        and not isinstance(t, AcceleratorTensor) else t, out)


_PRETEND_CUDA = []        # the PretendCuda in force, if any
_RANDOM_OPS = {"native_dropout", "bernoulli", "bernoulli_", "normal", "normal_", "uniform_", "random_", "rand",
               "randn", "randint", "rand_like", "randn_like", "randint_like", "randperm", "multinomial",
               "exponential_", "_fused_dropout"}


def _device_stream(name, generator):
    """Where a random op on the accelerator draws from: with pretend_cuda on, an op without a
    generator of its own (dropout) draws from the pretend GPU's default stream, as on CUDA,
    and leaves the CPU's stream alone; otherwise from the CPU's."""
    if not _PRETEND_CUDA or generator is not None or name not in _RANDOM_OPS:
        return contextlib.nullcontext()
    return _PRETEND_CUDA[0].drawing()


class _Generator(_REAL_GENERATOR):
    """Stands in for torch.Generator while the fake accelerator is on: device= picks the kind."""

    def __new__(cls, device="cpu"):
        if cls is _Generator and _is_accelerator(device):
            return _REAL_GENERATOR.__new__(AcceleratorGenerator)
        return _REAL_GENERATOR.__new__(cls, device if cls is _Generator else "cpu")

    def __init__(self, device="cpu"):
        pass

    def set_state(self, state):
        if state.numel() >= 4 and torch.equal(state[:4], _STATE_TAG):
            raise RuntimeError("a CPU generator was given the state of an accelerator generator "
                               "(on CUDA: 'RNG state is wrong size')")
        return super().set_state(state)


class AcceleratorGenerator(_Generator):
    """A random generator 'on the accelerator': its state does not fit a CPU generator."""

    @property
    def device(self):
        return ACCELERATOR

    def get_state(self):
        return torch.cat([_STATE_TAG, super().get_state()])

    def set_state(self, state):
        if state.numel() < 4 or not torch.equal(state[:4], _STATE_TAG):
            raise RuntimeError("an accelerator generator was given the state of a CPU generator "
                               "(on CUDA: 'RNG state is wrong size')")
        return _REAL_GENERATOR.set_state(self, state[4:].clone())


def _wrap(out):
    return tree_map(lambda t: AcceleratorTensor(t) if isinstance(t, torch.Tensor)
                    and not isinstance(t, AcceleratorTensor) else t, out)


class FakeAccelerator(TorchFunctionMode):
    """While active, torch and ganlab treat ACCELERATOR ('meta') as a GPU-like device."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.numpy or func is torch.Tensor.__array__:
            if isinstance(args[0], AcceleratorTensor):
                raise TypeError("can't convert an accelerator tensor to numpy (on CUDA: \"can't convert "
                                "cuda:0 device type tensor to numpy\"). Use Tensor.cpu() first.")
            return func(*args, **kwargs)
        if func is torch.Tensor.__reduce_ex__ and isinstance(args[0], AcceleratorTensor):
            return args[0].elem.__reduce_ex__(*args[1:])          # saved as a plain CPU tensor
        if func is _IS_META and isinstance(args[0], AcceleratorTensor):
            return False                                       # real data, not a shape-only meta tensor
        if func in (torch.Tensor.tolist, torch.Tensor.item, torch.Tensor.__format__) and isinstance(
                args[0], AcceleratorTensor):
            return func(args[0].elem, *args[1:])               # a device-to-host sync on a GPU: allowed
        if func is torch.Tensor.__setitem__ and isinstance(args[0], AcceleratorTensor) and isinstance(
                args[2], (int, float, bool)):
            # torch would make the number a real (data-less) meta tensor here; a GPU makes a CUDA scalar
            return func(args[0], args[1], torch.tensor(args[2], dtype=args[0].dtype))
        if func is torch.Tensor.to:
            return self._to(args, kwargs)
        if func is torch.Tensor.cpu:
            return args[0].elem.clone() if isinstance(args[0], AcceleratorTensor) else func(*args, **kwargs)
        gen = kwargs.get("generator")
        if "device" in kwargs and _is_accelerator(kwargs["device"]):
            if gen is not None and not isinstance(gen, AcceleratorGenerator):
                raise DeviceMixError(f"{func.__name__}: a CPU torch.Generator was asked for accelerator numbers "
                                     f"(on CUDA: \"Expected a 'cuda' device type for generator\")")
            kwargs = dict(kwargs, device=torch.device("cpu"))
            with _device_stream(getattr(func, "__name__", ""), gen):
                return _wrap(func(*args, **kwargs))
        if isinstance(gen, AcceleratorGenerator):
            on_accelerator = any(isinstance(t, AcceleratorTensor) for t in tree_flatten(args)[0])
            if not on_accelerator:
                raise DeviceMixError(f"{func.__name__}: an accelerator generator was asked for CPU numbers "
                                     f"(on CUDA: \"Expected a 'cpu' device type for generator\")")
        return func(*args, **kwargs)

    @staticmethod
    def _to(args, kwargs):
        self = args[0]
        device, dtype, _, _ = torch._C._nn._parse_to(*args[1:], **kwargs)
        on_accelerator = isinstance(self, AcceleratorTensor)
        base = self.elem if on_accelerator else self
        dtype = dtype or self.dtype
        if device is None:
            device = ACCELERATOR if on_accelerator else self.device
        if _is_accelerator(device):
            if on_accelerator and dtype == self.dtype:
                return self
            return AcceleratorTensor(base.to(dtype=dtype, copy=True))      # a transfer makes a copy
        if on_accelerator:
            return base.to(device=device, dtype=dtype, copy=True)
        return base.to(device=device, dtype=dtype)


@contextlib.contextmanager
def fake_accelerator():
    """Turn the fake accelerator on: ganlab.device() returns it and torch.Generator knows it."""
    import ganlab
    from ganlab import runtime

    import warnings

    # load_state_dict warns that copying into a "meta" parameter is a no-op; here it is a real copy
    warnings.filterwarnings("ignore", message="for .*: copying from a non-meta parameter")
    mode = FakeAccelerator()
    real_device = runtime.device
    torch.Generator = _Generator
    runtime.device = ganlab.device = lambda: ACCELERATOR
    try:
        with mode:
            yield ACCELERATOR
    finally:
        runtime.device = ganlab.device = real_device
        torch.Generator = _REAL_GENERATOR


class PretendCuda:
    """torch.cuda as ganlab's CUDA branches see it while pretend_cuda() is on: one pretend GPU
    whose default random stream is a real (CPU-format) state that dropout on accelerator
    tensors draws from, and a log of every torch.cuda call (calls: [(name, argument), ...])."""

    def __init__(self, bf16):
        self.bf16, self.calls = bf16, []
        self.state = _REAL_GENERATOR().manual_seed(2**31 - 1).get_state()

    @contextlib.contextmanager
    def drawing(self):
        cpu = torch.get_rng_state()
        torch.set_rng_state(self.state)
        try:
            yield
        finally:
            self.state = torch.get_rng_state()
            torch.set_rng_state(cpu)

    def get_rng_state(self, device="cuda"):
        self.calls.append(("get_rng_state", device))
        return self.state.clone()

    def set_rng_state(self, state, device="cuda"):
        self.calls.append(("set_rng_state", device))
        self.state = state.clone()

    def manual_seed_all(self, seed):
        self.calls.append(("manual_seed_all", seed))
        self.state = _REAL_GENERATOR().manual_seed(seed).get_state()

    def is_bf16_supported(self, including_emulation=True):
        self.calls.append(("is_bf16_supported", including_emulation))
        return self.bf16

    def get_device_name(self, device=None):
        self.calls.append(("get_device_name", device))
        return "Pretend GPU"

    def autocast(self, device_type, dtype=None, **kwargs):
        """torch.autocast: a "cuda" one is logged and runs as the CPU's (same dtype), since the
        tensors are CPU tensors underneath."""
        if device_type == "cuda":
            self.calls.append(("autocast", dtype))
            device_type = "cpu"
        return _REAL_AUTOCAST(device_type, dtype=dtype, **kwargs)


_REAL_AUTOCAST = torch.autocast


@contextlib.contextmanager
def pretend_cuda(bf16=True):
    """Inside fake_accelerator(): ganlab sees the accelerator as a CUDA GPU (through its one seam,
    runtime.kind, and runtime.cuda_devices), so every `kind == "cuda"` branch runs here; the
    torch.cuda calls those branches make go to a PretendCuda (yielded), which logs them."""
    from ganlab import runtime
    import torch.optim.optimizer as optimizer_module

    fake = PretendCuda(bf16)
    real_kind, real_devices = runtime.kind, runtime.cuda_devices
    fused_devices = optimizer_module._get_fused_kernels_supported_devices
    names = ("get_rng_state", "set_rng_state", "manual_seed_all", "is_bf16_supported", "get_device_name")
    saved = {n: getattr(torch.cuda, n) for n in names}
    runtime.kind = lambda device: "cuda" if _is_accelerator(device) else real_kind(device)
    runtime.cuda_devices = lambda: [0]
    # torch's fused Adam checks the parameters' device type; the accelerator's kernels are the CPU's
    optimizer_module._get_fused_kernels_supported_devices = lambda: fused_devices() + [ACCELERATOR.type]
    for n in names:
        setattr(torch.cuda, n, getattr(fake, n))
    torch.autocast = fake.autocast
    _PRETEND_CUDA.append(fake)
    try:
        yield fake
    finally:
        _PRETEND_CUDA.clear()
        torch.autocast = _REAL_AUTOCAST
        for n, f in saved.items():
            setattr(torch.cuda, n, f)
        optimizer_module._get_fused_kernels_supported_devices = fused_devices
        runtime.kind, runtime.cuda_devices = real_kind, real_devices


_INSTALLED = []


def install():
    """Turn the fake accelerator on for the rest of this process (a notebook kernel's startup)."""
    if not _INSTALLED:
        context = fake_accelerator()
        context.__enter__()
        _INSTALLED.append(context)      # kept: a collected generator would run its exit



def kernel_profile(folder):
    """An IPython profile folder whose kernels start with the fake accelerator on (IPYTHONDIR=folder)."""
    from pathlib import Path

    startup = Path(folder) / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-fake-accelerator.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "import fake_accelerator\n"
        "fake_accelerator.install()\n")
    return str(folder)
