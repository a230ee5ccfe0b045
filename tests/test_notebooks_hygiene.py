"""Notebooks are the product: check they are committed clean and shaped like lessons."""
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), "name notebooks NN_topic.ipynb"
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs; clear them before committing"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_shaped_like_a_lesson(path):
    nb = nbformat.read(path, as_version=4)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert md[0].startswith(f"# {path.name[:2]} · "), "first cell: the numbered title"
    assert "What you will learn" in md[0]
    assert any("## Summary" in m for m in md[-3:]) and "## Exercises" in md[-1]
    assert "exercises.check(" in code[-1], "the exercises end with a check cell"
    assert any(line.lstrip().startswith("assert ") for c in code for line in c.splitlines()), \
        "a notebook checks its claims with assert cells"


def test_every_notebook_starts_with_the_same_setup_cell():
    firsts = set()
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        first_code = next(c.source for c in nb.cells if c.cell_type == "code")
        assert "GANLAB_SOURCE" in first_code and "pip" in first_code
        firsts.add(first_code)
    assert len(firsts) == 1, "the setup cell must be identical in every notebook"
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    url = re.search(r'^Repository = "(.+)"$', pyproject, re.M).group(1)
    version = re.search(r'^version = "(.+)"$', pyproject, re.M).group(1)
    assert f'"git+{url}.git@v{version}"' in firsts.pop(), \
        "the setup cell must install the release tag of pyproject's Repository URL (scripts/stamp_notebooks.py)"


def test_notebooks_are_stamped_from_pyproject_and_the_results_file():
    """The Colab links, install lines and timing lines agree with pyproject.toml and results.json."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("stamp", Path(__file__).parent.parent / "scripts" / "stamp_notebooks.py")
    stamp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stamp)
    assert stamp.main(check=True) == [], "run `python scripts/stamp_notebooks.py`"
    url, version = stamp.project()
    for path in NOTEBOOKS:
        title = nbformat.read(path, as_version=4).cells[0].source
        assert stamp.colab_link(url, version, path.name) in title
    # each notebook's line carries the day that notebook ran, not the day of the latest run of any
    results = {"date": "2026-02-02", "machine": {"device_name": "CPU"},
               "notebooks": {"01": {"seconds": 60, "date": "2026-01-01"}, "02": {"seconds": 60}}}
    assert "2026-01-01" in stamp.timing_line(results, "01") and "2026-02-02" in stamp.timing_line(results, "02")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_mode_is_chosen_in_one_place_at_the_top(path):
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[1].startswith('MODE = "reference"') and "ganlab.set_mode(MODE)" in code[1]
    assert sum("set_mode(" in c for c in code) == 1
    assert "**Three ways through**" in nb.cells[0].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_a_check_and_a_worked_solution(path):
    """Each numbered exercise NN.k is checked in the last cell (unless it says "Explore (no check)"),
    every check registered for the notebook is asked for there, and solutions.md works every one."""
    from ganlab import exercises

    nb = nbformat.read(path, as_version=4)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    listing = md[-1].split("## Exercises", 1)[1]
    items = re.findall(r"^(\d+)\. (.*)$", listing, flags=re.M)
    number = path.name[:2]
    assert [int(n) for n, _ in items] == list(range(1, len(items) + 1)), "number the exercises 1, 2, 3, ..."
    asked = re.findall(r'\("(\d\d\.\d)", answer_(\d)\)', code[-1])
    assert all(key[-1] == k and f"answer_{k} = None" in code[-1] for key, k in asked), \
        "the check cell pairs exercise NN.k with answer_k, which starts as None"
    checked = {key for key, _ in asked}
    solutions = (path.parent / "solutions.md").read_text()
    for n, text in items:
        key = f"{number}.{n}"
        if text.startswith("Explore (no check)"):
            assert key not in checked and key not in exercises.keys(), f"{key} says it has no check"
        else:
            assert key in checked, f"exercise {key} is not in the check cell"
            assert key in exercises.keys(), f"exercise {key} has no check in ganlab.exercises"
        assert f"**{key}**" in solutions, f"notebooks/solutions.md has no worked solution for {key}"
    registered = {k for k in exercises.keys() if k.startswith(number + ".")}
    assert registered == checked, "every check ganlab.exercises has for this notebook is asked for in its check cell"
