"""What the commands share: the one-line error handling and the options of ``run`` that
other commands take too."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from ..config import ENGINES
from ..errors import DropoutLabError
from ..executors import EXECUTORS
from ..layers import LAYERS
from ..tracking import TRACKERS


def report_errors(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DropoutLabError as exc:  # one line per problem (preflight reports several at once)
            raise click.ClickException("\nError: ".join(str(exc).splitlines()) or str(exc)) from None

    return wrapper


set_option = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="Override a config value, e.g. --set training.epochs=5 (repeatable; the value is YAML).",
)
sweep_option = click.option(
    "--sweep", "sweep_items", multiple=True, metavar="KEY=V1,V2,...",
    help="Sweep KEY over these values, e.g. --sweep model.layers[1].rate=0.0,0.2,0.4 (repeatable: "
         "the cross product; each value is YAML).",
)
data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The data directory, where downloaded datasets (sonar, mnist) are kept [default: $DROPOUT_LAB_DATA, "
         "else the per-user data directory: see `dropout-lab data`].",
)

engine_option = click.option(
    "--engine", type=click.Choice(ENGINES), default=None,
    help="Training engine (same as --set training.engine=NAME) [default: the config's, else scikeras].")
xla_option = click.option(
    "--xla/--no-xla", default=None,
    help="Compile the fused engine's programs with XLA, or not (same as --set training.xla=true|false) "
         "[default: the config's, else auto: XLA when a run's work repays the compile].")
executor_option = click.option(
    "--executor", type=click.Choice(EXECUTORS), default=None,
    help="Where units train: in this process, in --jobs local processes, or on Ray "
         "[default: processes if --jobs > 1, else local].")
jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
    help="Worker processes (one TensorFlow thread each); with --executor ray, the CPUs of a local Ray.")
address_option = click.option(
    "--address", default=None, metavar="HOST:PORT",
    help="Ray cluster to run on (--executor ray) [default: $RAY_ADDRESS, else a local Ray on 127.0.0.1].")
track_option = click.option("--track", type=click.Choice(TRACKERS), default=None, help="Log each run to this tracker.")
tracking_uri_option = click.option(
    "--tracking-uri", default=None, metavar="URI",
    help="MLflow tracking URI, e.g. sqlite:///mlruns.db [default: $MLFLOW_TRACKING_URI, else ./mlruns].")
experiment_option = click.option("--experiment", default=None, help="MLflow experiment name [default: dropout-lab].")
tracking_strict_option = click.option(
    "--tracking-strict", is_flag=True,
    help="A tracking failure is an error (exit 1) instead of a warning; local results are kept either way.")
RUN_OPTIONS = (engine_option, xla_option, executor_option, jobs_option, address_option, track_option,
                tracking_uri_option, experiment_option, tracking_strict_option)


def run_options(command):
    """``run``'s options that ``tune`` takes too, in ``run``'s order."""
    for option in reversed(RUN_OPTIONS):
        command = option(command)
    return command


LAYERS_EPILOG = (f"Layer types (model.layers[i].type): {', '.join(LAYERS)}. Every config key, its type and default "
                  "are in the docs' config reference, each layer's options in the layer reference (both generated "
                  "from this code: `make docs`); `dropout-lab schema` prints the JSON Schema of a config. "
                  "`dropout-lab validate CONFIG` checks a config and prints its layers without training.")
