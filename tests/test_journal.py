"""The resume journal (journal.py): each finished fold appended as one JSON line, read back
exactly, a torn last line ignored, and another run id never seeing another run's folds."""

import json

import numpy as np
import pandas as pd

from dropout_lab.folds import FoldResult
from dropout_lab.journal import Journal
from dropout_lab.scoring import columns


def fold_result(repeat, fold, test_accuracy, history=None, n_test=3, n_classes=2):
    scores = {name: 0.5 for name in columns()}
    scores["test_accuracy"] = test_accuracy
    proba = np.random.default_rng(fold).dirichlet(np.ones(n_classes), n_test).astype("float32")
    return FoldResult(repeat, fold, 7, 11, 10, n_test, scores, np.arange(n_test) + 10 * fold, proba, 0.25, history)


def test_journal_round_trip_and_torn_last_line(tmp_path):
    journal = Journal(tmp_path, "x", "abc")
    history = pd.DataFrame({"repeat": [1, 1], "fold": [2, 2], "epoch": [1, 2], "test_accuracy": [0.5, 0.75]})
    first, second = fold_result(1, 1, 0.1 + 0.2, n_classes=10), fold_result(1, 2, 0.8, history)
    journal.append(first)
    journal.append(second)
    with open(journal.path, "a") as handle:
        handle.write('{"row": {"repeat": 1, "fo')  # killed mid-write
    done = journal.load()
    assert sorted(done) == [(1, 1), (1, 2)]
    assert done[1, 1].scores["test_accuracy"] == 0.1 + 0.2  # floats round-trip exactly
    assert done[1, 1].row() == first.row()
    np.testing.assert_array_equal(done[1, 1].test_index, first.test_index)
    np.testing.assert_array_equal(done[1, 1].test_proba, first.test_proba)  # float32 probabilities, exactly
    assert done[1, 2].history.equals(history) and done[1, 1].history is None
    assert Journal(tmp_path, "x", "other-id").load() == {}  # another config never sees these folds
    journal.discard(every_id=True)
    assert not (tmp_path / ".journal").exists()


def test_a_journal_line_without_predictions_is_trained_again(tmp_path):
    journal = Journal(tmp_path, "x", "abc")
    journal.path.parent.mkdir(parents=True)
    journal.path.write_text(json.dumps({"row": fold_result(1, 1, 0.5).row(), "history": None}) + "\n")
    journal.append(fold_result(1, 2, 0.5))
    assert sorted(journal.load()) == [(1, 2)]
