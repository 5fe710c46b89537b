"""The reference pages of the docs, generated from the code at build time (``make docs``).

- :func:`config_reference`: every config key, from the pydantic schema (:mod:`dropout_lab.config`):
  its type and allowed values (each constraint's own ``expected`` text), default and
  description (the docstring under the key);
- :func:`layers_reference`: every layer kind and its options, from the layer registry;
- :func:`cli_reference`: every command and option, from click;
- :func:`outputs_reference`: every output file and column, from :mod:`dropout_lab.outputs`;
- :func:`studies_reference`: the shipped configs and their descriptions.

:func:`pages` maps each page's path under ``docs/`` to its text (and the JSON Schema's file);
the MkDocs hook ``docs/_hooks.py`` adds them to the site, so a new key, layer kind, option
or column shows up with no hand edit.  ``python -m dropout_lab.docgen DIR`` writes them to DIR.
"""

from .keys import config_reference, layers_reference, schema_fields, section_tag
from .listings import cli_reference, outputs_reference, studies_reference


def pages() -> dict[str, str]:
    """Each generated file's path under ``docs/`` and its text."""
    from ..config.json_schema import schema_text

    return {"reference/config.md": config_reference(), "reference/layers.md": layers_reference(),
            "reference/cli.md": cli_reference(), "reference/outputs.md": outputs_reference(),
            "reference/studies.md": studies_reference(), "reference/config.schema.json": schema_text()}


__all__ = ["cli_reference", "config_reference", "layers_reference", "outputs_reference", "pages", "schema_fields",
           "section_tag", "studies_reference"]
