"""XLA's persistent compilation cache for the fused engine's programs.

Compiling a program with XLA costs about a second on 2 cores, paid again by every new
process.  TensorFlow can keep what it compiled on disk (``TF_XLA_FLAGS``'
``--tf_xla_persistent_cache_directory``) and load it when the same program (the same
HLO, device and flags) is compiled again: a study run a second time, or the next
command of a sweep over the same architecture, skips the compile.  The loaded program is
the one compiled before, so its numbers are the same bits.  TensorFlow writes each entry
to a temporary file and renames it into place, and checks a loaded entry's whole HLO
against the program's, so processes may share the directory.

``DROPOUT_LAB_XLA_CACHE`` names the directory, or ``off`` turns the cache off; the
default is ``$XDG_CACHE_HOME/dropout-lab/xla`` (``~/.cache/dropout-lab/xla``).  A
directory already set in ``TF_XLA_FLAGS`` is left as it is.  TensorFlow reads its XLA
flags once, at its first use of them (creating a ``tf.Variable`` is enough), so
:func:`enable` must run before that: ``run_all`` calls it first thing, and
:func:`dropout_lab.engines.tf_setup.configure` (TensorFlow's settings for training) too.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "DROPOUT_LAB_XLA_CACHE"
_FLAG = "--tf_xla_persistent_cache_directory"


def directory() -> Path | None:
    """Where the cache lives, or None when ``DROPOUT_LAB_XLA_CACHE=off``."""
    chosen = os.environ.get(ENV, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dropout-lab" / "xla"


def enable() -> Path | None:
    """Point TensorFlow's XLA cache at :func:`directory` (created if missing); the directory
    in use, or None (turned off, already chosen in ``TF_XLA_FLAGS``, or not writable)."""
    flags = os.environ.get("TF_XLA_FLAGS", "")
    where = directory()
    if where is None or _FLAG in flags:
        return None
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: compile every time, as without a cache
        return None
    os.environ["TF_XLA_FLAGS"] = f"{flags} {_FLAG}={where}".strip()
    return where
