"""Result tables (``tables``, ``comparison``), run directories written (``rundir``) and read
(``reading``), the files written beside them (``files``), and the locks that keep concurrent
commands apart (``locks``); see each module.

``Journal`` (the resume journal) lives in :mod:`dropout_lab.journal`, beside the orchestration
that drives it, and is re-exported here for older imports.
"""

from ..journal import Journal
from .comparison import comparison_markdown, comparison_table, setup_of
from .files import update_comparison, write_comparison, write_figure, write_report, write_sweep, write_text
from .reading import RUN_FILES, SavedRun, find_done, read_run
from .rundir import check_run_dir, prepare_out_dir, write_run
from .tables import (
    METRICS,
    headline,
    summarize,
    summary_markdown,
    summary_metrics,
)

__all__ = [
    "METRICS", "RUN_FILES", "Journal", "SavedRun", "check_run_dir", "comparison_markdown", "comparison_table",
    "find_done", "headline", "prepare_out_dir", "read_run", "setup_of", "summarize", "summary_markdown",
    "summary_metrics", "update_comparison", "write_comparison", "write_report", "write_run", "write_sweep",
    "write_figure", "write_text",
]
