"""dropout-lab tune end to end: resuming, pruning in the loop, seeds, outputs, tracking.

The SciKeras engine's ``train`` is replaced by a stand-in that scores each split from the
config's hidden dropout rate (best at 0.35, worse the further away, a little worse on each
later fold): the search, pruning, storage and outputs are the real ones; nothing trains.
The fused engine trains for real in the slow test at the end.
"""

import numpy as np
import pandas as pd
import pytest
import yaml

optuna = pytest.importorskip("optuna")

from dropout_lab.config import load_config  # noqa: E402
from dropout_lab.folds import fold_result  # noqa: E402
from dropout_lab.tune import TuneInterrupted, tune  # noqa: E402
from dropout_lab.tune.study import open_study, storage_url  # noqa: E402

from .conftest import CONFIGS  # noqa: E402

RATE = "model.layers[1].rate"
TINY = ("training.epochs=1",)


@pytest.fixture
def trained(monkeypatch, sonar_env):
    """Each split the stand-in engine trains, as (trial, fold); ``stop_at`` = (trial, fold) raises Ctrl-C there once."""
    from dropout_lab.engines import scikeras

    calls, stop = [], {}

    def train(cfg, dataset, splits, jobs=1):
        for split in splits:
            if stop.get("at") == (cfg.name, split.fold):
                del stop["at"]
                raise KeyboardInterrupt
            calls.append((cfg.name, split.fold))
            error = min(1.0, 2 * abs(cfg.model.layers[1].rate - 0.35) + 0.01 * split.fold)
            y_test, y_train = dataset.y[split.test], dataset.y[split.train]
            wrong = (np.arange(len(y_test)) * 37 % 100) / 100 < error
            proba_test = np.eye(2)[np.where(wrong, 1 - y_test, y_test)] * 0.8 + 0.1
            yield fold_result(split, dataset, np.eye(2)[y_train] * 0.8 + 0.1, proba_test, 0.01)

    monkeypatch.setattr(scikeras, "train", train)
    return calls, stop


def run_tune(out, **options):
    options = {"search": [f"{RATE}=float(0.0, 0.7)"], "trials": 3, "overrides": TINY, "confirm_repeats": 0,
               "plots": False, "quiet": True, **options}
    return tune(CONFIGS / "smoke.yaml", out, **options)


def test_an_interrupted_tune_resumes_without_running_finished_trials(trained, tmp_path):
    calls, stop = trained
    stop["at"] = ("trial_0001", 2)  # Ctrl-C in trial_0001's second fold
    with pytest.raises(TuneInterrupted, match="run the same command again to continue"):
        run_tune(tmp_path)
    assert calls == [("trial_0000", 1), ("trial_0000", 2), ("trial_0000", 3), ("trial_0001", 1)]
    calls.clear()
    result = run_tune(tmp_path)
    # trial_0000 is not trained again; trial_0001 goes on from the fold its journal saved
    assert calls == [("trial_0001", 2), ("trial_0001", 3), ("trial_0003", 1), ("trial_0003", 2), ("trial_0003", 3)]
    table = result.trials
    assert table["state"].tolist() == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]
    assert table["name"].tolist() == ["trial_0000", "trial_0001", "trial_0001", "trial_0003"]
    assert table[RATE][1] == table[RATE][2]  # the interrupted trial's values, tried again
    calls.clear()
    assert len(run_tune(tmp_path).trials) == 4 and calls == []  # all 3 done: nothing trains


def test_a_trial_worse_on_every_fold_is_pruned_and_one_equal_to_the_best_is_not(trained, tmp_path):
    calls, _ = trained
    where = tmp_path / "smoke_tune"
    where.mkdir()
    study = open_study("smoke", storage_url(where, None))
    for rate in ("0.2", "0.7", "0.2"):  # the best, one worse on every fold, one equal to the best
        study.enqueue_trial({RATE: rate})
    result = run_tune(tmp_path, search=[f"{RATE}=0.2,0.7"], overrides=(*TINY, "evaluation.n_splits=5"))
    assert result.trials["state"].tolist() == ["COMPLETE", "PRUNED", "COMPLETE"]
    assert result.trials["folds"].tolist() == [5, 4, 5]  # the one-sided Wilcoxon p after 4 folds: 1/16 < 0.1
    assert [fold for name, fold in calls if name == "trial_0001"] == [1, 2, 3, 4]
    assert (result.trained, result.saved) == (14, 1)
    assert not list((tmp_path / "smoke_tune" / "trials").glob(".journal/*trial_0001*"))
    assert "pruning spared 1" in result.report


@pytest.mark.slow  # three tunes; test_tune_study.py checks the sampler's seed fast
def test_same_seed_same_trials(trained, tmp_path):
    first = run_tune(tmp_path / "a", seed=5, trials=4).trials
    again = run_tune(tmp_path / "b", seed=5, trials=4).trials
    other = run_tune(tmp_path / "c", seed=6, trials=4).trials
    assert first[RATE].tolist() == again[RATE].tolist() and first["value"].tolist() == again["value"].tolist()
    assert first[RATE].tolist()[1:] != other[RATE].tolist()[1:]
    assert first[RATE][0] == 0.2 and first["baseline"].tolist() == [True, False, False, False]


