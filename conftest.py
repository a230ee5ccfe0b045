"""pytest setup shared by the unit tests and the notebook runs (nbval).

Quick mode is the default for a test run: the notebooks' kernels inherit this
environment, so every notebook runs its real cells at small sizes. Set
GANLAB_QUICK=0 to run the notebooks at full size. Checkpoints go to a fresh
temporary folder so a test run never loads a model left by an earlier one.
GANLAB_FIGURE_CHECK=1 makes each notebook kernel check every figure its cells draw
(ganlab.figure_check.check_figure: width, font sizes, text outside, overlapping text) and
fail the cell that drew a bad one; set it to 0 to skip, "warn" to only print.
"""
import os
import tempfile

os.environ.setdefault("GANLAB_QUICK", "1")
os.environ.setdefault("GANLAB_CHECKPOINTS", tempfile.mkdtemp(prefix="ganlab-ckpt-"))
os.environ.setdefault("GANLAB_FIGURE_CHECK", "1")

_NOTEBOOK_SECONDS = {}


def pytest_runtest_logreport(report):
    """Add up the time nbval spends in each notebook (setup, cells, teardown)."""
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _NOTEBOOK_SECONDS[path] = _NOTEBOOK_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if not _NOTEBOOK_SECONDS:
        return
    mode = "quick" if os.environ.get("GANLAB_QUICK", "") not in ("", "0", "false") else "full"
    terminalreporter.section(f"notebook run times ({mode} mode; the target in quick mode is under 120 s)")
    for path, seconds in sorted(_NOTEBOOK_SECONDS.items()):
        flag = "  <-- over 2 minutes" if mode == "quick" and seconds > 120 else ""
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}{flag}")
