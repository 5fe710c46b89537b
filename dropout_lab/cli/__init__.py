"""The ``dropout-lab`` command: a thin click layer over the package.

The project's own errors become one ``Error: ...`` line and exit code 1; usage errors
are click's (exit code 2); an interrupted run exits with 130.  ``run`` is one call of
:func:`dropout_lab.orchestrate.run_all`; only this package and ``progress`` (its console
observer) print.  :mod:`.main` is the group; the commands live by what they do:
:mod:`.training` (run, tune, validate), :mod:`.analysis` (compare, check, report,
reproduction), :mod:`.catalog` (studies, init, data, schema); :mod:`.options` holds the
options they share and the error handling.
"""

from .main import main

__all__ = ["main"]
