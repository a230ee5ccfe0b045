"""The series' numbers: what the reference run measured, and this run's beside it.

    ganlab.results.report("03", "confident", scores["confident"], "{:.1%}", "generated digits confidently one digit")
    # generated digits confidently one digit: 83.6% in this run (full mode) | 83.6% in the reference run

Every number a notebook's text relies on goes through report(): the notebook
prints it beside the committed reference, and the full-mode command
(`python scripts/run_series.py`) collects it into the results file that ships with
ganlab (ganlab/_data/results.json), together with whether each of the notebook's
checks held, the run time, the machine, the torch version and the date. The
README's result tables are made from that file. So the text can say "compare the
two numbers above" and stay true when the reference run is redone.
"""
import json
import os
from pathlib import Path

from . import runtime

RESULTS = Path(__file__).parent / "_data" / "results.json"
_LOADED = {}


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
        return "not measured yet"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_format(v, fmt) for v in value) + "]"
    return fmt.format(value)


def record(notebook, key, value, fmt="{:.3g}", label=None):
    """Hand `value` to the full-mode command (when it runs this notebook); returns value."""
    out = os.environ.get("GANLAB_RESULTS_OUT")
    if out:
        plain = value.tolist() if hasattr(value, "tolist") else value
        with open(out, "a") as f:
            f.write(json.dumps(dict(notebook=notebook, key=key, value=plain, fmt=fmt, label=label or key)) + "\n")
    return value


def report(notebook, key, value, fmt="{:.3g}", label=None):
    """record() the value and print it beside the reference run's; returns value."""
    record(notebook, key, value, fmt, label)
    ref = reference(notebook, key)
    mode = {"quick": "quick mode: tiny sizes, not a result", "full": "full mode",
            "reference": "reference mode: the shipped models"}[runtime.mode()]
    print(f"{label or key}: {_format(value, fmt)} in this run ({mode}) | {_format(ref, fmt)} in the reference run")
    return value


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
