"""The ``dropout-lab`` group: logging set up once per call, every command added."""

from __future__ import annotations

import logging
import sys

import click

from .analysis import check, compare, report, reproduction
from .catalog import data, init, schema, studies
from .training import run, tune, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dropout-lab")
def main() -> None:
    """Dropout-regularization experiments with Keras, from YAML configs."""
    _configure_logging()


def _configure_logging() -> None:
    """dropout-lab's own log lines (a download, the fused engine's notes) as plain lines on
    stderr; other libraries' (urllib3's retries while MLflow is unreachable, ...) nowhere: what
    they mean reaches the user as dropout-lab's own one-line warning or error."""
    ours = logging.getLogger("dropout_lab")
    if not ours.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())  # else logging's last resort prints their warnings


class _StderrHandler(logging.StreamHandler):
    """Lines to whatever ``sys.stderr`` is when they are logged (not the one of the first
    command: a Python user or a test may call ``main`` many times with stderr replaced)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


for _command in (run, tune, validate, compare, check, report, reproduction, studies, init, data, schema):
    main.add_command(_command)
