"""The ``dropout-lab`` command: a thin click layer over the package.

The project's own errors become one ``Error: ...`` line and exit code 1; usage errors
are click's (exit code 2); an interrupted run exits with 130.  Only this module (and
``progress``, for the progress of a run) prints.
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click

from . import interrupt
from .config import ENGINES, Experiment, check_against_data, load_config, load_config_sourced
from .data import Dataset, load_dataset
from .errors import ConfigError, DropoutLabError
from .layers import LAYERS
from .progress import progress
from .shapes import check_shapes


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
_sweep_option = click.option(
    "--sweep", "sweep_items", multiple=True, metavar="KEY=V1,V2,...",
    help="Sweep KEY over these values, e.g. --sweep model.layers[1].rate=0.0,0.2,0.4 (repeatable: "
         "the cross product; each value is YAML).",
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


def _load(config_files, overrides, data_dir, warned: set | None = None) -> list[tuple[Experiment, Dataset]]:
    """Validate every config and load its data before any training starts.

    Names were checked for clashes across all configs by ``_load_sweeps``, which runs first.
    """
    cache: dict[str, Dataset] = {}
    loaded = []
    for path in config_files:
        cfg, source = load_config_sourced(path, overrides)
        loaded.append((cfg, _checked_dataset(cfg, path, cache, data_dir, source, warned)))
    return loaded


def _checked_dataset(cfg: Experiment, path: Path, cache: dict[str, Dataset], data_dir, source=None,
                     warned: set | None = None) -> Dataset:
    """``cfg``'s data (loaded once per data spec), checked against the config and its engine.

    ``source(key path)`` names who wrote a value (a file or a --set) in errors; each warning
    is printed once (``warned`` holds those printed)."""
    key = cfg.data.model_dump_json()
    if key not in cache:
        cache[key] = load_dataset(cfg.data, data_dir)
    dataset = cache[key]
    warnings = check_against_data(cfg, dataset, source or path)
    check_shapes(cfg, dataset.input_shape, source or path)
    for text in warnings:
        if warned is None or text not in warned:
            click.echo(f"Warning: {text}", err=True)
            if warned is not None:
                warned.add(text)
    _check_engine(cfg, dataset, path)
    return dataset


def _check_engine(cfg: Experiment, dataset: Dataset, path: Path) -> None:
    """A config its engine cannot train is refused before any training starts."""
    from .engines import get_engine

    try:
        get_engine(cfg.training.engine).check(cfg, dataset)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


@main.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("results"), show_default=True,
              help="Directory for the result directories.")
@_set_option
@_sweep_option
@click.option("--repeats", type=click.IntRange(min=1), default=None,
              help="Repeat each evaluation with this many seeds (same as --set evaluation.repeats=N).")
@_data_dir_option
@click.option("--engine", type=click.Choice(ENGINES), default=None,
              help="Training engine (same as --set training.engine=NAME) [default: the config's, else scikeras].")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Train folds in this many worker processes (one TensorFlow thread each).")
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
def run(configs, out, overrides, sweep_items, repeats, engine, data_dir, jobs, fresh, replace, no_plots, quiet,
        check_ref) -> None:
    """Evaluate each CONFIG and write its results under OUT/<name>/.

    Each finished fold is saved as it completes: a run that is interrupted (Ctrl-C, a
    crash, a kill) continues from the first unfinished fold when started again with the
    same command.  A run already finished in OUT/<name>/ with the same config, data and
    library versions is reused, not run again (--fresh runs it again); a finished run of
    another config there is not replaced unless --replace says so.  A config with a sweep
    (its `sweep:`, or --sweep) writes one run per cell under OUT/<name>/<cell>/ and the
    sweep's table and plot in OUT/<name>/; cells are reused and protected the same way.
    """
    with interrupt.stop_on_interrupt():
        try:
            _run(configs, out, overrides, sweep_items, repeats, engine, data_dir, jobs, fresh, replace, no_plots,
                 quiet, check_ref)
            interrupt.check()
        except (KeyboardInterrupt, Exception) as exc:  # outside a run's training (which reports its own folds)
            if not (isinstance(exc, KeyboardInterrupt) or interrupt.interrupted()):
                raise
            interrupt.ignore_further()
            click.echo(f"\nInterrupted: finished folds are saved under {out / '.journal'}; run the same command "
                       f"again to continue from there (--fresh starts over).", err=True)
            raise SystemExit(130) from None


def _run(configs, out, overrides, sweep_items, repeats, engine, data_dir, jobs, fresh, replace, no_plots, quiet,
         check_ref) -> None:
    from .results import check_run_dir, headline, prepare_out_dir, summarize, update_comparison

    if repeats is not None:
        overrides = (*overrides, f"evaluation.repeats={repeats}")
    if engine is not None:
        overrides = (*overrides, f"training.engine={engine}")
    warned: set = set()
    sweeps = _load_sweeps(configs, overrides, sweep_items, data_dir, out, warned, replace)
    plain = [path for path in configs if path not in sweeps]
    loaded = _load(plain, overrides, data_dir, warned)
    references = _references(check_ref, plain, loaded)
    prepare_out_dir(out, [cfg.name for cfg, _ in loaded])
    for cfg, _ in loaded:
        check_run_dir(out / cfg.name, cfg, replace)
    for cfg, dataset in loaded:
        folds, where = _run_one(cfg, dataset, out, jobs, fresh, no_plots, quiet)
        click.echo(f"{headline(cfg.name, summarize(folds))}  -> {where}")
    comparison = update_comparison(out, [cfg.name for cfg, _ in loaded], plots=not no_plots)
    if comparison:
        click.echo("")
        click.echo(comparison[1], nl=False)
        click.echo(f"-> {comparison[0]}")
    for sweep, datasets in sweeps.values():
        _run_sweep(sweep, datasets, out, jobs, fresh, no_plots, quiet)
    if references and not _check_all(out, references):
        sys.exit(1)


def _run_one(cfg: Experiment, dataset: Dataset, out: Path, jobs: int, fresh: bool, no_plots: bool, quiet: bool):
    """Train and evaluate one config (resuming saved folds), write OUT/<name>/; (fold table, its path).

    A finished run of the same config, data and versions in OUT/<name>/ is reused unless ``fresh``."""
    from .results import Journal, find_done, write_run
    from .runner import run_experiment, run_id

    identity = run_id(cfg, dataset)
    done_run = None if fresh else find_done(out / cfg.name, cfg, dataset.checksum, identity)
    if done_run is not None:
        click.echo(f"{cfg.name}: already done, reusing {done_run.path}")
        return done_run.folds, done_run.path
    journal = Journal(out, cfg.name, identity)
    if fresh:
        journal.discard(every_id=True)
    done = journal.load()
    if done and not quiet:
        click.echo(f"{cfg.name}: resuming, {len(done)} finished folds saved in {journal.path}", err=True)
    try:
        with progress(cfg, dataset, quiet, len(done)) as show:
            def on_fold(fold):
                journal.append(fold)
                show(fold.row())
                interrupt.check()  # an interrupt swallowed during the fold stops the run here

            result = run_experiment(cfg, dataset, on_fold=on_fold, done=done, jobs=jobs)
            interrupt.check()
    except (KeyboardInterrupt, Exception) as exc:
        # an interrupt can also surface as another error, raised by code it left half-done
        if not (isinstance(exc, KeyboardInterrupt) or interrupt.interrupted()):
            raise
        interrupt.ignore_further()
        click.echo(f"\nInterrupted: {len(journal.load())} finished folds of {cfg.name} are saved in "
                   f"{journal.path}; run the same command again to continue from there "
                   f"(--fresh starts over).", err=True)
        raise SystemExit(130) from None
    where = write_run(out, cfg, result.folds, result.info, result.history, plots=not no_plots,
                      predictions=result.predictions, classes=dataset.classes)
    journal.discard(every_id=True)
    return result.folds, where


def _load_sweeps(config_files, overrides, sweep_items, data_dir, out: Path | None, warned: set | None = None,
                 replace: bool = False) -> dict:
    """``{config path: (Sweep, each cell's Dataset)}`` for the configs that sweep (by their
    `sweep:` or --sweep), every cell validated and its data loaded and checked before any
    training.  Names must differ across all configs: each owns OUT/<name>/."""
    from .results import check_run_dir
    from .sweep import check_sweep_dir, expand

    found, names, cache = {}, set(), {}
    for path in config_files:
        sweep = expand(path, overrides, sweep_items)
        name = sweep.name if sweep else load_config(path, overrides).name
        if name in names:
            raise ConfigError(f"{path}: name {name!r} is used by more than one config in this run")
        names.add(name)
        if sweep is None:
            continue
        if out is not None:
            check_sweep_dir(out / sweep.name)
            for cell in sweep.cells:
                check_run_dir(out / sweep.name / cell.name, cell.cfg, replace)
        found[path] = (sweep, [_checked_dataset(cell.cfg, path, cache, data_dir, cell.source, warned)
                               for cell in sweep.cells])
    return found


def _run_sweep(sweep, datasets, out: Path, jobs: int, fresh: bool, no_plots: bool, quiet: bool) -> None:
    """Run each cell of ``sweep`` not already done in OUT/<name>/<cell>/, then write the sweep's files."""
    from .results import headline, prepare_out_dir, summarize, write_sweep
    from .sweep import sweep_files

    where = prepare_out_dir(out / sweep.name)
    folds, checksums = {}, {}
    for cell, dataset in zip(sweep.cells, datasets, strict=True):
        checksums[cell.name] = dataset.checksum
        cell_folds, path = _run_one(cell.cfg, dataset, where, jobs, fresh, no_plots, quiet)
        folds[cell.name] = cell_folds
        click.echo(f"{headline(cell.name, summarize(cell_folds))}  -> {path}")
    texts, figure = sweep_files(sweep, folds, checksums, plots=not no_plots)
    path = write_sweep(where, texts, figure)
    click.echo("")
    click.echo(texts["sweep.md"], nl=False)
    click.echo(f"-> {path}")


@main.command(epilog=f"Layer types: {', '.join(LAYERS)} (see the README, section Layers).")
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@_set_option
@_sweep_option
@_data_dir_option
@_report_errors
def validate(configs, overrides, sweep_items, data_dir) -> None:
    """Check each CONFIG (and each cell of its sweep) and print its model's layers, without training.

    The layers are checked on the data's input shape; each is printed with its output
    shape and its number of parameters."""
    import keras

    from .builder import build_model, layer_table

    warned: set = set()
    sweeps = _load_sweeps(configs, overrides, sweep_items, data_dir, None, warned)
    for path, (cfg, dataset) in zip(configs, _load(configs, overrides, data_dir, warned), strict=True):
        keras.backend.clear_session()  # layer names start again at dense, dense_1, ...
        net = build_model(cfg.model, cfg.training, dataset.input_shape)
        opt = cfg.training.optimizer.model_dump()
        click.echo(f"{cfg.name}: ok ({dataset.name}: {dataset.X.shape[0]} rows x {dataset.n_features} features, "
                   f"{dataset.n_classes} classes {', '.join(dataset.classes[:12])}"
                   f"{', ...' if dataset.n_classes > 12 else ''}; sample shape {dataset.input_shape})")
        click.echo(f"  optimizer: {', '.join(f'{k}={v}' for k, v in opt.items())}; "
                   f"loss: {cfg.training.loss}; epochs: {cfg.training.epochs}; batch_size: {cfg.training.batch_size}")
        rows = [dict(zip(_LAYER_ROW, _LAYER_ROW, strict=True)), *layer_table(net)]
        widths = {key: max(len(str(row[key])) for row in rows) for key in _LAYER_ROW}
        for row in rows:
            click.echo("  " + " ".join(f"{row[key]!s:{align}{widths[key]}}" for key, align in _LAYER_ROW.items()))
        click.echo(f"  total parameters: {net.count_params()}")
        if path in sweeps:
            cells = sweeps[path][0].cells
            click.echo(f"  sweep: {len(cells)} cells, each ok: {'; '.join(cell.name for cell in cells)}")


_LAYER_ROW = {"layer": "<", "type": "<", "output": "<", "units": ">", "activation": "<", "rate": ">",
              "max_norm": ">", "params": ">"}  # column: alignment (widths fit the values)


def _score_columns() -> list[str]:
    from .scoring import compare_choices

    return compare_choices()


@main.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="RUN_DIR RUN_DIR...")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md", show_default=True,
              help="Output format of the table.")
