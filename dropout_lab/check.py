"""Reproducibility checks: a run against a reference run of the same config, fold by fold.

A run can be checked against a reference only if both ran the same config (the config
hash in run.json, or config.yaml files that differ only in ``name``: names never count),
on the same data (the dataset checksum) and the same folds: the same (repeat, fold) rows
and per row the same ``split_seed``, ``model_seed``, ``n_train`` and ``n_test``.
Anything else is refused with a ``CheckError`` (a different config names both
hashes and the first key where the two config.yaml files differ).  Times, paths and
library versions in run.json are never compared.

Then, per fold:

``test_accuracy``, ``train_accuracy``
    may differ by at most ``tolerance`` samples of that fold: ``|Δ| <= tolerance / n_test``
    for test accuracy and ``tolerance / n_train`` for train accuracy (default 1 sample:
    floating-point differences between CPUs can flip one borderline prediction).
``test_loss``
    may differ by at most ``LOSS_RTOL`` (5%) of the reference's value, plus ``LOSS_ATOL``.
    It does not depend on ``tolerance``: a flipped borderline prediction (p near 0.5)
    barely moves the log-loss, and a larger change means the models really differ.

``check_run`` returns a ``CheckResult``; ``report`` renders its table and verdict.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .compare import KEY, _num, check_same_folds
from .config import Experiment
from .config.diff import ABSENT, config_difference, first_difference  # noqa: F401  (public here too)
from .errors import CheckError, ResultsError, StatsError
from .results import SavedRun, read_run

TOLERANCE = 1  # samples per fold
LOSS_RTOL = 0.05
LOSS_ATOL = 1e-6
ACCURACIES = {"test_accuracy": "n_test", "train_accuracy": "n_train"}
METRICS = (*ACCURACIES, "test_loss")
_ABSENT = ABSENT


@dataclass(frozen=True)
class Difference:
    """One value of one fold that is not identical in the run and the reference."""

    repeat: int
    fold: int
    metric: str
    run: float
    reference: float
    allowed: float  # the largest |run - reference| within tolerance
    n: int | None  # the fold's sample count behind an accuracy; None for the loss

    @property
    def within(self) -> bool:
        if math.isnan(self.run) or math.isnan(self.reference):
            return False
        if self.n is None:
            return abs(self.run - self.reference) <= self.allowed
        # in samples, so that float noise in a stored accuracy is not a sample
        return abs(self.run - self.reference) * self.n <= self.allowed * self.n + 1e-6


@dataclass(frozen=True)
class CheckResult:
    run: SavedRun
    reference: SavedRun
    tolerance: int
    config_hash: str
    folds: int  # (repeat, fold) rows compared
    differences: list[Difference]

    @property
    def outside(self) -> list[Difference]:
        return [d for d in self.differences if not d.within]

    @property
    def ok(self) -> bool:
        return not self.outside


def check_run(run: SavedRun, reference: SavedRun, tolerance: int = TOLERANCE) -> CheckResult:
    """Compare ``run`` with ``reference`` fold by fold; raise ``CheckError`` if they are not comparable."""
    if tolerance < 0:
        raise CheckError(f"the tolerance must be a whole number of samples >= 0; got {tolerance}")
    config_hash = _config_hash(run)
    same_config(str(run.path), config_hash, _config_dict(run),
                str(reference.path), _config_hash(reference), _config_dict(reference))
    try:
        check_same_folds(str(run.path), run.folds, str(reference.path), reference.folds,
                         checksums=(run.checksum, reference.checksum))
    except StatsError as exc:
        raise CheckError(str(exc)) from None
    for saved in (run, reference):
        _check_columns(saved)
    merged = run.folds.merge(reference.folds, on=KEY, suffixes=("_run", "_ref")).sort_values(KEY)
    if "model_seed" in run.folds.columns and "model_seed" in reference.folds.columns:
        differs = merged[merged["model_seed_run"] != merged["model_seed_ref"]]
        if not differs.empty:
            row = differs.iloc[0]
            raise CheckError(f"runs {run.path} and {reference.path} were not evaluated on the same folds: "
                             f"model_seed {_num(row['model_seed_run'])} vs {_num(row['model_seed_ref'])} "
                             f"(repeat {_num(row['repeat'])}, fold {_num(row['fold'])})")
    differences = []
    for row in merged.to_dict("records"):
        for metric in METRICS:
            a, b = float(row[f"{metric}_run"]), float(row[f"{metric}_ref"])
            if a == b or (math.isnan(a) and math.isnan(b)):
                continue
            if metric in ACCURACIES:
                n = int(row[f"{ACCURACIES[metric]}_ref"])
                allowed = tolerance / n
            else:
                n, allowed = None, LOSS_RTOL * abs(b) + LOSS_ATOL
            differences.append(Difference(int(row["repeat"]), int(row["fold"]), metric, a, b, allowed, n))
    return CheckResult(run, reference, tolerance, config_hash, len(merged), differences)


def reference_for(ref_dir: Path, cfg: Experiment, checksum: str, source: str | Path | None = None) -> SavedRun:
    """The reference run ``ref_dir/<name>`` of ``cfg`` (read from ``source``), checked before
    any training: it must exist and come from the same config and the same data."""
    label = str(source or f"config {cfg.name}")
    target = ref_dir / cfg.name
    try:
        reference = read_run(target)
    except ResultsError as exc:
        raise CheckError(f"{exc} (--check needs the reference run of config {cfg.name} there)") from None
    same_config(label, cfg.config_hash(), cfg.to_dict(),
                str(target), _config_hash(reference), _config_dict(reference))
    if not reference.checksum:
        raise CheckError(f"{target / 'run.json'}: no dataset.checksum; cannot tell which data made the run")
    if reference.checksum != checksum:
        raise CheckError(f"{label} and {target} use different data: dataset checksum "
                         f"{checksum[:12]}... vs {reference.checksum[:12]}...")
    _check_columns(reference)
    return reference


def resolve_reference(ref: Path, run: SavedRun) -> Path:
    """``ref`` itself if it is a run directory, else ``ref/<run name>`` if that is a directory."""
    # not summary.md/.csv: an OUT directory of several configs has those too
    if not ref.is_dir() or any((ref / name).exists() for name in ("config.yaml", "folds.csv", "run.json")):
        return ref  # a run directory, or nothing at all: read_run says which file is missing
    if (ref / run.name).is_dir():
        return ref / run.name
    raise CheckError(f"{ref}: not a run directory (no config.yaml, folds.csv or run.json), "
                     f"and it holds no run directory {run.name}")


def same_config(label_a: str, hash_a: str, config_a, label_b: str, hash_b: str, config_b) -> None:
    """Raise ``CheckError`` naming both hashes and the first differing key unless the configs agree.

    Names never count: two configs that differ only in ``name`` are the same config."""
    if hash_a == hash_b:
        return
    where = config_difference(config_a, config_b)
    if where is None:
        if first_difference(config_a, config_b) is not None:
            return  # only the names differ
        detail = "the config.yaml files do not differ; the hashes in run.json do"
    else:
        loc, a, b = where
        detail = f"first difference: {loc or 'the whole config'} = {_show(a)} vs {_show(b)}"
    raise CheckError(f"{label_a} and {label_b} come from different configs "
                     f"(config hash {hash_a[:12]}... vs {hash_b[:12]}...); {detail}")


def report(result: CheckResult) -> str:
    """The differing values as a table (nothing when the run is identical) and a one-line verdict."""
    run, ref = result.run.path, result.reference.path
    unit = "sample" if result.tolerance == 1 else "samples"
    lines = [f"check {run} against {ref}: config {result.config_hash[:12]}, {result.folds} folds; "
             f"tolerance {result.tolerance} {unit} of each fold's accuracy, {LOSS_RTOL:.0%} of test_loss"]
    if result.differences:
        header = ("repeat", "fold", "metric", "run", "reference", "difference", "allowed", "status")
        rows = [header, *(_row(d) for d in result.differences)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        for r in rows:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    outside = result.outside
    if not result.differences:
        verdict = f"OK: {run} reproduces {ref} exactly ({result.folds} folds)"
    elif not outside:
        verdict = (f"OK: {run} reproduces {ref} within tolerance "
                   f"({result.folds} folds; {_count(len(result.differences), 'value')} differ, none beyond)")
    else:
        folds = {(d.repeat, d.fold) for d in outside}
        verdict = (f"FAILED: {run} differs from {ref} beyond tolerance: {_count(len(outside), 'value')} "
                   f"in {len(folds)} of {result.folds} folds")
    return "\n".join([*lines, verdict]) + "\n"


def _row(d: Difference) -> tuple[str, ...]:
    delta = d.run - d.reference
    if d.n is None:
        rel = f" ({delta / d.reference:+.1%})" if d.reference else ""
        values = (f"{d.run:.6g}", f"{d.reference:.6g}", f"{delta:+.3g}{rel}", f"{d.allowed:.3g} ({LOSS_RTOL:.0%})")
    else:
        samples = delta * d.n
        values = (f"{d.run:.4f} ({round(d.run * d.n)}/{d.n})", f"{d.reference:.4f} ({round(d.reference * d.n)}/{d.n})",
                  f"{delta:+.4f} ({_count(round(samples), 'sample', signed=True)})",
                  f"{d.allowed:.4f} ({_count(round(d.allowed * d.n), 'sample')})")
    return (str(d.repeat), str(d.fold), d.metric, *values, "ok" if d.within else "OUTSIDE")


def _config_hash(run: SavedRun) -> str:
    value = run.info.get("config_hash")
    if not isinstance(value, str) or not value:
        raise CheckError(f"{run.path / 'run.json'}: no config_hash; cannot tell which config made the run")
    return value


def _config_dict(run: SavedRun):
    # read_run has already parsed config.yaml once; it keeps only the name
    return yaml.safe_load((run.path / "config.yaml").read_text())


def _check_columns(run: SavedRun) -> None:
    path = run.path / "folds.csv"
    missing = [m for m in METRICS if m not in run.folds.columns]
    if missing:
        raise CheckError(f"{path}: missing column(s): {', '.join(missing)}")
    for metric in METRICS:
        if not pd.api.types.is_numeric_dtype(run.folds[metric]):
            raise CheckError(f"{path}: column {metric} has non-numeric values")


def _show(value) -> str:
    return "(absent)" if value is _ABSENT else json.dumps(value)


def _count(n: int, noun: str, signed: bool = False) -> str:
    text = f"{n:+d}" if signed else str(n)
    return f"{text} {noun}" + ("" if abs(n) == 1 else "s")
