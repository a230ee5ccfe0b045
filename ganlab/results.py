"""The series' numbers: what the reference run measured, and this run's beside it once.

    ganlab.results.report("03", "confident", scores["confident"], "{:.1%}", "generated digits confidently one digit")
    # generated digits confidently one digit: 83.6%
    ...
    ganlab.results.summary("03")      # the notebook's last section: this run's numbers beside the reference run's

Every number a notebook's text relies on goes through report(): the cell prints
it once, plainly, and the full-mode command (`python scripts/run_series.py`)
collects it into the results file that ships with ganlab
(ganlab/_data/results.json), together with whether each of the notebook's checks
held, the run time, the machine, the torch version and the date. summary() puts
this run's numbers beside the reference run's in one table at the end of the
notebook. The README's result tables are made from the same file, and
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
    """Print this run's numbers beside the reference run's, one row each; returns the rows.

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
    mode = runtime.mode()
    ships = any(runtime.REFERENCE.glob(f"{notebook}_*.pt"))        # does reference mode load anything here?
    loaded = ("This run is in reference mode: it loaded this notebook's trained models and kept results from the "
              "reference run, so the numbers that come from them equal the reference run's by construction "
              "(MODE = \"full\" makes your own and this table compares them)." if ships else
              "This run is in reference mode, but this notebook loads no trained models: it computed every number "
              "here, from fixed seeds, so they equal the reference run's on a like machine and may differ a little "
              "on another device or torch version.")
    intro = {"reference": loaded,
             "full": "This run is in full mode: everything was trained here, so expect differences from the "
                     "reference run (other random numbers on another device; more or fewer steps in a time budget).",
             "quick": "This run is in quick mode: tiny sizes that only show the code runs; its numbers are not results."}[mode]
    print(intro)
    if rows:
        width = max(len(r[0]) for r in rows)
        print(f"{'':{width}}  {'this run':>12}  {'reference run':>13}")
        for label, here, there, same in rows:
            note = "" if same or "not" in here + there else "  (differs)"
            print(f"{label:{width}}  {here:>12}  {there:>13}{note}")
    if path == RESULTS or load(path):
        print(f"reference run: {machine_line(path)}")
    return rows


def machine_line(path=RESULTS):
    """One line saying where and when the reference run was made."""
    r = load(path)
    if not r:
        return "no reference run recorded yet"
    m = r["machine"]
    return f"{m['device_name']}, {m['threads']} threads, torch {m['torch']}, {r['date']}"


def timing(notebook, path=RESULTS):
    """How long `notebook` took in the reference run, in full mode and in reference mode, as a sentence."""
    entry = load(path).get("notebooks", {}).get(notebook)
    if not entry:
        return f"Notebook {notebook} has no reference run yet."
    reference = entry.get("reference_mode_seconds")
    shown = f"; reference mode took {reference:.0f} s" if reference is not None else ""
    return (f"On the reference machine ({machine_line(path)}) this notebook took {entry['seconds'] / 60:.1f} min "
            f"in full mode ({entry['checks_passed']} of {entry['checks']} checks held){shown}.")
