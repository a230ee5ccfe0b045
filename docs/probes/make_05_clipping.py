"""The command that made notebook 05's shipped clipping result (ganlab/_data/reference/05_clipping_trained-*.pt).

    GANLAB_REFERENCE_EXPORT=ganlab/_data/reference OMP_NUM_THREADS=1 python docs/probes/make_05_clipping.py

The notebook's own cached call (section 3 of notebooks/05_wgan.ipynb), in full mode, with its settings.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
torch.set_num_threads(1)
import ganlab                      # noqa: E402
from ganlab import critics        # noqa: E402

ganlab.set_mode("full")
device = torch.device("cpu")
ring = ganlab.data.toy("ring8", 2000, seed=0, device=device)
blob = torch.randn(2000, 2, generator=torch.Generator().manual_seed(1)).to(device) * 0.5
settings = {"clip 0.001": dict(clip_value=0.001), "clip 0.01": dict(clip_value=0.01),
            "clip 0.1": dict(clip_value=0.1), "gradient penalty": dict(penalty_weight=10.0)}
marks = ganlab.budget(full=(0, 30, 100, 300, 1000), quick=(0, 2, 4))
probe = torch.cat([ring[:500], blob[:500]])
clip_setup = dict(settings=settings, marks=marks, depth=8, hidden=256)
print("keys:", ganlab.runtime.keys("05_clipping_trained", clip_setup), flush=True)
inside = ganlab.runtime.cached("05_clipping_trained", lambda: critics.clipping_over_training(
    ring, blob, settings, marks, probe, depth=8, hidden=256, device=device), settings=clip_setup)
for name, r in inside.items():
    print(name, {k: v for k, v in r.items() if k not in ("norms", "weights_before", "weights_after")}, flush=True)
