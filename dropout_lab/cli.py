"""The ``dropout-lab`` command: a thin click layer over the package.

The project's own errors become one ``Error: ...`` line and exit code 1; usage errors
are click's (exit code 2).  Only this module prints.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import time
from pathlib import Path

import click

from .config import Experiment, check_against_data, load_config
from .data import Dataset, load_dataset
from .errors import ConfigError, DropoutLabError


def _report_errors(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DropoutLabError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


_set_option = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="Override a config value, e.g. --set training.epochs=5 (repeatable; the value is YAML).",
)
_data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Directory holding sonar.csv [default: $DROPOUT_LAB_DATA, else ./data].",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dropout-lab")
def main() -> None:
    """Dropout-regularization experiments with Keras, from YAML configs."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


def _load(config_files, overrides, data_dir) -> list[tuple[Experiment, Dataset]]:
    """Validate every config and load its data before any training starts."""
    configs = [load_config(path, overrides) for path in config_files]
    names = [cfg.name for cfg in configs]
    for path, cfg in zip(config_files, configs, strict=True):
        if names.count(cfg.name) > 1:
            raise ConfigError(f"{path}: name {cfg.name!r} is used by more than one config in this run")
    cache: dict[str, Dataset] = {}
    loaded = []
    for path, cfg in zip(config_files, configs, strict=True):
        key = cfg.data.model_dump_json()
        if key not in cache:
            cache[key] = load_dataset(cfg.data, data_dir)
        check_against_data(cfg, cache[key].y, path)
        loaded.append((cfg, cache[key]))
    return loaded


@main.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("results"), show_default=True,
              help="Directory for the result directories.")
@_set_option
@click.option("--repeats", type=click.IntRange(min=1), default=None,
              help="Repeat each evaluation with this many seeds (same as --set evaluation.repeats=N).")
@_data_dir_option
@click.option("--no-plots", is_flag=True, help="Write tables only, no PNG plots.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (it is also off when stderr is not a terminal).")
@click.option("--check", "check_ref", type=click.Path(path_type=Path), default=None, metavar="REF_DIR",
              help="Then check each OUT/<name> against REF_DIR/<name> (see `check`); exit 1 if any differs.")
@_report_errors
def run(configs, out, overrides, repeats, data_dir, no_plots, quiet, check_ref) -> None:
    """Evaluate each CONFIG and write its results under OUT/<name>/."""
    from .results import comparison_markdown, headline, prepare_out_dir, summarize, write_comparison, write_run
    from .runner import run_experiment

    if repeats is not None:
        overrides = (*overrides, f"evaluation.repeats={repeats}")
    loaded = _load(configs, overrides, data_dir)
    references = _references(check_ref, configs, loaded)
    prepare_out_dir(out)
    summaries, scores = {}, {}
    for cfg, dataset in loaded:
        with _progress(cfg, dataset, quiet) as on_fold:
            result = run_experiment(cfg, dataset, on_fold=on_fold)
        where = write_run(out, cfg, result.folds, result.info, result.history, plots=not no_plots)
        summaries[cfg.name] = summarize(result.folds)
        scores[cfg.name] = result.folds["test_accuracy"]
        click.echo(f"{headline(cfg.name, summaries[cfg.name])}  -> {where}")
    if len(summaries) > 1:
        path = write_comparison(out, summaries, None if no_plots else scores)
        click.echo("")
        click.echo(comparison_markdown(summaries), nl=False)
        click.echo(f"-> {path}")
    if references and not _check_all(out, references):
        sys.exit(1)


def _describe(cfg: Experiment, dataset: Dataset) -> str:
    ev = cfg.evaluation
    if ev.protocol == "holdout":
        n_train = ev.train_size(len(dataset.y))
        how = f"holdout ({n_train} train / {len(dataset.y) - n_train} test)"
    else:
        how = f"{ev.n_splits}-fold CV"
    times = f" x {ev.repeats} repeats" if ev.repeats > 1 else ""
    return f"{cfg.name}: {how}{times}, {cfg.training.epochs} epochs, {dataset.name} ({len(dataset.y)} rows)"


