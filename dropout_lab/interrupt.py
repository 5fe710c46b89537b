"""Ctrl-C that always stops a run.

Python turns SIGINT into a ``KeyboardInterrupt`` raised wherever the main thread happens
to be.  When that is inside a weakref callback or a ``__del__`` (TensorFlow and Keras run
many of them while models and traced functions are garbage-collected, e.g.
``WeakKeyDictionary``'s ``remove``), Python cannot propagate it: it prints ``Exception
ignored in ...`` and carries on, and the interrupt is lost.  Within ``stop_on_interrupt`` that
report is not printed (the interrupt was recorded; the user sees only the run's own message).

``stop_on_interrupt()`` installs a SIGINT handler that records the interrupt before it
raises ``KeyboardInterrupt``; ``check()``, called at safe points (after each fold, before
results are written, at the end of a command), raises it again if it was swallowed.  So an
interrupt stops the run at once in the usual case, and at the next safe point at the latest.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

_state = {"pending": False, "installed": False, "ignoring": False, "deferring": False}


def _handler(signum, frame):
    _state["pending"] = True
    if not _state["deferring"]:
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred():
    """Within this block an interrupt is only recorded: work that cannot be cut short (a
    stacked TensorFlow program, which sees no signal until it returns) keeps its results,
    and ``check()`` at the next safe point stops the run."""
    before = _state["deferring"]
    _state["deferring"] = True
    try:
        yield
    finally:
        _state["deferring"] = before


@contextlib.contextmanager
def stop_on_interrupt():
    """Within this block, SIGINT raises ``KeyboardInterrupt`` and is remembered for ``check``.

    Outside the main thread (where signals cannot be handled) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or _state["installed"]:
        yield
        return
    previous = signal.signal(signal.SIGINT, _handler)
    previous_hook = sys.unraisablehook

    def quiet_interrupts(unraisable):  # a swallowed Ctrl-C: recorded already, reported by check()
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            previous_hook(unraisable)

    sys.unraisablehook = quiet_interrupts
    _state.update(pending=False, installed=True, ignoring=False)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        if not _state["ignoring"]:  # when stopping for an interrupt, further presses stay ignored until exit
            signal.signal(signal.SIGINT, previous)
        _state.update(pending=False, installed=False, ignoring=False)


def check() -> None:
    """Raise ``KeyboardInterrupt`` if an interrupt arrived (even one that was swallowed)."""
    if _state["pending"]:
        raise KeyboardInterrupt


def interrupted() -> bool:
    """Whether an interrupt arrived within ``stop_on_interrupt``."""
    return _state["pending"]


def ignore_further() -> None:
    """While a run reports its interruption and exits, further Ctrl-C presses change nothing
    (SIGINT stays ignored after ``stop_on_interrupt`` ends: the process is exiting)."""
    if threading.current_thread() is threading.main_thread() and _state["installed"]:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _state["ignoring"] = True
