"""pytest setup shared by the unit tests and the notebook runs (nbval).

Quick mode is the default for a test run: the notebooks' kernels inherit this
environment, so every notebook runs its real cells at small sizes. Set
GANLAB_QUICK=0 to run the notebooks at full size. Checkpoints go to a fresh
temporary folder so a test run never loads a model left by an earlier one.
"""
import os
import tempfile

os.environ.setdefault("GANLAB_QUICK", "1")
os.environ.setdefault("GANLAB_CHECKPOINTS", tempfile.mkdtemp(prefix="ganlab-ckpt-"))
