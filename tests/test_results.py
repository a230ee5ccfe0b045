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
    return set(re.findall(r'results\.(?:report|record)\(\s*"(\d\d)",\s*"([^"{}]+)"', code))


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
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for notebook, key in reported_keys(path):
            if key not in results["notebooks"].get(notebook, {}).get("numbers", {}):
                missing.append(f"{notebook}: {key}")
    assert not missing, f"not in the results file (rerun `python scripts/run_series.py`): {missing}"


def test_the_reference_run_was_full_mode_and_every_check_held():
    results = json.loads(RESULTS.read_text())
    assert results["mode"] == "full"
    notebooks = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(results["notebooks"]) == notebooks
    for name, r in results["notebooks"].items():
        assert not r["quick"], name
        assert r["checks"] > 0 and r["checks_passed"] == r["checks"], (name, [c for c in r["check_cells"] if not c["held"]])
        assert r["errors"] == [], (name, r["errors"])
        # reference mode (the reader's default) was run after it, held the same checks and gave the same numbers
        assert r.get("reference_mode_differs") == [] and r.get("reference_mode_errors") == [], (
            name, "run `python scripts/run_series.py --reference` after a full run", r.get("reference_mode_differs"))
        assert r.get("reference_mode_checks_passed") == r["checks"], name


def test_report_prints_the_reference_beside_this_run(tmp_path, monkeypatch, capsys):
    ref = tmp_path / "results.json"
    ref.write_text(json.dumps({"notebooks": {"99": {"numbers": {"x": {"value": 0.5, "fmt": "{:.0%}", "label": "x"}}}}}))
    monkeypatch.setattr(ganlab.results, "RESULTS", ref)
    monkeypatch.setattr(ganlab.results, "reference", lambda nb, key: ganlab.results.load(ref)["notebooks"][nb]["numbers"][key]["value"])
    out = tmp_path / "collected.jsonl"
    monkeypatch.setenv("GANLAB_RESULTS_OUT", str(out))
    assert ganlab.results.report("99", "x", 0.25, "{:.0%}", "share") == 0.25
    printed = capsys.readouterr().out
    assert "share: 25% in this run" in printed and "50% in the reference run" in printed
    assert json.loads(out.read_text()) == {"notebook": "99", "key": "x", "value": 0.25, "fmt": "{:.0%}", "label": "share"}


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_each_notebook_prints_its_reference_timing(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells[:4] if c.cell_type == "code")
    assert f'ganlab.results.timing("{path.name[:2]}")' in code
