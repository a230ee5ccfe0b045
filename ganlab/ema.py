"""A weight average of the generator to sample from: GAN(ema=0.999) (Yazici et al., 2019).

The adversarial game makes G's weights wobble from step to step; an exponential
moving average of them smooths the wobble out, and often samples better than G.
"""
import copy

import torch


def averaged_copy(module):
    """A frozen copy of `module` to hold the average."""
    return copy.deepcopy(module).requires_grad_(False)


@torch.no_grad()
def update(average, module, decay, step):
    """average ← d · average + (1 − d) · module, with d = min(decay, (1 + step) / (10 + step)).

    The decay warms up over the first steps, so the average does not cling to the random
    initialisation. Buffers (batch norm's running statistics) are copied, not averaged:
    the average must normalise as G does now."""
    d = min(decay, (1 + step) / (10 + step))
    torch._foreach_lerp_(list(average.parameters()), list(module.parameters()), 1 - d)
    for avg, b in zip(average.buffers(), module.buffers()):
        avg.copy_(b)
