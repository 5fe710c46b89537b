"""The ``dropout-lab`` command: a thin click layer over the package.

The project's own errors become one ``Error: ...`` line and exit code 1; usage errors
are click's (exit code 2); an interrupted run exits with 130.  ``run`` is one call of
:func:`dropout_lab.orchestrate.run_all`; only this module and ``progress`` (its console
observer) print.
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click

from .config import ENGINES
from .errors import DropoutLabError
from .executors import EXECUTORS
from .layers import LAYERS
from .tracking import TRACKERS


def _report_errors(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DropoutLabError as exc:  # one line per problem (preflight reports several at once)
            raise click.ClickException("\nError: ".join(str(exc).splitlines()) or str(exc)) from None

    return wrapper


_set_option = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="Override a config value, e.g. --set training.epochs=5 (repeatable; the value is YAML).",
)
_sweep_option = click.option(
    "--sweep", "sweep_items", multiple=True, metavar="KEY=V1,V2,...",
    help="Sweep KEY over these values, e.g. --sweep model.layers[1].rate=0.0,0.2,0.4 (repeatable: "
         "the cross product; each value is YAML).",
)
_data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The data directory, where downloaded datasets (sonar, mnist) are kept [default: $DROPOUT_LAB_DATA, "
         "else the per-user data directory: see `dropout-lab data`].",
)

_engine_option = click.option(
    "--engine", type=click.Choice(ENGINES), default=None,
    help="Training engine (same as --set training.engine=NAME) [default: the config's, else scikeras].")
_xla_option = click.option(
    "--xla/--no-xla", default=None,
    help="Compile the fused engine's programs with XLA, or not (same as --set training.xla=true|false) "
         "[default: the config's, else auto: XLA when a run's work repays the compile].")
_executor_option = click.option(
    "--executor", type=click.Choice(EXECUTORS), default=None,
    help="Where units train: in this process, in --jobs local processes, or on Ray "
         "[default: processes if --jobs > 1, else local].")
_jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
    help="Worker processes (one TensorFlow thread each); with --executor ray, the CPUs of a local Ray.")
_address_option = click.option(
    "--address", default=None, metavar="HOST:PORT",
    help="Ray cluster to run on (--executor ray) [default: $RAY_ADDRESS, else a local Ray on 127.0.0.1].")
_track_option = click.option("--track", type=click.Choice(TRACKERS), default=None, help="Log each run to this tracker.")
_tracking_uri_option = click.option(
    "--tracking-uri", default=None, metavar="URI",
    help="MLflow tracking URI, e.g. sqlite:///mlruns.db [default: $MLFLOW_TRACKING_URI, else ./mlruns].")
_experiment_option = click.option("--experiment", default=None, help="MLflow experiment name [default: dropout-lab].")
_tracking_strict_option = click.option(
    "--tracking-strict", is_flag=True,
    help="A tracking failure is an error (exit 1) instead of a warning; local results are kept either way.")
_RUN_OPTIONS = (_engine_option, _xla_option, _executor_option, _jobs_option, _address_option, _track_option,
                _tracking_uri_option, _experiment_option, _tracking_strict_option)


def _run_options(command):
    """``run``'s options that ``tune`` takes too, in ``run``'s order."""
    for option in reversed(_RUN_OPTIONS):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dropout-lab")
def main() -> None:
    """Dropout-regularization experiments with Keras, from YAML configs."""
    _configure_logging()


def _configure_logging() -> None:
    """dropout-lab's own log lines (a download, the fused engine's notes) as plain lines on
    stderr; other libraries' (urllib3's retries while MLflow is unreachable, ...) nowhere: what
    they mean reaches the user as dropout-lab's own one-line warning or error."""
    ours = logging.getLogger("dropout_lab")
    if not ours.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())  # else logging's last resort prints their warnings