@contextlib.contextmanager
def _progress(cfg: Experiment, dataset: Dataset, quiet: bool):
    """A progress bar per config (elapsed, eta, last fold); silent when quiet or not a terminal."""
    ev = cfg.evaluation
    per_repeat = 1 if ev.protocol == "holdout" else ev.n_splits
    if quiet:
        yield None
        return
    start, last = time.monotonic(), {}

    def show(_):
        if not last:
            return ""
        where = f"repeat {last['repeat']}/{ev.repeats} " if ev.repeats > 1 else ""
        where += f"fold {last['fold']}/{per_repeat} " if per_repeat > 1 else ""
        elapsed = int(time.monotonic() - start)
        return f"{where}test acc {last['test_accuracy']:.3f}, elapsed {elapsed // 60}:{elapsed % 60:02d}"

    with click.progressbar(length=ev.repeats * per_repeat, label=_describe(cfg, dataset), file=sys.stderr,
                           show_eta=True, show_percent=True, item_show_func=show) as bar:
        def on_fold(row):
            last.update(row)
            bar.update(1)

        yield on_fold


@main.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@_set_option
@_data_dir_option
@_report_errors
def validate(configs, overrides, data_dir) -> None:
    """Check each CONFIG and print its model's layers, without training."""
    import keras

    from .builder import build_model, layer_table

    for cfg, dataset in _load(configs, overrides, data_dir):
        keras.backend.clear_session()  # layer names start again at dense, dense_1, ...
        net = build_model(cfg.model, cfg.training, dataset.n_features)
        opt = cfg.training.optimizer.model_dump()
        click.echo(f"{cfg.name}: ok ({dataset.name}: {dataset.X.shape[0]} rows x {dataset.n_features} features)")
        click.echo(f"  optimizer: {', '.join(f'{k}={v}' for k, v in opt.items())}; "
                   f"loss: {cfg.training.loss}; epochs: {cfg.training.epochs}; batch_size: {cfg.training.batch_size}")
        header = dict(zip(_LAYER_ROW, _LAYER_ROW, strict=True))
        for row in (header, *layer_table(net)):
            click.echo("  " + " ".join(f"{row[key]!s:{width}}" for key, width in _LAYER_ROW.items()))
        click.echo(f"  total parameters: {net.count_params()}")


_LAYER_ROW = {"layer": "<12", "type": "<8", "units": ">5", "activation": "<10", "rate": ">5",
              "max_norm": ">8", "params": ">7"}


@main.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="RUN_DIR RUN_DIR...")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md", show_default=True,
              help="Output format of the table.")
@_report_errors
def compare(run_dirs, fmt) -> None:
    """Compare the test accuracy of runs evaluated on the same folds, pair by pair.

    Each RUN_DIR is a directory `dropout-lab run` wrote (OUT/<name>/).  The p-values and
    intervals come from the corrected resampled t-test (Nadeau & Bengio 2003).
    """
    from .compare import compare_json, compare_markdown, compare_runs
    from .results import read_run

    if len(run_dirs) < 2:
        raise click.UsageError("compare needs at least two run directories")
    runs = [read_run(path) for path in run_dirs]
    labels = _run_labels(runs)
    table = compare_runs({label: run.folds for label, run in zip(labels, runs, strict=True)},
                         checksums={label: run.checksum for label, run in zip(labels, runs, strict=True)})
    if fmt == "md":
        click.echo(compare_markdown(table), nl=False)
    elif fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
    else:
        click.echo(compare_json(table), nl=False)


def _run_labels(runs) -> list[str]:
    """Each run's config name; with the directory added where names repeat, and a number where even that does."""
    names = [run.name for run in runs]
    labels = [name if names.count(name) == 1 else f"{name} ({run.path})" for name, run in zip(names, runs, strict=True)]
    return [label if labels.count(label) == 1 else f"{label} #{i}" for i, label in enumerate(labels, 1)]


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


def _references(ref_dir, config_files, loaded) -> dict:
    """For `run --check`: each config's reference run, refused before any training if it is missing or differs."""
    if ref_dir is None:
        return {}
    from .check import reference_for

    return {cfg.name: reference_for(ref_dir, cfg, dataset.checksum, path)
            for path, (cfg, dataset) in zip(config_files, loaded, strict=True)}


def _check_all(out: Path, references: dict) -> bool:
    from .check import check_run, report
    from .results import read_run

    ok = True
    for name, reference in references.items():
        result = check_run(read_run(out / name), reference)
        click.echo(report(result), nl=False)
        ok = ok and result.ok
    return ok
