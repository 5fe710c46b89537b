"""``dropout-lab tune``: Optuna's search over one config's values, on the run's own path.

- :mod:`.search`: the spaces (``search:``, ``--search KEY=SPACE``) and each trial's config, checked before training;
- :mod:`.study`: Optuna's storage (resumable, shared), sampler, pruner, and drawing a trial's values;
- :mod:`.run`: the loop, batch by batch through the driver, executor and engine of ``run``;
- :mod:`.outputs`: trials.csv, best.yaml, the plots (:mod:`.plots`), the honest re-evaluation, tune.md.

Optuna is an extra: ``pip install 'dropout-lab[tune]'``.
"""

from .outputs import TuneResult
from .run import ENGINE_DEFAULTS, TuneInterrupted, tune
from .search import Search, parse_search_option, plan_search

__all__ = ["ENGINE_DEFAULTS", "Search", "TuneInterrupted", "TuneResult", "parse_search_option", "plan_search", "tune"]
