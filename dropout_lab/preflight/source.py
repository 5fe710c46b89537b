"""Where a config value was written, for error messages: a ``Source`` is a path, or a
function of a key path (as :func:`dropout_lab.config.load_config_sourced` returns) so that a
``--set`` is blamed rather than the file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

Source = str | Path | Callable[[Sequence], str]


def where(source: Source, *loc) -> str:
    """The place that wrote the value at key path ``loc``."""
    return source(list(loc)) if callable(source) else str(source)