@click.option("--metric", type=click.Choice(_score_columns()), default="test_accuracy", show_default=True,
              help="The folds.csv score to compare; a bare metric name (ece) means its test_ column "
                   "(loss, brier, ece: lower is better).")
@_report_errors
def compare(run_dirs, fmt, metric) -> None:
    """Compare a score (test accuracy by default) of runs evaluated on the same folds, pair by pair.

    Each RUN_DIR is a directory `dropout-lab run` wrote (OUT/<name>/).  The p-values and
    intervals come from the corrected resampled t-test (Nadeau & Bengio 2003).
    """
    from .compare import compare_json, compare_markdown, compare_runs
    from .results import read_run
    from .scoring import score_column

    if len(run_dirs) < 2:
        raise click.UsageError("compare needs at least two run directories")
    runs = [read_run(path) for path in run_dirs]
    labels = _run_labels(runs)
    table = compare_runs({label: run.folds for label, run in zip(labels, runs, strict=True)},
                         checksums={label: run.checksum for label, run in zip(labels, runs, strict=True)},
                         metric=score_column(metric))
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
    from .report import build_report
    from .results import write_report

    target = out_file if out_file is not None else directory / "report.md"
    found = build_report(directory, target.parent)
    for problem in found.skipped:
        click.echo(f"not included: {problem}", err=True)
    md, csv = write_report(target, found.markdown, found.csv())
    runs, sweeps = len(found.table), len(found.sweeps)
    also = f" and {sweeps} sweep{'s' * (sweeps != 1)}" if sweeps else ""
    click.echo(f"{runs} run{'s' * (runs != 1)}{also} -> {md}, {csv}")


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

