"""One trained split's result (folds.py): each fold is scored once, in one place, whatever
the engine; the engines hand back predictions."""

import pandas as pd
import pytest

from dropout_lab import run_all, scoring

from .conftest import CONFIGS


@pytest.mark.parametrize("engine", ["scikeras", "fused"])
def test_a_run_scores_each_fold_once(sonar_env, tmp_path, monkeypatch, engine):
    """A 3-fold run with Monte Carlo dropout: three calls of each scoring function, one per
    fold (the fused engine scored every fold twice before issue 20)."""
    calls = {"score_split": 0, "score_mc": 0}

    def counted(name):
        real = getattr(scoring, name)

        def count(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return count

    for name in calls:
        monkeypatch.setattr(scoring, name, counted(name))
    overrides = [f"training.engine={engine}", "evaluation.inference={mode: mc_dropout, samples: 2}"]
    run_all([CONFIGS / "smoke.yaml"], tmp_path, overrides=overrides, plots=False, observers=[])
    folds = pd.read_csv(tmp_path / "smoke" / "folds.csv")
    assert len(folds) == 3 and folds["mc_test_accuracy"].notna().all()
    assert calls == {"score_split": 3, "score_mc": 3}
