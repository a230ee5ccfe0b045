"""Notebooks run on the pretend accelerator of tests/fake_accelerator.py: no cell mixes devices.

Running every notebook this way takes about ten minutes in quick mode (the pretend
device checks every operation in Python), too long for each test run, so by default
this runs two notebooks that cover most kinds of cell: 01 in quick mode (tensors made
in cells, Gaussian models, pixel distances, training on the device) and 04 in its
default reference mode, as a Colab reader first meets it (the shipped models and
results, saved on a CPU, loaded onto the device; MNIST, a DCGAN, scores, sliders), with
the device's type read as CUDA's where 04 picks its width.
What 04 trains is trained on the pretend device in tests/test_devices.py.
GANLAB_DEVICE_CHECK=all runs all of them in quick mode; the closing note of the
session that wrote this records such a run.
"""
import os
import tempfile
from pathlib import Path

import pytest

from fake_accelerator import kernel_profile

ROOT = Path(__file__).resolve().parent.parent
ALL = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DEFAULT = {"01": "quick", "04": "reference"}
CHOSEN = ([(p, "quick") for p in ALL] if os.environ.get("GANLAB_DEVICE_CHECK") == "all"
          else [(p, DEFAULT[p.name[:2]]) for p in ALL if p.name[:2] in DEFAULT])


@pytest.mark.parametrize("path, mode", CHOSEN, ids=[f"{p.name}-{m}" for p, m in CHOSEN])
def test_notebook_runs_on_an_accelerator(path, mode, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("IPYTHONDIR", kernel_profile(tempfile.mkdtemp(prefix="ganlab-accelerator-")))
    monkeypatch.delenv("GANLAB_MODE", raising=False)
    if mode == "quick":
        monkeypatch.setenv("GANLAB_QUICK", "1")
    else:                                   # the notebook's own MODE line: reference
        monkeypatch.delenv("GANLAB_QUICK", raising=False)
    monkeypatch.setenv("GANLAB_CHECKPOINTS", tempfile.mkdtemp(prefix="ganlab-accelerator-ckpt-"))
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(
        "assert str(ganlab.device()) == 'meta', 'the fake accelerator is not on'"))
    if path.name.startswith("04"):      # 04 picks its width by the device's type: let it see a CUDA GPU's
        nb.cells.insert(4, nbformat.v4.new_code_cell(
            "_pick = recipes.dcgan_width\n"
            "recipes.dcgan_width = lambda d: _pick(torch.device('cuda') if torch.device(d).type == 'meta' else d)"))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()          # raises CellExecutionError, with the cell, on a device mix
    if mode == "reference":
        text = "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
        assert "showing the reference model shipped with ganlab" in text, "04 should load its shipped model"
        # on a GPU, reference mode shows the shipped width-16 files, says so in a line, and trains nothing
        assert "reference mode on a GPU: showing the models and results shipped with ganlab" in text
        assert "computing it here" not in text and "training it here" not in text


def test_a_cell_that_mixes_devices_fails_here(tmp_path, monkeypatch):
    """The same harness on a notebook cell written as notebook 05's probe cell once was."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("IPYTHONDIR", kernel_profile(tmp_path / "ipython"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"import sys; sys.path.insert(0, {str(ROOT)!r}); import ganlab, torch"),
                nbformat.v4.new_code_cell('ring = ganlab.data.toy("ring8", 200, seed=0)\n'
                                          'blob = torch.randn(200, 2) * 0.5\n'
                                          'probe = torch.cat([ring[:50], blob[:50]])')]
    with pytest.raises(CellExecutionError, match="DeviceMixError"):
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
