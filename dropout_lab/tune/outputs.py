"""What a tune leaves in ``OUT/<name>_tune/``, and its honest last step.

- ``trials.csv``: every trial of the study: number, name, state, value (the mean score over
  its folds; empty unless complete), ``partial_value`` (the mean of the folds it trained), its
  values (one column per searched key), folds trained and planned, each fold's score
  (``fold_1`` ...), whether it is the config as written (``baseline``), its error;
- ``best.yaml``: the best trial's config, runnable (``dropout-lab run best.yaml``);
  ``baseline.yaml``: the config as written;
- ``history.png``, ``slices.png``, ``parallel.png`` (:mod:`.plots`);
- ``confirm/``: the best config and the baseline re-evaluated on fresh splits (a seed the
  search never used, ``confirm_repeats`` repeats), compared by the corrected resampled
  t-test and the Bayesian correlated t-test (``compare_runs`` with a rope);
- ``tune.md``: all of it in words.

Why re-evaluate: the best of many trials is selected *because* its score on the search's
folds is high, and part of that height is luck of those folds (the winner's curse): its
score there is biased upwards, more so the more trials were tried.  Scores on splits that
played no part in choosing it are not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..config import dump_config
from ..render import markdown_table
from ..results import write_figure, write_text
from ..stats import p_value_text
from ..sweep import value_text

ROPE = 0.01


@dataclass
class TuneResult:
    """A finished tune: its directory, trials table, best trial and re-evaluation."""

    where: Path
    trials: pd.DataFrame
    best: dict | None  # number, name, values, value
    confirmation: pd.Series | None  # compare_runs' row: baseline (a) against best (b)
    report: str
    seconds: float
    trained: int  # fold trainings made
    saved: int  # fold trainings pruning spared


def trials_table(study, plan) -> pd.DataFrame:
    """One row per trial of the study (see the module docstring)."""
    rows, width = [], 0
    for trial in study.get_trials(deepcopy=False):
        steps = dict(sorted(trial.intermediate_values.items()))
        width = max(width, trial.user_attrs.get("folds_planned", 0), len(steps))
        values = trial.user_attrs.get("values", {})
        rows.append({"number": trial.number, "name": trial.user_attrs.get("name", ""), "state": trial.state.name,
                     "value": trial.value if trial.state.name == "COMPLETE" else None,
                     "partial_value": sum(steps.values()) / len(steps) if steps else None,
                     **{key: values.get(key) for key in plan.spaces},
                     "folds": len(steps), "folds_planned": trial.user_attrs.get("folds_planned"),
                     "baseline": bool(trial.user_attrs.get("baseline", False)),
                     "seconds": (trial.datetime_complete - trial.datetime_start).total_seconds()
                     if trial.datetime_complete and trial.datetime_start else None,
                     "error": trial.user_attrs.get("error", ""),
                     **{f"fold_{step + 1}": value for step, value in steps.items()}})
    columns = ["number", "name", "state", "value", "partial_value", *plan.spaces, "folds", "folds_planned",
               "baseline", "seconds", "error", *(f"fold_{i}" for i in range(1, width + 1))]
    table = pd.DataFrame(rows, columns=columns)
    for key in plan.spaces:  # as drawn: no null -> NaN, no 3 -> 3.0
        table[key] = pd.Series([row[key] for row in rows], dtype=object)
    return table


def best_trial(study) -> dict | None:
    try:
        trial = study.best_trial
    except ValueError:  # no complete trial
        return None
    return {"number": trial.number, "name": trial.user_attrs.get("name"), "values": trial.user_attrs["values"],
            "value": trial.value, "baseline": bool(trial.user_attrs.get("baseline", False))}


def finish(study, plan, base_spec, where: Path, metric: str, seconds: float, say: Callable[[str], None], *,
           plots: bool = True, confirm_repeats: int = 3, run_options: dict | None = None) -> TuneResult:
    """Write the tune's files (see the module docstring) and re-evaluate the best trial."""
    from ..scoring import higher_is_better

    table = trials_table(study, plan)
    csv = table.assign(**{key: table[key].map(value_text) for key in plan.spaces})
    write_text(where / "trials.csv", csv.to_csv(index=False))
    best = best_trial(study)
    write_text(where / "baseline.yaml", dump_config(plan.base.model_copy(update={"name": f"{plan.name}_baseline"})))
    if best is not None:
        cfg = plan.trial(best["values"], f"{plan.name}_best")[0]
        write_text(where / "best.yaml", dump_config(cfg))
    done = table[table["state"].isin(["COMPLETE", "PRUNED"])]
    trained = int(done["folds"].sum())
    saved = int((done["folds_planned"] - done["folds"]).where(done["state"] == "PRUNED", 0).sum())
    if plots and (table["state"] == "COMPLETE").any():
        _plots(table, plan, where, metric, higher_is_better(metric))
    confirmation = None
    if best is not None and confirm_repeats > 0 and not best["baseline"]:
        confirmation = confirm(plan, where, metric, confirm_repeats, base_spec, run_options or {}, plots)
    report = tune_markdown(plan, table, best, confirmation, metric, seconds, trained, saved, confirm_repeats)
    write_text(where / "tune.md", report)
    say(f"-> {where / 'tune.md'}")
    return TuneResult(where, table, best, confirmation, report, seconds, trained, saved)


