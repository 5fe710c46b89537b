"""The tutorial's published figures next to what dropout-lab measured: ``reproduction.md``.

``dropout-lab reproduction RESULTS_DIR`` reads the runs ``make reproduce`` wrote and
prints (and writes) one table: each published figure, the measured mean with its 95%
interval, and a verdict in words.  How a figure is judged depends on what it was:

* a mean over 10 folds, printed with the folds' standard deviation (the Sonar studies):
  reproduced when the two means are consistent, by Welch's t-test between the measured
  folds and the published mean and deviation over its 10 folds (p >= 0.05).  The
  published mean is one 10-fold run of a seed-dependent model, with a sampling error as
  large as the measured one; asking it to fall inside the measured mean's own interval
  would call about one in six faithful reproductions "not reproduced";
* a single run (the circles study, one seed): reproduced when it lies inside the middle
  95% of the measured single runs (2.5th to 97.5th percentile), since one run of a
  seed-dependent model is a draw from that spread, not an estimate of the mean.

Only runs of the published studies are judged: a run's resolved config (its config.yaml)
must equal the shipped study config (``configs/<name>.yaml``), apart from its name and
``training.engine`` and ``training.xla`` (``make reproduce`` trains circles with the fused
engine; ``make reproduce-fast`` trains everything with it).  Another
run of that name reads ``config differs: <first differing key>``; when no run matches,
it is an error.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .config import load_config
from .config.diff import config_difference, show_value
from .errors import DropoutLabError
from .render import markdown_table
from .results import read_run
from .stats import Summary, accuracy_ci, format_p, welch_ttest

SHIPPED_CONFIGS = Path(__file__).resolve().parents[1] / "configs"
# keys that may differ from the shipped study: the name, and the engine and its XLA switch
# (same model and protocol; their numbers match SciKeras' in distribution)
NOT_COUNTED = {"name": None, "training": ("engine", "xla")}

# (config, metric, published value as printed, its folds' std as printed or None for a
# single-run figure, the tutorial's words)
PUBLISHED = [
    ("sonar_baseline", "test_accuracy", "0.8604", 0.0400, "Baseline: 86.04% (4.00%)"),
    ("sonar_input", "test_accuracy", "0.8352", 0.0768, "Visible: 83.52% (7.68%)"),
    ("sonar_hidden", "test_accuracy", "0.8359", 0.0731, "Hidden: 83.59% (7.31%)"),
    ("circles_overfit", "train_accuracy", "1.000", None, "Train: 1.000"),
    ("circles_overfit", "test_accuracy", "0.757", None, "Test: 0.757"),
    ("circles_dropout", "train_accuracy", "0.967", None, "Train: 0.967"),
    ("circles_dropout", "test_accuracy", "0.814", None, "Test: 0.814"),
]
# A mean figure's folds: the tutorial's 10-fold CV, its deviation printed as numpy's std (ddof=0).
PUBLISHED_FOLDS = 10
# (better, worse, the tutorial's claim): claims about the ordering of two configs
CLAIMS = [
    ("circles_dropout", "circles_overfit", "dropout gives a higher test accuracy than the overfit model"),
    ("sonar_baseline", "sonar_input", "input dropout scores a little below the baseline"),
    ("sonar_baseline", "sonar_hidden", "hidden dropout scores a little below the baseline"),
]


def reproduction_markdown(results_dir: Path, configs_dir: Path | None = None) -> str:
    """The reproduction table of the runs in ``results_dir`` (see the module docstring).

    ``configs_dir`` holds the shipped study configs (default: the project's ``configs/``).
    Raises ``DropoutLabError`` when no run there is a run of a published study.
    """
    runs, differs = {}, {}
    found = sorted(p.parent for p in Path(results_dir).glob("*/run.json"))
    if not found:
        raise DropoutLabError(f"{results_dir}: no runs found; run `make reproduce` first")
    for path in found:
        run = read_run(path)
        if run.name not in {name for name, *_ in PUBLISHED}:
            continue
        difference = _differs_from_study(run.config, run.name, configs_dir or SHIPPED_CONFIGS)
        if difference:
            differs[run.name] = difference
        else:
            runs[run.name] = run.folds
    if not runs:
        studies = ", ".join(dict.fromkeys(name for name, *_ in PUBLISHED))
        why = "; ".join(f"{name}: {text}" for name, text in differs.items())
        raise DropoutLabError(f"{results_dir}: no run of a published study ({studies}) with its shipped config"
                              + (f"; {why}" if why else ""))
    lines = ["# Reproduction of the tutorial's figures", "",
             *markdown_table(["config", "metric", "published", "measured mean [95% interval]", "runs",
                              "middle 95% of runs", "verdict"], [])]
    for name, metric, printed, std, words in PUBLISHED:
        value, digits = float(printed), len(printed.split(".")[1])
        if name in differs:
            lines.append(f"| {name} | {metric} | {words} | | | | not judged: {differs[name]} |")
            continue
        if name not in runs:
            lines.append(f"| {name} | {metric} | {words} | not run | | | not checked |")
            continue
        values = runs[name][metric].to_numpy(dtype=float)
        ci = accuracy_ci(values)
        low, high = np.percentile(values, [2.5, 97.5])
        if std is not None:  # a mean over folds
            inside, why = _consistent(values, value, std)
        else:  # a published figure is rounded: compare at its precision (0.967 is 29/30 = 0.9667)
            inside = round(low, digits) <= value <= round(high, digits)
            why = f"{'inside' if inside else 'outside'} the spread of single runs"
        verdict = f"{'reproduced' if inside else 'not reproduced'}: {printed} is {why}"
        lines.append(f"| {name} | {metric} | {words} | {ci.mean:.4f} [{ci.lo:.4f}, {ci.hi:.4f}] | {ci.n} "
                     f"| [{low:.3f}, {high:.3f}] | {verdict} |")
    lines += ["", "Claims about the ordering of configs (test accuracy, Welch's t-test on the runs):", ""]
    for better, worse, claim in CLAIMS:
        if better in runs and worse in runs:
            a, b = (runs[n]["test_accuracy"].to_numpy(dtype=float) for n in (better, worse))
            p = welch_ttest(a, b)[1]
            holds = "holds" if a.mean() > b.mean() else "does not hold"
            sig = "significant" if p < 0.05 else "not significant"
            lines.append(f"- {claim}: {holds} ({better} {a.mean():.4f} vs {worse} {b.mean():.4f}; "
                         f"difference {sig}, p = {p:.3g})")
    lines += ["", "Judging rule: a figure that is a mean over 10 folds, printed with their standard deviation,",
              "must be consistent with the measured folds by Welch's t-test (p >= 0.05): the published mean is",
              "itself one seed's 10-fold mean, as uncertain as the measured one. A single-run figure must lie",
              "inside the middle 95% of the measured single runs, compared at its precision (the tutorial",
              "prints 3 decimals). Only runs whose config equals the shipped study config (apart from the name,",
              "the engine and XLA) are judged."]
    return "\n".join(lines) + "\n"


def _consistent(values: np.ndarray, published: float, std: float) -> tuple[bool, str]:
    """Whether a published 10-fold mean and its folds' std (ddof=0) agree with the measured
    fold values by Welch's t-test; and the verdict's words."""
    folds = PUBLISHED_FOLDS
    p = welch_ttest(values, Summary(published, std * math.sqrt(folds / (folds - 1)), folds))[1]
    consistent = p >= 0.05
    return consistent, f"{'consistent' if consistent else 'inconsistent'} with the measured folds (Welch {format_p(p)})"


def _differs_from_study(config: dict, name: str, configs_dir: Path) -> str | None:
    """``config differs: <key> = <run's> vs <study's>`` when a run's config is not the shipped study's."""
    study_path = Path(configs_dir) / f"{name}.yaml"
    if not study_path.is_file():
        raise DropoutLabError(f"{study_path}: the shipped study config is missing; "
                              "reproduction compares runs with the configs in the project's configs/")
    study = load_config(study_path).to_dict()
    difference = config_difference(_counted(config), _counted(study))
    if difference is None:
        return None
    key, ours, theirs = difference
    return f"config differs: {key} = {show_value(ours)} here vs {show_value(theirs)} in {study_path.name}"


def _counted(config: dict) -> dict:
    """``config`` without the keys in ``NOT_COUNTED`` (a whole key, or some keys of a section)."""
    out = {}
    for key, value in config.items():
        if key in NOT_COUNTED and NOT_COUNTED[key] is None:
            continue
        if key in NOT_COUNTED and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in NOT_COUNTED[key]}
        out[key] = value
    return out
