"""A notebook opened where ganlab is not installed (as in Colab) installs it and runs.

A fresh virtual environment sees this environment's third-party packages (torch,
jupyter, pip, ...) through a .pth file, so nothing heavy is installed again, but not
ganlab: the editable install's import hook lives in a .pth file that is not
processed there. The notebook is copied out of the repository, so its setup cell
cannot find ../ganlab either, and has to pip-install ganlab from GANLAB_SOURCE,
here the local repository as git+file://.
"""
import json
import os
import shutil
import site
import subprocess
import venv
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs git and a git checkout (the notebook installs git+file://<this repo>)")
def test_notebook_installs_ganlab_in_a_fresh_environment(tmp_path):
    env_dir = tmp_path / "fresh"
    parents = [p for p in site.getsitepackages() if Path(p).exists()]
    # pip too comes through the .pth file below, when this environment has it (ensurepip takes seconds)
    venv.EnvBuilder(with_pip=not any((Path(p) / "pip").is_dir() for p in parents)).create(env_dir)
    python = env_dir / "bin" / "python"
    fresh_site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    (fresh_site / "_parent_packages.pth").write_text("\n".join(parents) + "\n")
    sees = "import importlib.util as u; print([u.find_spec(m) is not None for m in ('torch', 'ipykernel', 'ganlab')])"
    probe = subprocess.run([python, "-c", sees], capture_output=True, text=True, cwd=tmp_path)
    assert probe.stdout.strip() == "[True, True, False]", "the fresh environment must see torch, not ganlab yet"

    kernels = tmp_path / "jupyter" / "kernels" / "ganlab-fresh"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh", "language": "python"}))

    work = tmp_path / "colab"
    work.mkdir()
    notebook = work / "01_generative_vs_discriminative.ipynb"
    shutil.copy(ROOT / "notebooks" / notebook.name, notebook)
    nb = nbformat.read(notebook, as_version=4)
    old_env = dict(os.environ)
    os.environ.update(GANLAB_SOURCE=f"git+file://{ROOT}", GANLAB_QUICK="1",
                      JUPYTER_PATH=str(tmp_path / "jupyter"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    try:
        NotebookClient(nb, kernel_name="ganlab-fresh", timeout=600,
                       resources={"metadata": {"path": str(work)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    setup_output = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert f"installing ganlab from git+file://{ROOT}" in setup_output
    installed = subprocess.run([python, "-c", "import importlib.util as u; print(u.find_spec('ganlab').origin)"],
                               capture_output=True, text=True, cwd=tmp_path)
    assert installed.returncode == 0 and str(env_dir) in installed.stdout, installed.stderr
