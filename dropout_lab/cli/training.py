"""The commands that train or check configs: ``run``, ``tune``, ``validate``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import LAYERS_EPILOG, data_dir_option, report_errors, run_options, set_option, sweep_option


@click.command(epilog=LAYERS_EPILOG)
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CONFIG...")
@click.option("--out", type=click.Path(path_type=Path), default=Path("results"), show_default=True,
              help="Directory for the result directories.")
@set_option
@sweep_option
@click.option("--repeats", type=click.IntRange(min=1), default=None,
              help="Repeat each evaluation with this many seeds (same as --set evaluation.repeats=N).")
@data_dir_option
@run_options
@click.option("--fresh", is_flag=True,
              help="Train everything again: ignore folds saved by an interrupted run and finished runs in OUT.")
@click.option("--replace", is_flag=True,
              help="Replace a finished run in OUT/<name> even if another config made it (refused otherwise).")
@click.option("--no-plots", is_flag=True, help="Write tables only, no PNG plots.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress on stderr: no bar on a terminal, no line per finished fold elsewhere.")
@click.option("--check", "check_ref", type=click.Path(path_type=Path), default=None, metavar="REF_DIR",
              help="Then check each OUT/<name> against REF_DIR/<name> (see `check`); exit 1 if any differs.")
@report_errors
def run(configs, out, overrides, sweep_items, no_plots, check_ref, **options) -> None:
    """Evaluate each CONFIG (a file, or a shipped study's name: see `studies`) and write its results under OUT/<name>/.

    Each finished fold is saved as it completes: a run that is interrupted (Ctrl-C, a
    crash, a kill) continues from the first unfinished fold when started again with the
    same command.  A run already finished in OUT/<name>/ with the same config, data and
    library versions is reused, not run again (--fresh runs it again); a finished run of
    another config there is not replaced unless --replace says so.  A config with a sweep
    (its `sweep:`, or --sweep) writes one run per cell under OUT/<name>/<cell>/ and the
    sweep's table and plot in OUT/<name>/; cells are reused and protected the same way.
    All runs' work goes through one executor (local, processes or ray); the numbers are the same.
    """
    from ..orchestrate import Interrupted, run_all
    from ..progress import Console

    try:
        outcome = run_all(configs, out, overrides=overrides, sweep=sweep_items, plots=not no_plots, check=check_ref,
                          observers=[Console(options.pop("quiet"))], **options)
    except Interrupted as exc:
        click.echo(f"\n{exc.message}", err=True)
        raise SystemExit(130) from None
    if not outcome.ok:
        sys.exit(1)


@click.command()
@click.argument("config", type=click.Path(path_type=Path), metavar="CONFIG")
@click.option("--search", "search_items", multiple=True, metavar="KEY=SPACE",
              help="Search KEY over SPACE: float(LOW, HIGH), log(LOW, HIGH), int(LOW, HIGH) or values V1,V2,... "
                   "(repeatable; adds to or replaces the config's search: section).")
@click.option("--trials", type=int, default=20, show_default=True,
              help="Trials in the study in all (complete, pruned or failed); a resumed study runs what is left.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("results"), show_default=True,
              help="Directory for the study's directory OUT/<name>_tune/.")
@set_option
@data_dir_option
@run_options
@click.option("--seed", type=int, default=0, show_default=True, help="The sampler's seed: same seed, same trials.")
@click.option("--sampler", type=click.Choice(["tpe", "random"]), default="tpe", show_default=True,
              help="Optuna's sampler.")
@click.option("--storage", default=None, metavar="URL",
              help="Optuna storage, e.g. sqlite:///study.db or postgresql://... shared by several processes or "
                   "machines [default: OUT/<name>_tune/study.db].")
@click.option("--batch", type=int, default=None,
              help="Trials asked from the sampler together and trained together [default: fused 8; scikeras --jobs].")
@click.option("--prune/--no-prune", default=None,
              help="Stop a trial whose fold scores are worse than the best trial's on the same folds (Wilcoxon) "
                   "[default: on with scikeras, off with fused, where a batch's folds train as one program].")
@click.option("--metric", default="test_accuracy", show_default=True,
              help="The folds.csv score to optimize (loss, brier, ece: minimized).")
@click.option("--confirm-repeats", type=int, default=3, show_default=True,
              help="Repeats on fresh splits for re-evaluating the best config and the baseline (0: none).")
@click.option("--fresh", is_flag=True, help="Start the study over: forget its trials.")
@click.option("--no-plots", is_flag=True, help="Write tables only, no PNG plots.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@report_errors
def tune(config, search_items, overrides, no_plots, **options) -> None:
    """Search CONFIG's values with Optuna: each trial a config cell scored on the same folds, then the
    best re-evaluated on fresh splits against the config as written.

    Spaces come from the config's search: section and --search.  A study is kept in
    OUT/<name>_tune/study.db (or --storage): stopped or killed, the same command resumes it
    without running finished trials again, and several tune processes can work on one study.
    Writes trials.csv, best.yaml, baseline.yaml, tune.md and plots there.
    """
    from ..tune import TuneInterrupted
    from ..tune import tune as run_tune

    try:
        run_tune(config, search=search_items, overrides=overrides, plots=not no_plots, echo=click.echo, **options)
    except TuneInterrupted as exc:
        click.echo(f"\n{exc.message}", err=True)
        raise SystemExit(130) from None


@click.command(epilog=LAYERS_EPILOG)
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CONFIG...")
@set_option
@sweep_option
@data_dir_option
@report_errors
def validate(configs, overrides, sweep_items, data_dir) -> None:
    """Check each CONFIG (and each cell of its sweep) and print its model's layers, without training.

    The layers are checked on the data's input shape; each is printed with its output
    shape and its number of parameters."""
    from ..describe import describe_configs

    for line in describe_configs(configs, overrides, sweep_items, data_dir,
                                 warn=lambda text: click.echo(f"Warning: {text}", err=True)):
        click.echo(line)