class _StderrHandler(logging.StreamHandler):
    """Lines to whatever ``sys.stderr`` is when they are logged (not the one of the first
    command: a Python user or a test may call ``main`` many times with stderr replaced)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


_LAYERS_EPILOG = (f"Layer types (model.layers[i].type): {', '.join(LAYERS)}. Every config key, its type and default "
                  "are in the docs' config reference, each layer's options in the layer reference (both generated "
                  "from this code: `make docs`); `dropout-lab schema` prints the JSON Schema of a config. "
                  "`dropout-lab validate CONFIG` checks a config and prints its layers without training.")


@main.command(epilog=_LAYERS_EPILOG)
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CONFIG...")
@click.option("--out", type=click.Path(path_type=Path), default=Path("results"), show_default=True,
              help="Directory for the result directories.")
@_set_option
@_sweep_option
@click.option("--repeats", type=click.IntRange(min=1), default=None,
              help="Repeat each evaluation with this many seeds (same as --set evaluation.repeats=N).")
@_data_dir_option
@_run_options
@click.option("--fresh", is_flag=True,
              help="Train everything again: ignore folds saved by an interrupted run and finished runs in OUT.")
@click.option("--replace", is_flag=True,
              help="Replace a finished run in OUT/<name> even if another config made it (refused otherwise).")
@click.option("--no-plots", is_flag=True, help="Write tables only, no PNG plots.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress on stderr: no bar on a terminal, no line per finished fold elsewhere.")
@click.option("--check", "check_ref", type=click.Path(path_type=Path), default=None, metavar="REF_DIR",
              help="Then check each OUT/<name> against REF_DIR/<name> (see `check`); exit 1 if any differs.")
@_report_errors
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
    from .orchestrate import Interrupted, run_all
    from .progress import Console

    try:
        outcome = run_all(configs, out, overrides=overrides, sweep=sweep_items, plots=not no_plots, check=check_ref,
                          observers=[Console(options.pop("quiet"))], **options)
    except Interrupted as exc:
        click.echo(f"\n{exc.message}", err=True)
        raise SystemExit(130) from None
    if not outcome.ok:
        sys.exit(1)


@main.command()
@click.argument("config", type=click.Path(path_type=Path), metavar="CONFIG")
@click.option("--search", "search_items", multiple=True, metavar="KEY=SPACE",
              help="Search KEY over SPACE: float(LOW, HIGH), log(LOW, HIGH), int(LOW, HIGH) or values V1,V2,... "
                   "(repeatable; adds to or replaces the config's search: section).")
@click.option("--trials", type=int, default=20, show_default=True,
              help="Trials in the study in all (complete, pruned or failed); a resumed study runs what is left.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("results"), show_default=True,
              help="Directory for the study's directory OUT/<name>_tune/.")
@_set_option
@_data_dir_option
@_run_options
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
@_report_errors
def tune(config, search_items, overrides, no_plots, **options) -> None:
    """Search CONFIG's values with Optuna: each trial a config cell scored on the same folds, then the
    best re-evaluated on fresh splits against the config as written.

    Spaces come from the config's search: section and --search.  A study is kept in
    OUT/<name>_tune/study.db (or --storage): stopped or killed, the same command resumes it
    without running finished trials again, and several tune processes can work on one study.
    Writes trials.csv, best.yaml, baseline.yaml, tune.md and plots there.
    """
    from .tune import TuneInterrupted
    from .tune import tune as run_tune

    try:
        run_tune(config, search=search_items, overrides=overrides, plots=not no_plots, echo=click.echo, **options)
    except TuneInterrupted as exc:
        click.echo(f"\n{exc.message}", err=True)
        raise SystemExit(130) from None


@main.command(epilog=_LAYERS_EPILOG)
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CONFIG...")
@_set_option
@_sweep_option
@_data_dir_option
@_report_errors
def validate(configs, overrides, sweep_items, data_dir) -> None:
    """Check each CONFIG (and each cell of its sweep) and print its model's layers, without training.

    The layers are checked on the data's input shape; each is printed with its output
    shape and its number of parameters."""
    from .describe import describe_configs

    for line in describe_configs(configs, overrides, sweep_items, data_dir,
                                 warn=lambda text: click.echo(f"Warning: {text}", err=True)):
        click.echo(line)


def _score_columns() -> list[str]:
    from .scoring import compare_choices

    return compare_choices()


@main.command()
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
@_report_errors
def compare(run_dirs, references, fmt, metric, plot_file, bayes, rope) -> None:
    """Compare a score (test accuracy by default) of runs evaluated on the same folds, pair by pair.

    Each RUN_DIR is a directory `dropout-lab run` wrote (OUT/<name>/), or a directory
    holding such runs (an OUT directory, a sweep): every run under it is compared.  The
    p-values and intervals come from the corrected resampled t-test (Nadeau & Bengio
    2003).  With --against, each run is compared with the reference run(s) only, and the
    Markdown table has one row per run.  Every table also gives the p-values adjusted for
    its number of comparisons (Holm).
    """
    from .compare import compare_dirs
    from .scoring import score_column

    text, figure = compare_dirs(run_dirs, metric and score_column(metric), fmt, against=references,
                                plot=plot_file is not None, rope=rope if bayes else None)
    click.echo(text, nl=False)
    if figure is not None:
        from .results import write_figure

        click.echo(f"-> {write_figure(plot_file, figure)}", err=True)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The report's Markdown file; its CSV goes beside it with a .csv suffix "
                   "[default: DIR/report.md and DIR/report.csv].")
@_report_errors
def report(directory, out_file) -> None:
    """Write one Markdown report (and a CSV) of every run under DIR, sweep cells included.

    One row per run directory: protocol, runs, test accuracy (mean ± std, 95% CI), train
    accuracy and links to its plots; then links to each sweep's table and plot.
    """
    from .report import write_full_report

    skipped, line = write_full_report(directory, out_file)
    for problem in skipped:
        click.echo(f"not included: {problem}", err=True)
    click.echo(line)


@main.command()
@click.argument("results_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_report_errors
def reproduction(results_dir) -> None:
    """Set the runs in RESULTS_DIR against the tutorial's published figures.

    Writes RESULTS_DIR/reproduction.md (what `make reproduce` shows).
    """
    from .reproduce import reproduction_markdown
    from .results import write_text

    text = reproduction_markdown(results_dir)
    click.echo(text, nl=False)
    click.echo(f"-> {write_text(results_dir / 'reproduction.md', text)}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of a config file, for editors that complete and check keys as you type.

    With the YAML language server, a config's first line `# yaml-language-server: $schema=FILE`
    points to it (the shipped configs point to configs/config.schema.json)."""
    from .config.json_schema import schema_text

    click.echo(schema_text(), nl=False)


