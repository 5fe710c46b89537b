"""The commands about what ships and where data lives: ``studies``, ``init``, ``data``, ``schema``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import data_dir_option, report_errors


@click.command()
def schema() -> None:
    """Print the JSON Schema of a config file, for editors that complete and check keys as you type.

    With the YAML language server, a config's first line `# yaml-language-server: $schema=FILE`
    points to it (the shipped configs point to configs/config.schema.json)."""
    from ..config.json_schema import schema_text

    click.echo(schema_text(), nl=False)


@click.command()
def studies() -> None:
    """List the shipped studies: the configs `run`, `validate` and `init` take by name."""
    import shutil
    import textwrap

    from ..catalog import list_studies

    found = list_studies()
    width = max(len(study.name) for study in found)
    room = max(30, shutil.get_terminal_size((120, 24)).columns - width - 3)
    for study in found:
        click.echo(f"{study.name:<{width}}  {textwrap.shorten(study.summary, room, placeholder=' ...')}")


@click.command()
@click.argument("name", metavar="NAME")
@click.argument("dest", type=click.Path(path_type=Path), default=Path("."), metavar="[DEST]")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@report_errors
def init(name, dest, force) -> None:
    """Copy the shipped study NAME into DEST (a directory, default: here, or a .yaml file) to edit.

    A study that extends another is written merged, so the copy stands alone; run it with
    `dropout-lab run DEST/NAME.yaml`."""
    from ..catalog import init_study

    click.echo(f"-> {init_study(name, dest, force)}")


@click.command()
@data_dir_option
@click.option("--download", "names", multiple=True, metavar="DATASET",
              help="Download DATASET (verified) into the data directory now, unless a verified copy is there "
                   "(repeatable).")
@report_errors
def data(data_dir, names) -> None:
    """List the downloaded datasets in the data directory: file, size, and whether it verifies.

    Datasets that are downloaded (sonar, mnist) are fetched on first use, verified, and
    kept in one data directory that every command and the Python API read: --data-dir,
    else $DROPOUT_LAB_DATA, else the platform's per-user data directory.  A file that
    fails verification is downloaded again when used, never used as it is.
    """
    from ..data import REMOTE_FILES, cached_file, cached_files, data_dir_and_origin
    from ..errors import DataError

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
