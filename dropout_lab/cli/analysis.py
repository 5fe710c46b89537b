"""The commands that read result directories: ``compare``, ``check``, ``report``, ``reproduction``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import report_errors


def _score_columns() -> list[str]:
    from ..scoring import compare_choices

    return compare_choices()


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="RUN_DIR RUN_DIR...")
@click.option("--against", "references", multiple=True, metavar="RUN",
              help="Compare every run with this one only (a run's name as the table shows it, or its "
                   "directory); repeatable: one column of differences per reference.")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md", show_default=True,
              help="Output format of the table.")
@click.option("--metric", type=click.Choice(_score_columns()), default=None,
              help="The folds.csv score to compare; a bare metric name (ece) means its test_ column "
                   "(loss, brier, ece, rmse, mae: lower is better)  [default: test_accuracy; test_rmse for "
                   "regression runs]")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Also draw the differences and their intervals into FILE (PNG).")
@click.option("--bayes", is_flag=True,
              help="Add the Bayesian correlated t-test (Corani & Benavoli 2015): the probabilities that A is "
                   "better, that the two are practically equivalent (within --rope), and that B is better.")
@click.option("--rope", type=click.FloatRange(min=0), default=0.01, show_default=True,
              help="With --bayes: the region of practical equivalence, a difference of the metric too small "
                   "to matter.")
@report_errors
def compare(run_dirs, references, fmt, metric, plot_file, bayes, rope) -> None:
    """Compare a score (test accuracy by default) of runs evaluated on the same folds, pair by pair.

    Each RUN_DIR is a directory `dropout-lab run` wrote (OUT/<name>/), or a directory
    holding such runs (an OUT directory, a sweep): every run under it is compared.  The
    p-values and intervals come from the corrected resampled t-test (Nadeau & Bengio
    2003).  With --against, each run is compared with the reference run(s) only, and the
    Markdown table has one row per run.  Every table also gives the p-values adjusted for
    its number of comparisons (Holm).
    """
    from ..compare import compare_dirs
    from ..scoring import score_column

    text, figure = compare_dirs(run_dirs, metric and score_column(metric), fmt, against=references,
                                plot=plot_file is not None, rope=rope if bayes else None)
    click.echo(text, nl=False)
    if figure is not None:
        from ..results import write_figure

        click.echo(f"-> {write_figure(plot_file, figure)}", err=True)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The report's Markdown file; its CSV goes beside it with a .csv suffix "
                   "[default: DIR/report.md and DIR/report.csv].")
@report_errors
def report(directory, out_file) -> None:
    """Write one Markdown report (and a CSV) of every run under DIR, sweep cells included.

    One row per run directory: protocol, runs, test accuracy (mean ± std, 95% CI), train
    accuracy and links to its plots; then links to each sweep's table and plot.
    """
    from ..report import write_full_report

    skipped, line = write_full_report(directory, out_file)
    for problem in skipped:
        click.echo(f"not included: {problem}", err=True)
    click.echo(line)


@click.command()
@click.argument("results_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@report_errors
def reproduction(results_dir) -> None:
    """Set the runs in RESULTS_DIR against the tutorial's published figures.

    Writes RESULTS_DIR/reproduction.md (what `make reproduce` shows).
    """
    from ..reproduce import reproduction_markdown
    from ..results import write_text

    text = reproduction_markdown(results_dir)
    click.echo(text, nl=False)
    click.echo(f"-> {write_text(results_dir / 'reproduction.md', text)}")


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--against", "ref_dir", required=True, type=click.Path(path_type=Path), metavar="REF_DIR",
              help="The reference run directory (or a directory holding one named like the run).")
@click.option("--tolerance", type=click.IntRange(min=0), default=1, show_default=True, metavar="N",
              help="Samples per fold by which test and train accuracy may differ.")
@report_errors
def check(run_dir, ref_dir, tolerance) -> None:
    """Check a run against a reference run of the same config, fold by fold.

    Exit 0 when every fold is within tolerance, 1 when one is not or the runs cannot be
    compared (another config, other data, other folds).
    """
    from ..check import check_run, report, resolve_reference
    from ..results import read_run

    run = read_run(run_dir)
    result = check_run(run, read_run(resolve_reference(ref_dir, run)), tolerance)
    click.echo(report(result), nl=False)
    if not result.ok:
        sys.exit(1)