@main.command()
def studies() -> None:
    """List the shipped studies: the configs `run`, `validate` and `init` take by name."""
    import shutil
    import textwrap

    from .catalog import list_studies

    found = list_studies()
    width = max(len(study.name) for study in found)
    room = max(30, shutil.get_terminal_size((120, 24)).columns - width - 3)
    for study in found:
        click.echo(f"{study.name:<{width}}  {textwrap.shorten(study.summary, room, placeholder=' ...')}")


@main.command()
@click.argument("name", metavar="NAME")
@click.argument("dest", type=click.Path(path_type=Path), default=Path("."), metavar="[DEST]")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@_report_errors
def init(name, dest, force) -> None:
    """Copy the shipped study NAME into DEST (a directory, default: here, or a .yaml file) to edit.

    A study that extends another is written merged, so the copy stands alone; run it with
    `dropout-lab run DEST/NAME.yaml`."""
    from .catalog import init_study

    click.echo(f"-> {init_study(name, dest, force)}")


@main.command()
@_data_dir_option
@click.option("--download", "names", multiple=True, metavar="DATASET",
              help="Download DATASET (verified) into the data directory now, unless a verified copy is there "
                   "(repeatable).")
@_report_errors
def data(data_dir, names) -> None:
    """List the downloaded datasets in the data directory: file, size, and whether it verifies.

    Datasets that are downloaded (sonar, mnist) are fetched on first use, verified, and
    kept in one data directory that every command and the Python API read: --data-dir,
    else $DROPOUT_LAB_DATA, else the platform's per-user data directory.  A file that
    fails verification is downloaded again when used, never used as it is.
    """
    from .data import REMOTE_FILES, cached_file, cached_files, data_dir_and_origin
    from .errors import DataError

    where, origin = data_dir_and_origin(data_dir)
    for name in names:
        if name not in REMOTE_FILES:
            raise DataError(f"--download {name}: not a downloaded dataset; expected one of {', '.join(REMOTE_FILES)}")
        cached_file(REMOTE_FILES[name], where)
    click.echo(f"data directory: {where} ({origin})")
    rows = cached_files(REMOTE_FILES.values(), where)
    width = max(len(row.dataset) for row in rows)
    for row in rows:
        size = "-" if row.size is None else _size(row.size)
        click.echo(f"  {row.dataset:<{width}}  {row.path.name:<10} {size:>8}  {row.status}")


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB"):
        if n < 1000 or unit == "MB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--against", "ref_dir", required=True, type=click.Path(path_type=Path), metavar="REF_DIR",
              help="The reference run directory (or a directory holding one named like the run).")
@click.option("--tolerance", type=click.IntRange(min=0), default=1, show_default=True, metavar="N",
              help="Samples per fold by which test and train accuracy may differ.")
@_report_errors
def check(run_dir, ref_dir, tolerance) -> None:
    """Check a run against a reference run of the same config, fold by fold.

    Exit 0 when every fold is within tolerance, 1 when one is not or the runs cannot be
    compared (another config, other data, other folds).
    """
    from .check import check_run, report, resolve_reference
    from .results import read_run

    run = read_run(run_dir)
    result = check_run(run, read_run(resolve_reference(ref_dir, run)), tolerance)
    click.echo(report(result), nl=False)
    if not result.ok:
        sys.exit(1)
