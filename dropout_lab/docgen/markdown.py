"""Markdown helpers of the generated pages."""

from __future__ import annotations

import re

GENERATED = ("*Generated from the code when the site is built ({source}); "
             "edit the code, not this page.*")


def cell(text: str) -> str:
    """Text for a table cell: on one line, ``|`` escaped."""
    return escape(text).replace("|", "\\|").replace("\n", " ")


def escape(text: str) -> str:
    """``<`` and ``>`` outside code spans as entities, so that ``OUT/<name>`` is not read as HTML."""
    parts = text.split("`")
    return "`".join(part if i % 2 else part.replace("<", "&lt;").replace(">", "&gt;")
                    for i, part in enumerate(parts))


def plain(text: str) -> str:
    """Docstring text as Markdown: ``:func:`x``` -> ``x``, on one line."""
    return " ".join(re.sub(r":\w+:`~?\.?([^`]+)`", r"`\1`", text).split())
