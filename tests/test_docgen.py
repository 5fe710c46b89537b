"""The reference pages generated from the code (docs/_hooks.py builds them into the site):
every config key has a description and appears, every layer kind and its options, every
command and option, every column a writer writes."""

import re

import pandas as pd
import pytest

from dropout_lab import docgen
from dropout_lab.cli import main
from dropout_lab.config import Experiment
from dropout_lab.folds import HISTORY_COLUMNS, fold_columns
from dropout_lab.layers import LAYERS
from dropout_lab.outputs import (
    COMPARISON_COLUMN_DOCS,
    REPORT_COLUMN_DOCS,
    SUMMARY_COLUMN_DOCS,
    SWEEP_COLUMN_DOCS,
    describe_column,
    outputs,
)


@pytest.fixture(scope="module")
def pages():
    return docgen.pages()


def test_every_key_of_the_schema_and_of_each_layer_kind_has_a_description():
    missing = [f"{model.__name__}.{key} ({path})" for path, model, key, field in docgen.schema_fields()
               if not (field.description or "").strip()]
    assert missing == [], "describe each key with a docstring under it: " + ", ".join(missing)


def test_the_description_check_sees_a_key_without_one():
    from dropout_lab.types import Section

    class Undocumented(Section):
        documented: int = 1
        """Has one."""
        bare: int = 2

    assert [k for k, f in Undocumented.model_fields.items() if not f.description] == ["bare"]


def _table_keys(text: str, heading: str) -> set[str]:
    """The keys in the first column of the table under ``heading``."""
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.M))


def test_every_config_key_appears_in_the_config_reference_under_its_section(pages):
    text = pages["reference/config.md"]
    assert _table_keys(text, "## Top level") == {*Experiment.model_fields, "extends"}
    for path, model, key, _ in docgen.schema_fields():
        if path.startswith("model.layers[]"):
            continue
        tag = docgen.section_tag(model)
        heading = "## Top level" if not path else f"## `{path}`" + (f" with `{tag[0]}: {tag[1]}`" if tag else "")
        assert key in _table_keys(text, heading), (heading, key)


def test_every_layer_kind_and_its_options_appear_in_the_layer_reference(pages):
    text = pages["reference/layers.md"]
    for name, kind in LAYERS.items():
        assert f"| [`{name}`](#{name}) |" in text
        options = set(kind.spec.model_fields) - {"type"}
        assert _table_keys(text, f"## `{name}` {{#{name}}}") == options, name


def test_every_command_and_option_appears_in_the_command_reference(pages):
    import click

    text = pages["reference/cli.md"]
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        section = text.split(f"\n## `{name}`\n", 1)[1].split("\n## ", 1)[0]
        for param in main.get_command(ctx, name).params:
            if isinstance(param, click.Option):
                assert all(opt in section for opt in param.opts), (name, param.opts)


def test_every_column_of_folds_csv_is_described():
    described = {c: describe_column(c) for c in fold_columns(mc=True, stopping=True)}
    assert all(described.values())
    with pytest.raises(KeyError, match="describe it in outputs.py"):
        describe_column("test_something_new")


def test_the_described_columns_are_the_ones_the_writers_write(tmp_path):
    from dropout_lab.report import COLUMNS
    from dropout_lab.results import comparison_table, summarize
    from dropout_lab.sweep_tables import PAIRED_COLUMNS, STAT_COLUMNS

    folds = pd.DataFrame({"repeat": 1, "fold": [1, 2, 3], "test_accuracy": [0.5, 0.6, 0.7],
                          "train_accuracy": [0.8, 0.9, 1.0]})
    summary = summarize(folds)
    assert [summary.index.name, *summary.columns] == list(SUMMARY_COLUMN_DOCS)
    setup = {"protocol": "kfold", "epochs": 3}
    assert list(comparison_table({"a": summary}, {"a": setup}).columns) == list(COMPARISON_COLUMN_DOCS)
    assert set(STAT_COLUMNS + PAIRED_COLUMNS) <= set(SWEEP_COLUMN_DOCS)
    assert list(REPORT_COLUMN_DOCS) == COLUMNS
    history = next(o for o in outputs() if o.name == "history.csv")
    assert list(history.columns) == HISTORY_COLUMNS


def test_every_output_table_appears_in_the_outputs_reference(pages):
    text = pages["reference/outputs.md"]
    for output in outputs():
        assert f"| `{output.name}` |" in text
        for column in output.columns or {}:
            assert f"| `{column}` |" in text, (output.name, column)


def test_every_shipped_study_appears(pages):
    from dropout_lab.catalog import study_names

    assert all(f"| `{name}` |" in pages["reference/studies.md"] for name in study_names())
