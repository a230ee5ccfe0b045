"""Write into every notebook what comes from elsewhere: the repository address and the reference timings.

    python scripts/stamp_notebooks.py          # run by scripts/run_series.py after each run, too

The repository address and the version live in one place, pyproject.toml. From them each
notebook gets its setup cell's install line (pinned to the release tag) and the "Open in
Colab" link in its title cell. From ganlab/_data/results.json each title cell gets one
line with the reference machine's times in full and in reference mode, and every number
the prose states is written between two markers,

    <!-- n:03/frechet -->4.7<!-- /n -->

(notebook 03's number "frechet", formatted as the notebook reports it; a reader sees 4.7),
so the text cannot drift from the results file. To publish under another address, change
pyproject.toml and run this script; tests/test_notebooks_hygiene.py fails while a notebook
disagrees with the two files.
"""
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TIME_START, TIME_END = "<!-- reference timing: scripts/stamp_notebooks.py -->", "<!-- end of timing -->"
NUMBER = re.compile(r"<!-- n:([0-9a-z]+)/([^ >]+) -->(.*?)<!-- /n -->")
PATTERN = "[0-9][0-9]*_*.ipynb"            # the lessons (01_...) and their appendices (02b_...)


def notebook_id(name):
    """"02" for 02_transforming_noise_2d.ipynb, "02b" for 02b_mmd_in_detail.ipynb."""
    return name.split("_", 1)[0]


def number_text(results, notebook, key):
    """Notebook `notebook`'s number `key` from the results file, formatted as the notebook reports it."""
    try:
        entry = results["notebooks"][notebook]["numbers"][key]
    except KeyError:
        raise KeyError(f"a marker asks for number {notebook}/{key}, which ganlab/_data/results.json does not have: "
                       f"fix the marker, or report the number in the notebook and rerun scripts/run_series.py") from None
    value, fmt = entry["value"], entry["fmt"]
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt.format(v) for v in value)
    return fmt.format(value)


def stamp_numbers(source, results):
    """`source` with every <!-- n:NB/KEY -->...<!-- /n --> marker's text set from the results file."""
    return NUMBER.sub(lambda m: f"<!-- n:{m.group(1)}/{m.group(2)} -->{number_text(results, m.group(1), m.group(2))}"
                                f"<!-- /n -->", source)


def project():
    """(repository URL, version) from pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text()
    url = re.search(r'^Repository = "(.+)"$', text, re.M).group(1)
    version = re.search(r'^version = "(.+)"$', text, re.M).group(1)
    return url, version


def colab_link(url, version, name):
    path = url.split("github.com/", 1)[1]
    return f"[Open in Colab](https://colab.research.google.com/github/{path}/blob/v{version}/notebooks/{name})"


def timing_line(results, number):
    entry = results.get("notebooks", {}).get(number)
    if not entry:
        return f"{TIME_START}*No reference run recorded yet.*{TIME_END}"
    m = results["machine"]
    ref = entry.get("reference_mode_seconds")
    date = entry.get("date", results["date"])        # the day this notebook ran, not the file's last run
    if ref is not None and max(ref, entry["seconds"]) < 60:     # nothing trains for long: no mode is faster
        times = "under a minute in full mode and in reference mode alike"
    else:
        about = "about " if entry.get("made_from") else ""      # added up from its parts' runs, not one timed run
        times = f"full mode {about}{entry['seconds'] / 60:.1f} min" + (f", reference mode {ref:.0f} s" if ref is not None else "")
    return f"{TIME_START}**Time on the reference machine** ({m['device_name']}, {date}): {times}.{TIME_END}"


def stamped(nb, name, url, version, results):
    """The notebook with its install line, Colab link and timing line brought up to date."""
    install = f"git+{url}.git@v{version}"
    setup = next(c for c in nb.cells if c.cell_type == "code")
    setup.source = re.sub(r'"git\+[^"]*"', f'"{install}"', setup.source, count=1)
    title = nb.cells[0]
    lines = [line for line in title.source.split("\n")
             if not line.startswith("[Open in Colab]") and TIME_START not in line]
    heading = lines[0]
    rest = "\n".join(lines[1:]).strip("\n")
    title.source = "\n".join([heading, "", colab_link(url, version, name) + " · "
                              + timing_line(results, notebook_id(name)), "", rest])
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "<!-- n:" in cell.source:
            cell.source = stamp_numbers(cell.source, results)
    return nb


def main(check=False):
    url, version = project()
    results_file = ROOT / "ganlab" / "_data" / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    changed = []
    for path in sorted((ROOT / "notebooks").glob(PATTERN)):
        nb = nbformat.read(path, as_version=4)
        before = nbformat.writes(nb)
        after = nbformat.writes(stamped(nb, path.name, url, version, results))
        if after != before:
            changed.append(path.name)
            if not check:
                path.write_text(after)
    return changed


if __name__ == "__main__":
    print("stamped:", ", ".join(main()) or "nothing to change")
    sys.exit(0)
