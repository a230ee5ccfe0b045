"""The numbers the series states come from one command, and the README shows that command's file."""
import json
import re
from pathlib import Path

import pytest

import ganlab

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "ganlab" / "_data" / "results.json"


def load_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_series", ROOT / "scripts" / "run_series.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reported_keys(path):
    """Literal (notebook, key) pairs passed to ganlab.results.report / record in a notebook."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    pairs = set(re.findall(r'results\.(?:report|record)\(\s*"(\d\d[a-z]?)",\s*"([^"{}]+)"', code))
    for notebook, body in re.findall(r'results\.record_all\(\s*"(\d\d[a-z]?)",\s*\{(.*?)\}\s*\)', code, re.S):
        pairs |= {(notebook, key) for key in re.findall(r'^\s*"([^"{}]+)":\s*\(', body, re.M)}   # literal dict keys
    return pairs


def test_readme_results_section_is_made_from_the_results_file():
    script = load_script()
    results = json.loads(RESULTS.read_text())
    block = script.readme_block(results)
    assert block in (ROOT / "README.md").read_text(), (
        "README.md's results section differs from ganlab/_data/results.json: run "
        "`python scripts/run_series.py --readme` (or the full command, if the notebooks changed)")


def test_every_number_a_notebook_reports_is_in_the_results_file():
    results = json.loads(RESULTS.read_text())
    missing = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")):
        for notebook, key in reported_keys(path):
            if key not in results["notebooks"].get(notebook, {}).get("numbers", {}):
                missing.append(f"{notebook}: {key}")
    assert not missing, f"not in the results file (rerun `python scripts/run_series.py`): {missing}"


def test_the_reference_run_was_full_mode_and_every_check_held():
    results = json.loads(RESULTS.read_text())
    assert results["mode"] == "full"
    notebooks = sorted(p.name.split("_")[0] for p in (ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
    assert sorted(results["notebooks"]) == notebooks
    for name, r in results["notebooks"].items():
        assert not r["quick"], name
        assert r["checks"] > 0 and r["checks_passed"] == r["checks"], (name, [c for c in r["check_cells"] if not c["held"]])
        assert r["errors"] == [], (name, r["errors"])
        # reference mode (the reader's default) was run after it, held the same checks and gave the same numbers
        assert r.get("reference_mode_differs") == [] and r.get("reference_mode_errors") == [], (
            name, "run `python scripts/run_series.py --reference` after a full run", r.get("reference_mode_differs"))
        assert r.get("reference_mode_checks_passed") == r["checks"], name


def test_report_prints_the_number_once_and_the_summary_puts_it_beside_the_reference(tmp_path, monkeypatch, capsys):
    ref = tmp_path / "results.json"
    ref.write_text(json.dumps({"date": "2026-01-01", "machine": {"device_name": "CPU", "threads": 2, "torch": "x"},
                               "notebooks": {"99": {"numbers": {"x": {"value": 0.5, "fmt": "{:.0%}", "label": "x"},
                                                                "y": {"value": 3.0, "fmt": "{:.1f}", "label": "why"},
                                                                "z": {"value": 7, "fmt": "{}", "label": "zed"}}}}}))
    monkeypatch.setattr(ganlab.results, "_THIS_RUN", {})
    out = tmp_path / "collected.jsonl"
    monkeypatch.setenv("GANLAB_RESULTS_OUT", str(out))
    assert ganlab.results.report("99", "x", 0.25, "{:.0%}", "share") == 0.25
    assert ganlab.results.report("99", "y", 3.04, "{:.1f}", "why") == 3.04
    printed = capsys.readouterr().out
    assert printed == "share: 25%\nwhy: 3.0\n", "a cell prints the reader's number once, nothing else"
    assert json.loads(out.read_text().splitlines()[0]) == {"notebook": "99", "key": "x", "value": 0.25, "fmt": "{:.0%}",
                                                           "label": "share"}
    monkeypatch.setattr(ganlab.results.runtime, "mode", lambda: "reference")
    rows = ganlab.results.summary("99", path=ref)
    table = capsys.readouterr().out
    assert rows == [("share", "25%", "50%", False), ("why", "3.0", "3.0", True), ("zed", "not run", "7", False)]
    lines = table.splitlines()
    # reference mode: one column, the shipped numbers; a number this kernel computed differently says so
    assert "shipped run" in lines[0] and "2026-01-01" in lines[0] and len(lines) == 4, table
    assert lines[1].split() == ["share", "50%", "(this", "run:", "25%)"] and lines[2].split() == ["why", "3.0"]
    assert lines[3].split() == ["zed", "7"]
    monkeypatch.setattr(ganlab.results.runtime, "mode", lambda: "full")
    ganlab.results.summary("99", path=ref)
    lines = capsys.readouterr().out.splitlines()
    # full mode: the reader's numbers beside the shipped run's
    assert lines[1].split() == ["your", "run", "shipped", "run"], lines
    assert lines[2].split() == ["share", "25%", "50%", "(differs)"] and lines[3].split() == ["why", "3.0", "3.0"]
    assert lines[4].split() == ["zed", "not", "run", "7"]
    assert ganlab.results.formatted("99", "y", path=ref) == "3.0"
    ganlab.results.record("99", "z", 7, "{}", "zed")          # record() (no print) counts as this run's too
    assert ganlab.results.summary("99", path=ref)[2] == ("zed", "7", "7", True)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")), ids=lambda p: p.name)
def test_each_notebook_ends_with_its_table_of_numbers(path):
    """The reader's numbers appear beside the reference run's once: in a summary() cell before the Summary."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    name = path.name.split("_")[0]
    calls = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and f'ganlab.results.summary("{name}")' in c.source]
    summary = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Summary" in c.source)
    assert len(calls) == 1 and calls[0] < summary, "one ganlab.results.summary(...) cell, before the Summary"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")), ids=lambda p: p.name)
def test_each_notebook_prints_its_reference_timing(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells[:4] if c.cell_type == "code")
    assert f'ganlab.results.timing("{path.name.split("_")[0]}")' in code
