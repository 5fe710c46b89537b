"""The commands, outputs and shipped studies pages, from click, :mod:`dropout_lab.outputs` and the catalog."""

from __future__ import annotations

import inspect

from .markdown import GENERATED, cell, escape


def cli_reference() -> str:
    import click

    from ..cli import main

    ctx = click.Context(main, info_name="dropout-lab")
    lines = ["# Commands", "", GENERATED.format(source="the click commands, `dropout_lab/cli/`"), "",
             f"`dropout-lab {main.collect_usage_pieces(ctx)[0]}`", "", inspect.cleandoc(main.help or ""), "",
             *_options_table(main, ctx), ""]
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        sub = click.Context(command, info_name=name, parent=ctx)
        usage = " ".join(command.collect_usage_pieces(sub))
        lines += [f"## `{name}`", "", f"```text\ndropout-lab {name} {usage}\n```", "",
                  escape(inspect.cleandoc(command.help or "")), ""]
        if command.epilog:
            lines += [escape(" ".join(command.epilog.split())), ""]
        lines += [*_options_table(command, sub), ""]
    return "\n".join(lines)


def _options_table(command, ctx) -> list[str]:
    import click

    rows = [param.get_help_record(ctx) for param in command.get_params(ctx) if isinstance(param, click.Option)]
    rows = [row for row in rows if row]
    if not rows:
        return []
    return ["| option | description |", "|---|---|",
            *(f"| `{cell(opts)}` | {cell(' '.join(help_text.split()))} |" for opts, help_text in rows)]


def outputs_reference() -> str:
    from ..outputs import outputs

    lines = ["# Outputs", "", GENERATED.format(source="`dropout_lab/outputs.py` and the writers' column lists"), "",
             "`dropout-lab run CONFIG --out OUT` writes one directory per config, `OUT/NAME/`; several configs "
             "add a comparison in `OUT/`, a sweep one run directory per cell and its table. Every file, "
             "and the columns of each table:", "",
             "| file | where | holds |", "|---|---|---|"]
    for output in outputs():
        lines.append(f"| `{output.name}` | {cell(output.where)} | {cell(output.what)} |")
    lines.append("")
    for output in outputs():
        if output.columns:
            lines += [f"## `{output.name}`: {output.where}", "", output.what[0].upper() + output.what[1:] + ".", "",
                      "| column | holds |", "|---|---|",
                      *(f"| `{name}` | {cell(text)} |" for name, text in output.columns.items()), ""]
    return "\n".join(lines)


def studies_reference() -> str:
    from ..catalog import list_studies
    from ..config.loader import read_chain

    lines = ["# Shipped studies", "", GENERATED.format(source="the shipped configs, `configs/`"), "",
             "The configs that come with dropout-lab; `run`, `validate` and `init` take each by its name "
             "(`dropout-lab run sonar_hidden` runs `configs/sonar_hidden.yaml`), and `dropout-lab studies` "
             "lists them. Each says in its description what it reproduces.", "",
             "| study | description |", "|---|---|"]
    for study in list_studies():
        text = " ".join(str(read_chain(study.path).get("description") or "").split())
        lines.append(f"| `{study.name}` | {cell(text)} |")
    return "\n".join(lines) + "\n"
