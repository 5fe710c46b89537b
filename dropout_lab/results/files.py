"""The files a command writes beside run directories, each atomically (a temporary file
renamed into place, with the umask's mode): the comparison of an output directory's runs
(``summary.md``, ``summary.csv``, ``comparison.png``), a sweep's files (``sweep.yaml``,
``sweep.csv``, ``sweep.md``, ``sweep.png``), a report and its table, and any text or figure.
Run directories themselves are :mod:`.rundir`'s.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pandas as pd

from ..errors import ResultsError
from ..scoring import label, primary, title
from .comparison import comparison_markdown, comparison_table, setup_of
from .locks import comparison_lock
from .reading import read_run
from .tables import summarize

UMASK = os.umask(0o022)
os.umask(UMASK)  # read the process umask (the only way is to set it and put it back)


def update_comparison(out: Path, names: list[str], plots: bool = True) -> tuple[Path, str] | None:
    """Rewrite ``out``'s comparison from the run directories on disk: the configs it listed
    before (that still have a run) and ``names``.  Rewriting from disk keeps it true when a
    later command replaces one of its runs.  Returns its path and text; None for one config.
    """
    with comparison_lock(out):  # another command's comparison is read, then both files written, in turn
        listed = []
        if (out / "summary.csv").is_file():
            with contextlib.suppress(Exception):
                listed = [str(n) for n in pd.read_csv(out / "summary.csv")["config"]]
        names = [n for n in dict.fromkeys([*listed, *names]) if (out / n / "run.json").is_file()]
        if len(names) < 2:
            return None
        runs = {name: read_run(out / name) for name in names}
        summaries = {name: summarize(run.folds) for name, run in runs.items()}
        setups = {name: setup_of(run.config) for name, run in runs.items()}
        scores = {name: run.folds[primary(run.folds.columns)[0]] for name, run in runs.items()} if plots else None
        return write_comparison(out, summaries, scores, setups), comparison_markdown(summaries, setups)


def write_comparison(
    out: Path, summaries: dict[str, pd.DataFrame], scores: dict[str, pd.Series] | None = None,
    setups: dict[str, dict] | None = None,
) -> Path:
    """Write ``out/summary.md``, ``out/summary.csv`` and, given the test accuracies of
    each config, ``out/comparison.png``; ``setups`` (each run's ``setup_of``) marks runs
    evaluated unlike the others."""
    _atomic_write(out / "summary.csv", comparison_table(summaries, setups).to_csv(index=False))
    if scores:
        from ..plots import accuracy_distribution  # matplotlib: only to draw

        column = next(iter(scores.values())).name
        _atomic_savefig(accuracy_distribution(scores, f"{title(column)} by config", label(column)),
                        out / "comparison.png")
    return _atomic_write(out / "summary.md", comparison_markdown(summaries, setups))


def write_text(path: Path, text: str) -> Path:
    """Write a text file atomically (temporary file + rename)."""
    try:
        return _atomic_write(path, text)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write: {exc.strerror}") from None


def write_figure(path: Path, figure) -> Path:
    """Save a matplotlib figure as PNG atomically (temporary file + rename)."""
    try:
        _atomic_savefig(figure, path)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write: {exc.strerror}") from None
    return path


def write_sweep(where: Path, texts: dict[str, str], figure=None) -> Path:
    """Write a sweep's files into its directory ``where``: ``texts`` maps file names
    (``sweep.yaml``, ``sweep.csv``, ``sweep.md``) to their text, and ``figure`` is saved as
    ``sweep.png``.  Returns the path of ``sweep.md``."""
    try:
        for filename, text in texts.items():
            _atomic_write(where / filename, text)
        if figure is not None:
            _atomic_savefig(figure, where / "sweep.png")
    except OSError as exc:
        raise ResultsError(f"{where}: cannot write the sweep's files: {exc.strerror}") from None
    return where / "sweep.md"


def write_report(path: Path, markdown: str, csv: str) -> tuple[Path, Path]:
    """Write a report's Markdown to ``path`` and its table to the ``.csv`` beside it."""
    table = path.with_suffix(".csv")
    if table == path:
        raise ResultsError(f"{path}: the report is Markdown, and its table goes to the .csv beside it; "
                           "give the report another name, e.g. report.md")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(table, csv)
        _atomic_write(path, markdown)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write the report: {exc.strerror}") from None
    return path, table


def _atomic_savefig(fig, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~UMASK)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _atomic_write(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.chmod(tmp, 0o666 & ~UMASK)  # mkstemp's 0600 would hide results from other users
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
