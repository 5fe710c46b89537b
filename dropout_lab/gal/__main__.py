"""``python -m dropout_lab.gal``: run Gal & Ghahramani's UCI protocol and print the table.

    python -m dropout_lab.gal run configs/gal_uci/*.yaml --out results/gal_uci
    python -m dropout_lab.gal table results/gal_uci

``run`` writes one folder per config and ``reproduction.md`` (the table) in ``--out``; the
project's errors are one ``Error: ...`` line and exit code 1, as for ``dropout-lab``.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import click

from ..errors import DropoutLabError


def _report_errors(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DropoutLabError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Gal & Ghahramani's UCI regression benchmark: the protocol, and its published figures judged."""


@main.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CONFIG...")
@click.option("--out", type=click.Path(path_type=Path), default=Path("results/gal_uci"), show_default=True,
              help="Where each config's folder and reproduction.md go.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set epochs=400 (repeatable; the value is YAML).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The data directory holding uci/<name>/ [default: $DROPOUT_LAB_DATA, else the per-user one].")
@_report_errors
def run(configs, out, overrides, data_dir) -> None:
    """Run the protocol of each CONFIG, then print the reproduction table."""
    from ..results import write_text
    from .config import load_protocol
    from .protocol import run_protocol, write_result
    from .table import reproduction_table

    protocols = [load_protocol(path, overrides) for path in configs]  # every config checked before training
    start = time.perf_counter()
    for cfg in protocols:
        result = run_protocol(cfg, data_dir)
        summary = result.summary()
        click.echo(f"{cfg.name}: MC RMSE {summary['mc_rmse'][0]:.3f} +- {summary['mc_rmse'][1]:.3f}, "
                   f"test LL {summary['ll'][0]:.3f} +- {summary['ll'][1]:.3f} ({result.seconds:.0f} s) "
                   f"-> {write_result(result, out)}", err=True)
    text = reproduction_table(out)
    click.echo(text, nl=False)
    click.echo(f"wall time: {time.perf_counter() - start:.0f} s for {len(protocols)} set(s)")
    click.echo(f"-> {write_text(Path(out) / 'reproduction.md', text)}")


@main.command()
@click.argument("results_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_report_errors
def table(results_dir) -> None:
    """Print the reproduction table of the protocol runs in RESULTS_DIR."""
    from .table import reproduction_table

    click.echo(reproduction_table(results_dir), nl=False)


if __name__ == "__main__":
    main()
