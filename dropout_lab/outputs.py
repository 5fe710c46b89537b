"""What dropout-lab writes, declared as data: each output file, and each column with what it holds.

The column names come from the code that writes them (``folds.fold_columns``, the metric
table ``scoring.METRICS``, ``sweep_tables``, ``report``...); this module adds what each one
means.  The docs' outputs reference is generated from :data:`OUTPUTS`, and a test fails when a
writer gains a column that has no description here (:func:`describe_column` raises).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import scoring
from .folds import HISTORY_COLUMNS, fold_columns

PART_TEXT = {"train": "the fold's training part (scored after training, dropout off)",
             "test": "the fold's held-out part",
             f"{scoring.MC_PREFIX}test": "the held-out part under Monte Carlo dropout (the mean of "
                                         "evaluation.inference.samples stochastic passes; mc_dropout runs only)"}

# the columns of folds.csv that are not scores
FOLD_COLUMN_DOCS = {
    "repeat": "which repeat of the evaluation (1-based; evaluation.repeats)",
    "fold": "which fold of the repeat (1-based); holdout: 1",
    "split_seed": "the seed that split this repeat's rows (the config's seed for repeat 1)",
    "model_seed": "the seed this fold's model trained with (derived from the split seed and the fold)",
    "n_train": "rows in the fold's training part",
    "n_test": "rows in the fold's held-out part",
    "fit_seconds": "seconds of training (the fused engine: its program's time divided by the models in it)",
    "test_entropy_correct": "mean predictive entropy (nats) of the held-out rows predicted right, standard inference "
                            "(mc_dropout runs only)",
    "test_entropy_wrong": "mean predictive entropy (nats) of the held-out rows predicted wrong, standard inference "
                          "(mc_dropout runs only)",
    "mc_test_entropy_correct": "the same under Monte Carlo dropout, rows predicted right",
    "mc_test_entropy_wrong": "the same under Monte Carlo dropout, rows predicted wrong",
    "stopped_epoch": "epochs trained before early stopping stopped (training.early_stopping runs only)",
    "best_epoch": "the epoch whose weights were kept (training.early_stopping runs only)",
}

SUMMARY_COLUMN_DOCS = {
    "metric": "the score (a score column of folds.csv): test and train accuracy first",
    "mean": "mean over every (repeat, fold)",
    "std": "standard deviation as the tutorial prints it (numpy's, ddof=0)",
    "sem": "standard error of the mean (ddof=1)",
    "ci95_low": "t-based 95% interval of the mean, low end (clipped to the score's range)",
    "ci95_high": "t-based 95% interval of the mean, high end (clipped to the score's range)",
    "min": "lowest value over the folds",
    "max": "highest value over the folds",
    "n": "folds (repeats x folds) the score is defined in",
}

HISTORY_COLUMN_DOCS = {
    "repeat": "which repeat", "fold": "which fold", "epoch": "the epoch (1-based)",
    "train_loss": "Keras' running training loss during the epoch (dropout active)",
    "train_accuracy": "Keras' running training accuracy during the epoch (dropout active)",
    "test_loss": "the held-out part's loss at the end of the epoch (Keras' validation data)",
    "test_accuracy": "the held-out part's accuracy at the end of the epoch",
}

PREDICTION_COLUMN_DOCS = {
    "row": "the row's index in the data", "repeat": "which repeat", "fold": "which fold",
    "true": "the true class (its name)", "predicted": "the predicted class (its name)",
    "p_<class>": "the predicted probability of each class (9 significant digits)",
    "mc_p_<class>": "the same under Monte Carlo dropout (mc_dropout runs only)",
}

RELIABILITY_COLUMN_DOCS = {
    "bin": "the bin (1..evaluation.calibration_bins) of the top-class confidence",
    "lo": "the bin's low edge (excluded)", "hi": "the bin's high edge (included)",
    "count": "held-out rows in the bin, over every fold and repeat",
    "confidence": "mean over folds of the rows' mean top-class confidence in the bin",
    "accuracy": "mean over folds of the rows' accuracy in the bin",
    "mode": "standard or mc_dropout (the inference mode)",
}

COMPARISON_COLUMN_DOCS = {
    "config": "the run's name",
    "test_mean": "mean test accuracy", "test_std": "its std (ddof=0)",
    "test_ci95_low": "t-based 95% interval of the mean test accuracy, low end",
    "test_ci95_high": "the same, high end",
    "train_mean": "mean train accuracy", "train_std": "its std (ddof=0)",
    "runs": "folds (repeats x folds)",
    "protocol": "the run's evaluation protocol", "epochs": "training.epochs",
    "same_setup": "false when the run's protocol or epochs differ from most others (its numbers are not alike)",
}

SWEEP_COLUMN_DOCS = {
    "cell": "the cell's name (its swept values)",
    "<key>": "one column per swept key: the cell's value",
    "runs": "folds (repeats x folds)",
    "test_mean": "mean test accuracy", "test_std": "its std (ddof=0)",
    "test_ci95_low": "t-based 95% interval of the mean test accuracy, low end", "test_ci95_high": "high end",
    "train_mean": "mean train accuracy", "train_std": "its std (ddof=0)",
    "train_ci95_low": "t-based 95% interval of the mean train accuracy, low end", "train_ci95_high": "high end",
    "diff_vs_first": "mean per-fold difference in test accuracy from the first cell",
    "diff_ci95_low": "its corrected resampled t-test 95% interval, low end", "diff_ci95_high": "high end",
    "p_vs_first": "the corrected resampled t-test's p (not adjusted for the number of cells)",
    "p_vs_first_holm": "the same p adjusted for the number of cells compared (Holm's method)",
}

TRIALS_COLUMN_DOCS = {
    "number": "Optuna's trial number", "name": "the trial's run directory under trials/ (trial_NNNN)",
    "state": "COMPLETE, PRUNED, FAIL (failed, interrupted or dead) or RUNNING",
    "value": "the mean score over the trial's folds (complete trials only)",
    "partial_value": "the mean score over the folds it trained (a pruned trial's too)",
    "<key>": "one column per searched key: the trial's value",
    "folds": "folds trained (and reported)", "folds_planned": "folds the protocol has",
    "baseline": "true for the config as written", "seconds": "the trial's wall time",
    "error": "why a failed trial failed", "fold_<i>": "the score of the i-th (repeat, fold), as reported",
}

REPORT_COLUMN_DOCS = {
    "run": "the run directory, relative to the report's root", "config": "the config's name",
    "dataset": "data.dataset", "protocol": "the evaluation protocol", "epochs": "training.epochs",
    "repeats": "evaluation.repeats", "folds": "folds per repeat", "runs": "repeats x folds",
    "n_train": "mean rows per training part", "n_test": "mean rows per held-out part",
    "test_mean": "mean test accuracy", "test_std": "its std (ddof=0)",
    "test_ci95_low": "t-based 95% interval of the mean test accuracy, low end", "test_ci95_high": "high end",
    "train_mean": "mean train accuracy", "train_std": "its std (ddof=0)",
    "config_hash": "SHA-256 of the resolved config", "plots": "the plots the run has",
}

RUN_JSON_KEYS = {
    "name": "the config's name", "seed": "the config's seed", "config_hash": "SHA-256 of the resolved config",
    "dataset": "name, source, checksum, rows, features, input_shape and classes of the data",
    "versions": "python, tensorflow, keras, scikeras, scikit-learn, numpy, pandas",
    "run_id": "identifies the run's numbers: config hash, data checksum, versions (and XLA)",
    "xla": "whether the fused engine trained under XLA", "resumed_folds": "folds taken from an interrupted attempt",
    "threads": "executor, jobs, TensorFlow threads, op determinism, CPUs",
    "started": "start time (UTC)", "finished": "end time (UTC)", "wall_seconds": "wall time of the run",
}


def describe_column(column: str) -> str:
    """What a column of ``folds.csv`` holds; raises ``KeyError`` for a column no one described."""
    if column in FOLD_COLUMN_DOCS:
        return FOLD_COLUMN_DOCS[column]
    metric = scoring.metric_of(column)
    part = column[: -len(metric.name) - 1] if metric else None
    if metric is None or part not in PART_TEXT:
        raise KeyError(f"Expected a described column of folds.csv. Received: {column!r} (describe it in outputs.py)")
    better = "higher is better" if metric.higher_is_better else "lower is better"
    return f"{metric.doc}, on {PART_TEXT[part]} ({better})"


def fold_column_docs() -> dict[str, str]:
    """Every column ``folds.csv`` may have (Monte Carlo dropout's and early stopping's included), in order."""
    return {column: describe_column(column) for column in fold_columns(mc=True, stopping=True)}


@dataclass(frozen=True)
class Output:
    """One file dropout-lab writes: where it goes, what it holds, its columns (name -> meaning)."""

    name: str
    where: str
    what: str
    columns: dict[str, str] | None = None


def outputs() -> list[Output]:
    """Every output file, in the order the docs list them."""
    run, out = "OUT/NAME/ (a run)", "OUT/ (several configs)"
    sweep, report = "OUT/NAME/ (a sweep)", "REPORT.md's folder (`report`)"
    tune = "OUT/NAME_tune/ (a tune)"
    return [
        Output("config.yaml", run, "the fully resolved config (extends and --set applied): "
                                   "`dropout-lab run OUT/NAME/config.yaml` re-runs it"),
        Output("folds.csv", run, "one row per (repeat, fold): the split's identity, seeds, sizes, every score "
                                 "of the training and held-out parts, the training time", fold_column_docs()),
        Output("summary.csv", run, "one row per score of folds.csv: its mean and spread over the folds",
               SUMMARY_COLUMN_DOCS),
        Output("summary.md", run, "the same as a Markdown table, under the tutorial's headline "
                                  "`NAME: mean% (std%)` of test accuracy"),
        Output("predictions.csv", run, "every held-out row of every fold and repeat", PREDICTION_COLUMN_DOCS),
        Output("confusion.csv", run, "true (rows) x predicted (columns) class counts over every fold and repeat, "
                                     "in the data's class order"),
        Output("confusion.png", run, "the confusion matrix, each cell shaded by its share of the true class"),
        Output("reliability.csv", run, "per equal-width bin of the top-class confidence "
                                       "(evaluation.calibration_bins)", RELIABILITY_COLUMN_DOCS),
        Output("reliability.png", run, "the reliability diagram (a second panel with Monte Carlo dropout)"),
        Output("run.json", run, "what traces the numbers back to their config, data and libraries", RUN_JSON_KEYS),
        Output("history.csv", run, "per-epoch curves: holdout runs, and k-fold with evaluation.history: true",
               dict(zip(HISTORY_COLUMNS, (HISTORY_COLUMN_DOCS[c] for c in HISTORY_COLUMNS), strict=True))),
        Output("learning_curve.png", run, "the history: train and test accuracy per epoch, mean and a ±1 sd band"),
        Output("test_accuracy.png", run, "test accuracy of every fold and repeat (more than one): box plot and points"),
        Output("summary.csv", out, "one row per config of the command (and the runs listed before)",
               COMPARISON_COLUMN_DOCS),
        Output("summary.md", out, "the same as Markdown, with the tutorial's headlines"),
        Output("comparison.png", out, "test accuracy by config"),
        Output("sweep.csv", sweep, "one row per cell", SWEEP_COLUMN_DOCS),
        Output("sweep.md", sweep, "the same as Markdown"),
        Output("sweep.png", sweep, "mean test accuracy per value of the first key, 95% intervals; train dashed"),
        Output("sweep.yaml", sweep, "the resolved base config with its sweep: "
                                    "`dropout-lab run OUT/NAME/sweep.yaml --out OUT` runs it again"),
        Output("report.csv", report, "one row per run under the directory (`dropout-lab report DIR`)",
               REPORT_COLUMN_DOCS),
        Output("trials.csv", tune, "one row per trial of the study", TRIALS_COLUMN_DOCS),
        Output("study.db", tune, "the Optuna study (SQLite; not with --storage): what a resumed tune reads"),
        Output("best.yaml", tune, "the best trial's config: `dropout-lab run OUT/NAME_tune/best.yaml` runs it"),
        Output("baseline.yaml", tune, "the config as written, which the re-evaluation compares with best.yaml"),
        Output("tune.md", tune, "the search, its best trial and the re-evaluation on fresh splits, in words"),
        Output("history.png", tune, "each trial's score by number (pruned trials hollow) and the best so far"),
        Output("slices.png", tune, "the score against each searched key"),
        Output("parallel.png", tune, "parallel coordinates of the complete trials, coloured by score"),
    ]