def confirm(plan, where: Path, metric: str, repeats: int, base_spec, run_options: dict, plots: bool) -> pd.Series:
    """The best config and the baseline, each run with ``repeats`` repeats on a seed the search never
    used (its seed + 1: every split seed differs), compared fold by fold: baseline = a, best = b."""
    from ..compare import compare_runs
    from ..orchestrate import run_all
    from ..progress import Console

    quiet = run_options.pop("quiet", False)
    seed = plan.base.seed + 1
    names = [f"{plan.name}_baseline", f"{plan.name}_best"]
    outcome = run_all([where / "baseline.yaml", where / "best.yaml"], where / "confirm",
                      overrides=[f"seed={seed}", f"evaluation.repeats={repeats}"], plots=plots,
                      observers=[Console(quiet=quiet, results=False)], **run_options)
    folds = {name: record.folds for name, record in zip(names, outcome.records, strict=True)}
    row = compare_runs(folds, metric=metric, rope=ROPE).iloc[0]
    return row.copy()


def _plots(table: pd.DataFrame, plan, where: Path, metric: str, maximize: bool) -> None:
    from .plots import history_plot, parallel_plot, slice_plot

    keys, labels = list(plan.spaces), plan.labels
    ranges = {key: table[key].astype(float) for key, space in plan.spaces.items() if space.kind != "choice"}
    choices = {key: table[key].map(value_text) for key, space in plan.spaces.items() if space.kind == "choice"}
    shown = table.assign(**ranges, **choices).rename(columns=labels)
    shown_keys = [labels[k] for k in keys]
    write_figure(where / "history.png", history_plot(shown, metric, maximize, f"{plan.name}: trials"))
    write_figure(where / "slices.png", slice_plot(shown, shown_keys, metric, f"{plan.name}: score by searched value"))
    write_figure(where / "parallel.png", parallel_plot(shown, shown_keys, metric, f"{plan.name}: parallel coordinates"))


def tune_markdown(plan, table, best, confirmation, metric: str, seconds: float, trained: int, saved: int,
                  confirm_repeats: int) -> str:
    """``tune.md``: the search, its best trial and the re-evaluation, in words."""
    what = metric.replace("_", " ")
    states = table["state"].value_counts()
    spaces = ", ".join(f"`{key}` = {space.text()}" for key, space in plan.spaces.items())
    lines = [f"# {plan.name}: tune of {spaces}", "",
             f"{len(table)} trials: {states.get('COMPLETE', 0)} complete, {states.get('PRUNED', 0)} pruned, "
             f"{states.get('FAIL', 0)} failed or interrupted. Search time in this process: {seconds:.0f} s.", "",
             f"Fold trainings: {trained} trained; pruning spared {saved}"
             + (f" ({saved / (trained + saved):.0%} of {trained + saved})." if trained + saved else "."), ""]
    if best is None:
        return "\n".join([*lines, "No trial is complete: nothing to report."]) + "\n"
    shown = ", ".join(f"{plan.labels[k]} = {value_text(shown_value(v))}" for k, v in best["values"].items())
    lines += ["## Best trial", "",
              f"{best['name']}: {shown}: mean {what} {best['value']:.4f} on the search's folds (seed "
              f"{plan.base.seed}). This is the score that selected it among {len(table)} trials, so it is "
              "optimistic (the winner's curse); best.yaml holds its config.", ""]
    if confirmation is None:
        lines.append("The best trial is the config as written: the search found nothing better, so there is "
                     "nothing to re-evaluate." if best["baseline"] else "Not re-evaluated (confirm repeats 0).")
        return "\n".join(lines) + "\n"
    c = confirmation
    lines += ["## Re-evaluated on fresh splits", "",
              f"The config as written (baseline.yaml) and the best trial (best.yaml), each evaluated on "
              f"{c['folds']} new folds ({c['repeats']} repeat{'s' if c['repeats'] > 1 else ''}, "
              f"seed {plan.base.seed + 1}: {_fresh(plan)}), paired fold by fold:", "",
              *markdown_table(["config", f"mean {what}", "search score"],
                              [[c["run_a"], f"{c['mean_a']:.4f}", _baseline_score(table)],
                               [c["run_b"], f"{c['mean_b']:.4f}", f"{best['value']:.4f}"]]), "",
              f"Difference best - baseline: {c['diff']:+.4f}, 95% CI [{c['ci_lo']:+.4f}, {c['ci_hi']:+.4f}], "
              f"corrected resampled t-test p {_p(c['p'])} (Nadeau & Bengio 2003). Bayesian correlated t-test "
              f"with a rope of {ROPE}: P(baseline better) = {c['p_a_better']:.3f}, P(practically equivalent) = "
              f"{c['p_equivalent']:.3f}, P(best better) = {c['p_b_better']:.3f}.", "",
              f"Verdict: {c['verdict']}.", ""]
    return "\n".join(lines) + "\n"


def shown_value(value):
    """A drawn float shown with 4 significant digits (the YAML files keep every digit)."""
    return float(f"{value:.4g}") if isinstance(value, float) else value


def _fresh(plan) -> str:
    """What is new in the re-evaluation: the rows too, or (a protocol that does not shuffle) the seeds only."""
    if plan.base.evaluation.shuffle:
        return "split seeds the search never used"
    return ("model seeds the search never used; the rows are the same, as this protocol does not shuffle, so the "
            "test rows that selected the best trial score it again")


def _baseline_score(table: pd.DataFrame) -> str:
    rows = table[table["baseline"] & (table["state"] == "COMPLETE")]
    return f"{rows['value'].iloc[0]:.4f}" if len(rows) else "(not a trial)"


def _p(p: float) -> str:
    text = p_value_text(p)
    return text if text.startswith("<") else f"= {text}"
