"""The compatibility matrix: Python 3.11 to 3.13, each with the oldest and the newest scikit-learn.

    make test-matrix                                  # every cell, one after another
    nox -s "matrix-3.13(sklearn='newest')"            # one cell (`nox -l` lists them)

Each cell installs dropout-lab (built as a wheel, not editable) into a fresh virtual
environment with constraints.txt's pins and the cell's scikit-learn instead of the pinned
one, then runs a fast part of the suite (config, data, both engines on tiny folds, the
SciKeras adapter under scikit-learn's estimator checks) and the smoke run checked against
reference/ by the installed `dropout-lab`.  The tests import dropout-lab from the working
tree; the smoke run imports the installed package.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["matrix"]
nox.options.error_on_missing_interpreters = True  # a cell that cannot run fails, it is not skipped
# uv (the dev extra installs it) makes each cell's environment and installs into it from its cache:
# TensorFlow and the rest are linked, not unpacked again, in the second cell and every later run.
# Without uv, nox falls back to virtualenv and pip.
nox.options.default_venv_backend = "uv|virtualenv"

PYTHONS = ["3.11", "3.12", "3.13"]
# The supported range's ends; the newest is the one constraints.txt pins.
SKLEARN = {"oldest": "1.5.2", "newest": "1.9.1"}
TESTS = [
    "tests/test_config.py",
    "tests/test_data.py",
    "tests/test_engines_scikeras.py",
    "tests/test_engines_sklearn_adapter.py",
    "tests/test_evaluation.py::test_a_multiclass_run_scores_predicts_and_keeps_every_held_out_row",
]


def _constraints_without_sklearn(session: nox.Session) -> str:
    """constraints.txt less its scikit-learn pin, which the cell replaces."""
    lines = [line for line in Path("constraints.txt").read_text().splitlines()
             if not line.lower().startswith("scikit-learn==")]
    path = Path(session.create_tmp()) / "constraints.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@nox.session(python=PYTHONS)
@nox.parametrize("sklearn", list(SKLEARN))
def matrix(session: nox.Session, sklearn: str) -> None:
    session.install("-c", _constraints_without_sklearn(session), ".[dev]", f"scikit-learn=={SKLEARN[sklearn]}")
    session.run("python", "-c", "import platform, sklearn; print('Python', platform.python_version(), "
                "'scikit-learn', sklearn.__version__)")
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS)
    out = session.create_tmp() + "/smoke"
    session.run("dropout-lab", "run", "configs/smoke.yaml", "--out", out, "--no-plots", "-q", "--check", "reference")
