"""The series' numbers: what the reference run measured, and this run's beside it once.

    ganlab.results.report("03", "confident", scores["confident"], "{:.1%}", "generated digits confidently one digit")
    # generated digits confidently one digit: 83.6%
    ...
    ganlab.results.summary("03")      # the closing table: the shipped numbers (and yours, in full mode)

Every number a notebook's text relies on goes through report(): the cell prints
it once, plainly, and the full-mode command (`python scripts/run_series.py`)
collects it into the results file that ships with ganlab
(ganlab/_data/results.json), together with whether each of the notebook's checks
held, the run time, the machine, the torch version and the date. summary() closes
the notebook with one table: the shipped run's numbers in reference mode, the
reader's beside them in full or quick mode. The README's result tables are made from the same file, and
scripts/stamp_notebooks.py writes the numbers the prose states from it.
"""
import json
import os
from pathlib import Path

from . import runtime

RESULTS = Path(__file__).parent / "_data" / "results.json"
_LOADED = {}
_THIS_RUN = {}          # notebook -> {key: (value, fmt, label)}, what report() saw in this kernel


def load(path=RESULTS):
    """The results file as a dict ({} when there is none yet)."""
    path = Path(path)
    key = (str(path), path.stat().st_mtime if path.exists() else None)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = json.loads(path.read_text()) if path.exists() else {}
    return _LOADED[key]


def reference(notebook, key, path=RESULTS):
    """The reference run's value of `key` for `notebook` ("03"), or None."""
    entry = load(path).get("notebooks", {}).get(notebook, {}).get("numbers", {}).get(key)
    return None if entry is None else entry["value"]


def _format(value, fmt):
    if value is None:
        return "not measured"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_format(v, fmt) for v in value) + "]"
    return fmt.format(value)


def record(notebook, key, value, fmt="{:.3g}", label=None):
    """Hand `value` to the full-mode command (when it runs this notebook); returns value."""
    plain = value.tolist() if hasattr(value, "tolist") else value
    _THIS_RUN.setdefault(notebook, {})[key] = (plain, fmt, label or key)      # for summary()
    out = os.environ.get("GANLAB_RESULTS_OUT")
    if out:
        with open(out, "a") as f:
            f.write(json.dumps(dict(notebook=notebook, key=key, value=plain, fmt=fmt, label=label or key)) + "\n")
    return value


def record_all(notebook, numbers):
    """record() each of {key: (value, fmt, label)}; one call per cell keeps the bookkeeping out of the lesson."""
    for key, (value, fmt, label) in numbers.items():
        record(notebook, key, value, fmt, label)


def report(notebook, key, value, fmt="{:.3g}", label=None):
    """record() the value and print it once, plainly ("label: value"); returns value.

    The reference run's value is shown beside it once, in the notebook's closing
    table (summary())."""
    record(notebook, key, value, fmt, label)
    print(f"{label or key}: {_format(value.tolist() if hasattr(value, 'tolist') else value, fmt)}")
    return value


def formatted(notebook, key, path=RESULTS):
    """The reference run's value of `key` for `notebook`, formatted as the notebook reports it
    (what scripts/stamp_notebooks.py writes into the prose); KeyError when the file has none."""
    entry = load(path)["notebooks"][notebook]["numbers"][key]
    return _format(entry["value"], entry["fmt"])


def summary(notebook, path=RESULTS):
    """The notebook's numbers in one closing table; returns the rows.

    Reference mode shows one column, the shipped run's numbers (a row whose number this
    kernel computed differently, on another device say, gives this run's beside it). Full
    and quick mode, where the reader computed the numbers, put them beside the shipped run's.
    Each row is (label, this run, reference run, equal). Numbers this run did not report
    (a cell skipped) say "not run"; numbers the results file does not have say "not measured"."""
    mine = _THIS_RUN.get(notebook, {})
    stored = load(path).get("notebooks", {}).get(notebook, {}).get("numbers", {})
    rows = []
    for key in list(mine) + [k for k in stored if k not in mine]:
        fmt = stored[key]["fmt"] if key in stored else mine[key][1]
        label = mine[key][2] if key in mine else stored[key]["label"]
        here = _format(mine[key][0], fmt) if key in mine else "not run"
        there = _format(stored[key]["value"], fmt) if key in stored else "not measured"
        rows.append((label, here, there, key in mine and key in stored and here == there))
    if not rows:
        return rows
    width = max(len(r[0]) for r in rows)
    if runtime.mode() == "reference":
        print(f"The shipped run's numbers ({machine_line(path, notebook)}); MODE = \"full\" computes your own "
              "beside them.")
        for label, here, there, same in rows:
            note = "" if same or "not" in here + there else f"  (this run: {here})"
            print(f"{label:{width}}  {there:>12}{note}")
        return rows
    print({"full": "Your run, trained here, beside the shipped run (expect some difference: other random numbers "
                   "on another device, more or fewer steps in a time budget).",
           "quick": "Quick mode: tiny sizes that only show the code runs; its numbers are not results."}[runtime.mode()])
    print(f"{'':{width}}  {'your run':>12}  {'shipped run':>12}")
    for label, here, there, same in rows:
        note = "" if same or "not" in here + there else "  (differs)"
        print(f"{label:{width}}  {here:>12}  {there:>12}{note}")
    print(f"shipped run: {machine_line(path, notebook)}")
    return rows


def machine_line(path=RESULTS, notebook=None):
    """One line saying where and when the reference run was made (of `notebook`, when given)."""
    r = load(path)
    if not r:
        return "no reference run recorded yet"
    m = r["machine"]
    date = r.get("notebooks", {}).get(notebook, {}).get("date", r["date"]) if notebook else r["date"]
    return f"{m['device_name']}, {m['threads']} threads, torch {m['torch']}, {date}"


def timing(notebook, path=RESULTS):
    """How long `notebook` took in the reference run, in full mode and in reference mode, as a sentence."""
    entry = load(path).get("notebooks", {}).get(notebook)
    if not entry:
        return f"Notebook {notebook} has no reference run yet."
    reference = entry.get("reference_mode_seconds")
    shown = f"; reference mode took {reference:.0f} s" if reference is not None else ""
    if entry.get("made_from"):          # pieced together from its parts' runs, not one timed run
        return (f"On the reference machine ({machine_line(path, notebook)}) this notebook's full mode adds up to "
                f"about {entry['seconds'] / 60:.1f} min, from the runs of its parts (not timed as one run){shown}.")
    return (f"On the reference machine ({machine_line(path, notebook)}) this notebook took "
            f"{entry['seconds'] / 60:.1f} min in full mode{shown}.")
