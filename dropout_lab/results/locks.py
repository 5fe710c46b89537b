"""Locks on what a command writes, so that concurrent commands never lose or mix results.

A command holds one lock per run directory it may write (``OUT/<name>/``: a config's run, or a
sweep's directory with its cells), from before it checks that directory until it ends.  A
second command that would write the same run is refused at once with one line naming the run
and the process that holds it; commands writing other runs of the same ``OUT`` go on side by
side.  The top-level comparison (``OUT/summary.*``) is rewritten under a lock of its own,
from the run directories on disk, so its files always agree.

The locks are ``filelock`` locks (``flock`` on POSIX, released by the system when a process
dies) in ``OUT/.locks/``; beside each, the holder's pid, host and start time, for the message.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import ResultsError

LOCKS = ".locks"
COMPARISON_WAIT = 600  # seconds a command waits for another one writing OUT/summary.*


@contextlib.contextmanager
def run_locks(out: Path, names: list[str]):
    """Hold the locks of ``out/<name>`` for each name (sorted, so two commands never deadlock);
    raises ``ResultsError`` naming the run and its holder when another process holds one."""
    held = []
    try:
        for name in sorted(set(names)):
            lock = FileLock(_lock_path(out, name), timeout=0)
            try:
                lock.acquire()
            except Timeout:
                raise ResultsError(
                    f"{out / name}: another dropout-lab command is writing this run ({_holder(out, name)}); "
                    "wait for it to finish, or choose another --out") from None
            held.append(lock)
            _owner_path(out, name).write_text(json.dumps(_me()))
        yield
    finally:
        for lock in reversed(held):
            lock.release()


@contextlib.contextmanager
def comparison_lock(out: Path):
    """Wait for any other command rewriting ``out``'s comparison, then hold its lock."""
    lock = FileLock(_lock_path(out, "summary"), timeout=COMPARISON_WAIT)
    try:
        lock.acquire()
    except Timeout:
        raise ResultsError(f"{out / 'summary.md'}: another dropout-lab command held it for "
                           f"{COMPARISON_WAIT} s; run the command again to rewrite it") from None
    try:
        yield
    finally:
        lock.release()


def _lock_path(out: Path, name: str) -> Path:
    where = out / LOCKS
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"{out}: cannot write results there: {exc.strerror}") from None
    return where / f"{name}.lock"


def _owner_path(out: Path, name: str) -> Path:
    return out / LOCKS / f"{name}.owner.json"


def _me() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": datetime.now(UTC).isoformat(timespec="seconds")}


def _holder(out: Path, name: str) -> str:
    try:
        owner = json.loads(_owner_path(out, name).read_text())
        return f"pid {owner['pid']} on {owner['host']}, since {owner['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that did not say which"
