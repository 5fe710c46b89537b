"""The resume journal: each finished fold of a run, appended durably as it completes.

The orchestration (:mod:`dropout_lab.orchestrate`) drives it: the driver alone appends to it
as results arrive from whichever executor trained them.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import scoring
from .errors import ResultsError
from .folds import ENTROPY_COLUMNS, STOPPING_COLUMNS, FoldResult


class Journal:
    """The finished folds of one run, appended durably as each completes.

    One JSON line per fold (its row and per-epoch history), flushed and fsync'ed, in
    ``OUT/.journal/<name>.<run_id>.jsonl``.  A run killed at any point and started again
    with the same command reads it back and trains only the missing folds; a run with
    another id (changed config, data or library versions) never sees it.  The journal is
    removed once the run's directory is written.
    """

    def __init__(self, out: Path, name: str, run_id: str):
        self.path = out / ".journal" / f"{name}.{run_id}.jsonl"
        self._name = name

    def load(self) -> dict[tuple[int, int], FoldResult]:
        """Folds finished by an earlier attempt; a torn last line (a kill mid-write) is ignored,
        and so is a line without the fold's predictions (written by an older version)."""
        done = {}
        if not self.path.is_file():
            return done
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
                result = _fold_from_entry(entry)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
            done[result.key] = result
        return done

    def append(self, result: FoldResult) -> None:
        history = result.history
        entry = {"row": result.row(), "history": None if history is None else history.to_dict(orient="list"),
                 "test_index": np.asarray(result.test_index).tolist(),
                 "test_proba": np.asarray(result.test_proba, dtype=np.float64).tolist(),
                 "mc_test_proba": None if result.mc_test_proba is None
                 else np.asarray(result.mc_test_proba, dtype=np.float64).tolist()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a") as handle:
                handle.write(json.dumps(entry) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise ResultsError(f"{self.path}: cannot record a finished fold: {exc.strerror}") from None

    def discard(self, every_id: bool = False) -> None:
        """Remove this run's journal, or with ``every_id`` every journal of this config name."""
        pattern = f"{self._name}.*.jsonl" if every_id else self.path.name
        for path in self.path.parent.glob(pattern):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.path.parent.rmdir()  # only when empty


def _fold_from_entry(entry: dict) -> FoldResult:
    row, history = entry["row"], entry["history"]
    mc = entry.get("mc_test_proba")
    task = scoring.task_of(row)
    scores = {name: row[name] for name in scoring.columns(task)}
    if mc is not None:
        extra = ENTROPY_COLUMNS if task == "classification" else []
        scores.update({name: row[name] for name in [*scoring.mc_columns(task), *extra]})
    stopping = {name: int(row[name]) for name in STOPPING_COLUMNS} if STOPPING_COLUMNS[0] in row else None
    return FoldResult(int(row["repeat"]), int(row["fold"]), int(row["split_seed"]), int(row["model_seed"]),
                      int(row["n_train"]), int(row["n_test"]), scores, np.asarray(entry["test_index"], dtype=np.int64),
                      np.asarray(entry["test_proba"], dtype=np.float64), float(row["fit_seconds"]),
                      None if history is None else pd.DataFrame(history),
                      None if mc is None else np.asarray(mc, dtype=np.float64), stopping, task)
