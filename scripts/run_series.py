"""Run every notebook as a reader would and write down what it measured: the full-mode command.

    python scripts/run_series.py                    # all notebooks, full mode (over three hours on 2 cores)
    python scripts/run_series.py 03 05 02b          # some of them (the others keep their entries)
    python scripts/run_series.py --readme           # only rewrite the README's tables from the file

The lessons (NN_*.ipynb) and their appendix notebooks (NNb_*.ipynb) are run alike.
Each notebook runs top to bottom in a real Jupyter kernel (nbclient), in full mode,
with a fresh checkpoint folder so everything trains. Every code cell runs even when
an earlier one fails, so every check is tried. Then ganlab/_data/results.json gets,
per notebook: the numbers it reported (ganlab.results.report / record), each check
cell (a cell with an assert) and whether it held, errors in other cells, the run
time, the machine, the torch version, the device and the date. Last, the README's
result tables are rewritten from that file. The executed notebooks are kept in
artifacts/run-series/ to look at, with compact copies of the trained models and kept
results in artifacts/run-series/reference/.
"""
import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "ganlab" / "_data" / "results.json"
REFERENCE = ROOT / "ganlab" / "_data" / "reference"          # the models and results reference mode loads
README = ROOT / "README.md"
START, END = "<!-- results: made by scripts/run_series.py -->", "<!-- end of results -->"


def notebook_id(path):
    """"02" for a lesson (02_transforming_noise_2d.ipynb), "02b" for its appendix (02b_mmd_in_detail.ipynb)."""
    return path.name.split("_", 1)[0]


def notebooks(wanted=()):
    """The lessons and their appendices, each lesson followed by its appendices (01, 02, 02b, 03, ...)."""
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"), key=lambda p: notebook_id(p))
    return [p for p in paths if not wanted or notebook_id(p) in wanted]


def machine():
    import torch

    import ganlab

    dev = ganlab.device()
    return dict(device=dev.type, device_name=ganlab.runtime.machine_name(dev), threads=torch.get_num_threads(),
                torch=torch.__version__, python=platform.python_version(), platform=platform.platform())


def reference_files():
    shipped = sorted(REFERENCE.glob("*.pt"))
    return dict(count=len(shipped), megabytes=round(sum(p.stat().st_size for p in shipped) / 2**20, 2))


def is_check(source):
    return any(line.strip().startswith("assert ") for line in source.splitlines())