def test_the_winner_is_re_evaluated_on_fresh_splits_and_every_output_written(trained, tmp_path):
    calls, _ = trained
    result = run_tune(tmp_path, trials=3, confirm_repeats=2, plots=True)
    where = tmp_path / "smoke_tune"
    for name in ("trials.csv", "best.yaml", "baseline.yaml", "tune.md", "history.png", "slices.png", "parallel.png"):
        assert (where / name).is_file(), name
    table = pd.read_csv(where / "trials.csv")
    assert list(table.columns[:6]) == ["number", "name", "state", "value", "partial_value", RATE]
    assert table["fold_1"].notna().all() and len(table) == 3
    from dropout_lab.outputs import TRIALS_COLUMN_DOCS  # every column is described in the outputs reference

    assert {c for c in table.columns if c != RATE and not c.startswith("fold_")} <= set(TRIALS_COLUMN_DOCS)
    best = load_config(where / "best.yaml")  # runnable as it is
    winner = table.loc[table["value"].idxmax()]
    assert best.name == "smoke_best" and best.model.layers[1].rate == pytest.approx(winner[RATE])
    assert yaml.safe_load((where / "baseline.yaml").read_text())["model"]["layers"][1]["rate"] == 0.2
    confirmation = result.confirmation
    assert (confirmation["run_a"], confirmation["run_b"]) == ("smoke_baseline", "smoke_best")
    assert confirmation["folds"] == 6 and confirmation["repeats"] == 2  # 2 repeats x 3 folds, each
    runs = {name: pd.read_csv(where / "confirm" / name / "folds.csv") for name in ("smoke_baseline", "smoke_best")}
    search_seeds = set(pd.read_csv(where / "trials" / "trial_0000" / "folds.csv")["split_seed"])
    assert not search_seeds & set(runs["smoke_best"]["split_seed"])  # fresh splits
    assert confirmation["diff"] == pytest.approx(runs["smoke_best"]["test_accuracy"].mean()
                                                 - runs["smoke_baseline"]["test_accuracy"].mean())
    assert "## Re-evaluated on fresh splits" in result.report and "winner's curse" in result.report
    assert f"P(best better) = {confirmation['p_b_better']:.3f}" in result.report


@pytest.mark.slow  # MLflow's start-up
def test_each_complete_trial_is_an_mlflow_run(trained, tmp_path):
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_tune(tmp_path / "out", trials=2, track="mlflow", tracking_uri=uri, experiment="tune")
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("tune").experiment_id])
    assert sorted(run.info.run_name for run in runs) == ["trial_0000", "trial_0001"]
    assert {run.data.params["model.layers.1.rate"] for run in runs} >= {"0.2"}


@pytest.mark.slow
def test_a_fused_tune_trains_a_batch_as_one_program(sonar_env, tmp_path):
    result = tune(CONFIGS / "smoke.yaml", tmp_path, search=[f"{RATE}=float(0.0, 0.7)"], trials=4, batch=2,
                  engine="fused", confirm_repeats=1, plots=False, quiet=True)
    assert result.trials["state"].tolist() == ["COMPLETE"] * 4 and (result.trained, result.saved) == (12, 0)
    for name in result.trials["name"]:  # each trial a run directory, as `run` writes it
        assert len(pd.read_csv(tmp_path / "smoke_tune" / "trials" / name / "folds.csv")) == 3
    assert (result.confirmation is None) == result.best["baseline"]  # re-evaluated unless the config as written won


KILLABLE = """
import pathlib, sys, time
import numpy as np
from dropout_lab.engines import scikeras
from dropout_lab.folds import fold_result

log = pathlib.Path(sys.argv[1])

def train(cfg, dataset, splits, jobs=1):  # the stand-in engine, slow enough to be killed in a trial
    for split in splits:
        with log.open("a") as handle:
            handle.write(f"{cfg.name} {split.fold}\\n")
        time.sleep(0.3)
        y_test, y_train = dataset.y[split.test], dataset.y[split.train]
        yield fold_result(split, dataset, np.eye(2)[y_train] * 0.8 + 0.1, np.eye(2)[y_test] * 0.8 + 0.1, 0.3)

scikeras.train = train
from dropout_lab.cli import main
main(sys.argv[2:], prog_name="dropout-lab")
"""


@pytest.mark.slow  # two processes, one killed
@pytest.mark.serial
def test_a_killed_tune_resumes_without_running_finished_trials(sonar_env, tmp_path):
    import subprocess
    import sys
    import time

    log = tmp_path / "trained.txt"
    command = [sys.executable, "-c", KILLABLE, str(log), "tune", str(CONFIGS / "smoke.yaml"), "--out",
               str(tmp_path / "out"), "--search", f"{RATE}=float(0.0, 0.7)", "--trials", "3", "--set", TINY[0],
               "--confirm-repeats", "0", "--no-plots", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while "trial_0001 2" not in (log.read_text() if log.exists() else ""):  # trial_0000 told, trial_0001 going
            assert process.poll() is None and time.monotonic() < deadline, "the tune ended before it was killed"
            time.sleep(0.05)
    finally:
        process.kill()  # SIGKILL: no handler runs
        process.wait()
    before = log.read_text().splitlines()
    assert before[:3] == ["trial_0000 1", "trial_0000 2", "trial_0000 3"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    after = log.read_text().splitlines()[len(before):]
    assert after and not any(line.startswith("trial_0000 ") for line in after)  # finished: not trained again
    table = pd.read_csv(tmp_path / "out" / "smoke_tune" / "trials.csv")
    assert (table["state"] == "COMPLETE").sum() == 3 and table["state"][0] == "COMPLETE"
    # the killed trial: running until its last heartbeat is 30 s old, then failed and its values tried again
    assert table["state"][1] in ("RUNNING", "FAIL")
