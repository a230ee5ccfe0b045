"""The three ways through a notebook, and the sizes each one runs at.

    ganlab.set_mode("reference")   a notebook's choice: "reference", "full" or "quick"
    ganlab.mode(), ganlab.quick()  the mode in force (the environment can override the notebook)
    ganlab.budget(full=3000, quick=200)   the size for the current mode

- reference: the series' own trained models and kept results, shipped with ganlab,
  are loaded instead of training, so every figure appears in about a minute;
- full: everything trains here, as the notebook describes;
- quick: tiny sizes that only show the code runs (what the tests use); its pictures
  and numbers are not results.
Quick mode changes sizes, never code paths: every notebook asks budget() for its step
counts and data sizes. Reference mode uses the full sizes and loads what took long.
GANLAB_MODE (or GANLAB_QUICK=1, for quick) in the environment wins over the notebook's
choice, so tests and CI can run every notebook in quick mode.
"""
import os

MODES = ("reference", "full", "quick")
_FALSE = {"", "0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}
_CHOSEN = [None]                 # what set_mode() was given
_SAID = {
    "reference": "reference mode: the series' own trained models and results, shipped with ganlab, are "
                 "loaded where a cell would train for long. Set MODE = \"full\" to train everything yourself.",
    "full": "full mode: everything trains here; the times printed below are the reference run's.",
    "quick": "quick mode: tiny sizes that only show the code runs; its pictures and numbers are not results.",
}


def mode():
    """The mode in force: GANLAB_MODE, else quick if GANLAB_QUICK=1, else set_mode()'s choice, else full."""
    env = os.environ.get("GANLAB_MODE", "").strip().lower()
    if env:
        if env not in MODES:
            raise ValueError(f"GANLAB_MODE={env!r}; choose one of {', '.join(MODES)}")
        return env
    flag = os.environ.get("GANLAB_QUICK", "").strip().lower()
    if flag not in _FALSE | _TRUE:
        raise ValueError(f"GANLAB_QUICK={flag!r}; set it to 1 for quick mode or 0 (or unset it) for the "
                         f"notebook's own choice")
    if flag in _TRUE:
        return "quick"
    return _CHOSEN[0] or "full"


def set_mode(choice):
    """A notebook's choice of mode; prints which mode is in force and what it means, and returns it."""
    if choice not in MODES:
        raise ValueError(f"MODE must be one of {', '.join(repr(m) for m in MODES)}, got {choice!r}")
    _CHOSEN[0] = choice
    now = mode()
    note = "" if now == choice else f" (the environment chose it over MODE = {choice!r})"
    print(_SAID[now] + note)
    return now


def quick():
    """True in quick mode (GANLAB_QUICK=1, GANLAB_MODE=quick or MODE = "quick")."""
    return mode() == "quick"


def budget(full, quick):
    """Pick the full-size value, or the quick-mode value in quick mode (reference mode uses full sizes).

    Works for any value: a step count, a data size, a tuple of hidden sizes.
    """
    return quick if mode() == "quick" else full
