"""The Optuna side of tune: seeded sampling, the Wilcoxon pruner on paired fold scores."""

import pytest

from dropout_lab.config.search_rules import Space

optuna = pytest.importorskip("optuna")

from dropout_lab.tune.study import ask, open_study, suggest  # noqa: E402
from dropout_lab.tune.trials import Batch, Reporter  # noqa: E402

SPACES = {"model.layers[1].rate": Space("float", 0.0, 0.7), "model.layers[0].units": Space("int", 8, 256),
          "training.optimizer.learning_rate": Space("log", 1e-4, 1e-1),
          "model.layers[0].max_norm": Space("choice", choices=(None, 2, {"a": 1}))}
BEST = [0.80, 0.82, 0.79, 0.85, 0.81, 0.78, 0.84, 0.80, 0.83, 0.79]  # the best trial's ten fold scores


def drawn(seed, sampler="tpe", n=11):
    study = open_study("s", None, sampler=sampler, seed=seed)  # in memory: the same sampler as on a database
    out = []
    for _ in range(n):
        trial = ask(study)
        values = suggest(trial, SPACES)
        study.tell(trial, values["model.layers[1].rate"])  # a score: TPE's 11th draw follows its 10 random ones
        out.append(values)
    return out


@pytest.mark.parametrize("sampler, n", [("tpe", 11), ("random", 3)])
def test_same_seed_same_trials(sampler, n):
    first = drawn(3, sampler, n)
    assert drawn(3, sampler, n) == first
    assert drawn(4, sampler, 2) != first[:2]
    assert all(8 <= v["model.layers[0].units"] <= 256 and 1e-4 <= v["training.optimizer.learning_rate"] <= 1e-1
               and v["model.layers[0].max_norm"] in (None, 2, {"a": 1}) for v in first)


def run_trial(study, scores, prune=True):
    """A trial reporting ``scores`` fold by fold as tune does; its folds trained and whether it was pruned."""
    trial = ask(study)
    batch = Batch(trials={"t": trial}, steps={"t": {(1, f): f - 1 for f in range(1, 11)}}, reported={"t": {}})
    reporter = Reporter(batch, "test_accuracy", prune)
    for fold, score in enumerate(scores, start=1):
        reporter.report("t", 1, fold, score)
        if "t" in batch.pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            return fold, True
    study.tell(trial, sum(scores) / len(scores))
    return len(scores), False


def test_a_trial_worse_on_every_fold_is_pruned_and_one_equal_to_the_best_is_not():
    study = open_study("s", None, prune=True)
    assert run_trial(study, BEST) == (10, False)  # the first trial has no best to lose to
    # worse by 0.01 to 0.05 on every fold: the one-sided Wilcoxon p after n folds is 1/2^n < 0.1 from n = 4
    assert run_trial(study, [s - 0.01 - 0.005 * (i % 9) for i, s in enumerate(BEST)]) == (4, True)
    assert run_trial(study, BEST) == (10, False)  # equal on every fold: never pruned
    assert run_trial(study, [s + 0.01 for s in BEST]) == (10, False)  # better: the new best
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE", "PRUNED", "COMPLETE", "COMPLETE"]
    assert len(study.trials[1].intermediate_values) == 4  # the pruned trial's folds, as reported


def test_without_pruning_a_worse_trial_trains_every_fold():
    study = open_study("s", None, prune=False)
    run_trial(study, BEST, prune=False)
    assert run_trial(study, [s - 0.05 for s in BEST], prune=False) == (10, False)


def test_a_study_resumed_with_another_search_is_refused(tmp_path):
    from dropout_lab.errors import ConfigError

    url = f"sqlite:///{tmp_path / 's.db'}"
    open_study("s", url, attrs={"search": {"a": "float(0, 1)"}})
    open_study("s", url, attrs={"search": {"a": "float(0, 1)"}})  # the same: resumed
    with pytest.raises(ConfigError, match=r"was started with another search .*; resume it as it was, or start "
                                          r"over with --fresh"):
        open_study("s", url, attrs={"search": {"a": "float(0, 2)"}})
    open_study("s", url, attrs={"search": {"a": "float(0, 2)"}}, fresh=True)  # --fresh: a new study