def run_one(path, mode, checkpoints, artifacts, timeout):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    numbers_file = Path(tempfile.mkstemp(prefix="ganlab-results-", suffix=".jsonl")[1])
    env_before = dict(os.environ)
    os.environ.pop("GANLAB_QUICK", None)
    os.environ.update(GANLAB_MODE=mode, GANLAB_RESULTS_OUT=str(numbers_file), GANLAB_CHECKPOINTS=str(checkpoints))
    if mode == "full":
        os.environ["GANLAB_REFERENCE_EXPORT"] = str(REFERENCE)
    started = time.perf_counter()
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    seconds = time.perf_counter() - started
    artifacts.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, artifacts / (path.name if mode == "full" else f"{path.stem}-{mode}.ipynb"))
    checks, errors = [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        failed = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        message = f"{failed[0]['ename']}: {failed[0]['evalue']}"[:400] if failed else None
        if is_check(cell.source):
            first = next(line.strip() for line in cell.source.splitlines() if line.strip().startswith("assert "))
            checks.append(dict(cell=i, held=not failed, first_assert=first[:120], error=message))
        elif failed:
            errors.append(dict(cell=i, error=message))
    numbers = {}
    for line in numbers_file.read_text().splitlines():
        r = json.loads(line)
        numbers[r["key"]] = dict(value=r["value"], fmt=r["fmt"], label=r["label"])
    numbers_file.unlink()
    return dict(seconds=round(seconds, 1), checks=len(checks), checks_passed=sum(c["held"] for c in checks),
                check_cells=checks, errors=errors, numbers=numbers, quick=mode == "quick",
                date=datetime.date.today().isoformat())


def fmt(value, spec):
    if isinstance(value, list):
        return ", ".join(fmt(v, spec) for v in value)
    try:
        return spec.format(value)
    except (ValueError, TypeError):
        return str(value)


def readme_block(results):
    """The README's results section, made from the results file (tests/test_results.py checks they agree)."""
    if not results:
        return f"{START}\n(no reference run yet: `python scripts/run_series.py`)\n{END}"
    m = results["machine"]
    lines = [START, f"Reference run: {m['device_name']}, {m['threads']} threads, torch {m['torch']}, "
                    f"{results['date']} (`python scripts/run_series.py` redoes it and rewrites this section)."]
    if "reference_files" in results:
        f = results["reference_files"]
        lines.append(f"The models and results it keeps for reference mode: {f['count']} files, {f['megabytes']:.1f} MB "
                     f"in `ganlab/_data/reference/`.")
    lines.append("A ≈ marks a notebook whose full-mode time and numbers were added up from runs of its parts "
                 "(its entry's `made_from` says which), not timed as one run.")
    lines += ["", "| notebook | full mode | checks held | errors in other cells | reference mode | its numbers equal the full run's |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, r in sorted(results["notebooks"].items()):
        ref = r.get("reference_mode_seconds")
        same = ("yes" if not r.get("reference_mode_differs") else "no: " + ", ".join(r["reference_mode_differs"])) \
            if ref is not None else "not run"
        about = "≈ " if r.get("made_from") else ""        # added up from its parts' runs (see made_from)
        lines.append(f"| {name} | {about}{r['seconds'] / 60:.1f} min | {r['checks_passed']} / {r['checks']} | {len(r['errors'])} | "
                     f"{'%.0f s' % ref if ref is not None else 'not run'} | {same} |")
    for name, r in sorted(results["notebooks"].items()):
        if not r["numbers"]:
            continue
        lines += ["", f"Notebook {name}:", "", "| result | reference run |", "| --- | --- |"]
        for key, n in r["numbers"].items():
            lines.append(f"| {n['label']} | {fmt(n['value'], n['fmt'])} |")
    lines.append(END)
    return "\n".join(lines)


def stamp_notebooks():
    """Write the new times into the notebooks' title lines (scripts/stamp_notebooks.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("stamp_notebooks", ROOT / "scripts" / "stamp_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    changed = module.main()
    print("stamped the title lines of:", ", ".join(changed) or "no notebook (unchanged)")


def write_readme(results):
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no results section (the lines {START} ... {END})")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(head + readme_block(results) + tail)


def time_reference_mode(results, paths, checkpoints, artifacts, timeout):
    """Run notebooks in reference mode: record how long each took, and which numbers differ from the file's."""
    for path in paths:
        name = notebook_id(path)
        print(f"running {path.name} (reference mode) ...", flush=True)
        entry = run_one(path, "reference", checkpoints, artifacts, timeout)
        full = results["notebooks"][name]["numbers"]
        differ = sorted(k for k, n in entry["numbers"].items()
                        if k not in full or fmt(n["value"], n["fmt"]) != fmt(full[k]["value"], full[k]["fmt"]))
        results["notebooks"][name].update(reference_mode_seconds=entry["seconds"], reference_mode_differs=differ,
                                          reference_mode_checks_passed=entry["checks_passed"],
                                          reference_mode_errors=entry["errors"])
        print(f"  {entry['seconds']:.0f} s, {entry['checks_passed']}/{entry['checks']} checks held, "
              f"numbers that differ from the full run: {differ or 'none'}", flush=True)
    results["reference_files"] = reference_files()
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    write_readme(results)
    stamp_notebooks()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="numbers of the notebooks to run, e.g. 03 02b (default: all)")
    parser.add_argument("--quick", action="store_true", help="quick mode (to try this script; results not kept)")
    parser.add_argument("--reference", action="store_true",
                        help="time reference mode and check its numbers against the file's (after a full run)")
    parser.add_argument("--checkpoints", help="checkpoint folder (default: a fresh one, so everything trains)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    parser.add_argument("--readme", action="store_true",
                        help="only rewrite the README from the results file (and the reference files' count and size)")
    args = parser.parse_args(argv)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.readme:
        if results:
            results["reference_files"] = reference_files()
            RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        write_readme(results)
        return
    checkpoints = Path(args.checkpoints or tempfile.mkdtemp(prefix="ganlab-series-"))
    artifacts = ROOT / "artifacts" / "run-series"
    results.setdefault("notebooks", {})
    if args.reference:
        time_reference_mode(results, notebooks(args.notebooks), checkpoints, artifacts, args.timeout)
        return
    mode = "quick" if args.quick else "full"
    for path in notebooks(args.notebooks):
        print(f"running {path.name} ({mode} mode) ...", flush=True)
        if mode == "full":          # this run exports the notebook's reference files anew: drop the old ones
            for old in REFERENCE.glob(f"{notebook_id(path)}_*.pt"):     # 02_* is not 02b_*
                old.unlink()
        entry = run_one(path, mode, checkpoints, artifacts, args.timeout)
        print(f"  {entry['seconds'] / 60:.1f} min, {entry['checks_passed']}/{entry['checks']} checks held, "
              f"{len(entry['errors'])} other errors, {len(entry['numbers'])} numbers", flush=True)
        for c in entry["check_cells"] + entry["errors"]:
            if c.get("error"):
                print(f"    cell {c['cell']}: {c['error']}")
        results["notebooks"][notebook_id(path)] = entry
        if not args.quick:      # kept after each notebook, so a run cut short keeps what it finished
            results.update(machine=machine(), date=datetime.date.today().isoformat(), mode="full",
                           reference_files=reference_files())
            RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    if args.quick:
        print("quick mode: nothing written")
        return
    write_readme(results)
    stamp_notebooks()
    print(f"wrote {RESULTS.relative_to(ROOT)}, the README's results section and the notebooks' title lines")


if __name__ == "__main__":
    main()
