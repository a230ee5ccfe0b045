"""Checks for the notebooks' exercises: right or wrong, with a hint.

    ganlab.exercises.check("01.1", answer)

Each check recomputes the right answer independently (or tests the reader's
function against ganlab's own), prints what it found and returns True/False.
An exercise left at None is reported as not answered yet, so a notebook can be
run top to bottom before the reader has tried anything. Worked solutions are in
notebooks/solutions.md, out of the way until wanted.

An answer can take the form a reader naturally gives: a number as an int, a float, a
NumPy number or a one-element tensor; a function; a module as its class or an instance.
The "build" checks (01.4, 02.3, 03.3, 04.3, 05.3, 06.3, 07.1) run the reader's component on
small cases whose right result is worked out by hand here, and run it inside a random
stream of their own, so a check never moves the numbers of the cells after it.
The "write the loop" and "debug this GAN" checks (03.5-6, 04.5-6, 05.5-6, 07.1-2) train the
reader's own loop for a few seconds on a small problem (toys.py) and watch every update
(loops.py), so each classic mistake gets its own hint. A prediction ("predict 02.1", ...) is
asked in the lesson, before the cell that shows its answer.
"""
import contextlib
import copy
import math

import numpy as np
import torch
from torch import nn

_CHECKS = {}


def _exercise(key, question):
    def register(fn):
        _CHECKS[key] = (question, fn)
        return fn
    return register


def check(key, answer):
    """Check the reader's answer to exercise `key` ("NN.k"); prints a verdict, returns True/False."""
    if key not in _CHECKS:
        raise KeyError(f"no exercise {key!r}; known: {', '.join(sorted(_CHECKS))}")
    question, fn = _CHECKS[key]
    if answer is None:
        print(f"Exercise {key} not answered yet: {question}")
        return False
    try:
        ok, message = fn(answer)
    except Exception as err:      # a reader's function that crashes is a wrong answer, not a crash
        ok, message = False, f"your answer raised {type(err).__name__}: {err}"
    if not ok and isinstance(answer, str) and _number_text(answer):
        message = (f"your answer is the text {answer!r}, and this exercise expects a number: write "
                   f"{answer.strip()} without the quotes.")
    print(("✓ right. " if ok else "✗ not yet. ") + message)
    return ok


def _number_text(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _number(value):
    """A plain float from the answers a reader naturally gives: an int or float, a NumPy
    number or one-element array, a tensor with one element (0-d or not, with gradients or not).
    None for anything else (a bool, a string, a batch of numbers)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if torch.is_tensor(value) and value.numel() == 1 and not value.is_complex():
        return float(value.detach().reshape(()).item())
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    return None


def _close(value, target, tol):
    value = _number(value)
    return value is not None and math.isfinite(value) and abs(value - target) <= tol


def _values(value):
    """A flat float64 tensor from a tensor, a NumPy array or a list the reader returned."""
    if torch.is_tensor(value):
        return value.detach().cpu().double().reshape(-1)
    return torch.as_tensor(np.asarray(value, dtype=np.float64)).reshape(-1)


@contextlib.contextmanager
def _own_random_stream(seed=0):
    """Run a check on a seeded copy of torch's global random stream, restored afterwards:
    the check is repeatable, and the notebook's later cells draw the numbers they always did."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _module(answer, *args):
    """A module from an answer that is a module (copied, so the check leaves it alone) or a
    class or function that builds one from *args."""
    if isinstance(answer, nn.Module):
        return copy.deepcopy(answer).cpu()
    if not callable(answer):
        raise TypeError(f"expected an nn.Module class or instance, got {type(answer).__name__}")
    module = answer(*args)
    if not isinstance(module, nn.Module):
        raise TypeError(f"calling your answer with {args} gave a {type(module).__name__}, not an nn.Module")
    return module


def keys():
    """Every exercise that has a check."""
    return sorted(_CHECKS)


# the checks, one file per notebook; importing them registers them
from . import notebook01, notebook02, notebook03, notebook04, notebook05, notebook06, notebook07  # noqa: E402,F401

