"""Gal & Ghahramani's UCI protocol ("grid search") on one benchmark set.

For each fixed split: the first ``1 - validation_fraction`` of its training rows (file
order) train one network per grid cell (dropout rate x tau, :mod:`.grid`), the rest of the
training rows validate it; the cell with the best validation log-likelihood is retrained
on the whole training part and scored on the test part: MC RMSE and test log-likelihood
from ``samples`` stochastic passes (:mod:`.scores`).  The test rows are used only there:
no choice is made on them.

Two stacked programs per set (:mod:`.train`): every split's grid at once, then every
split's final network.  :func:`run_protocol` returns a :class:`ProtocolResult`;
:func:`write_result` puts it in ``<out>/<name>/`` (``splits.csv``, ``grid.csv``,
``run.json``), which :mod:`.table` reads.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..data.cache import resolve_data_dir
from ..data.uci import UciSet, load_uci_set
from ..errors import ResultsError
from ..splits import derive_seed
from .config import GalProtocol
from .grid import best_cell, cells, validation_cut, weight_decay
from .scores import mean_and_se
from .train import Fit, train_fits

GRID_STAGE, TEST_STAGE = 1, 2  # seed paths: derive_seed(seed, stage, split, cell)


@dataclass(frozen=True, eq=False)
class ProtocolResult:
    """``splits``: one row per split (the chosen cell, its validation log-likelihood, the
    test RMSE, MC RMSE and log-likelihood); ``grid``: one row per split and cell (its
    validation scores); ``seconds``: wall time of the training and scoring; ``timings``: the
    wall seconds of each stage's training and scoring (``grid_train``, ``grid_score``, ...)."""

    cfg: GalProtocol
    source: str
    splits: pd.DataFrame
    grid: pd.DataFrame
    seconds: float
    timings: dict | None = None

    def summary(self) -> dict[str, tuple[float, float]]:
        """Mean and standard error over the splits of ``mc_rmse`` and ``ll``."""
        return {metric: mean_and_se(self.splits[f"test_{metric}"]) for metric in ("mc_rmse", "ll")}


def run_protocol(cfg: GalProtocol, data_dir: str | Path | None = None, uci: UciSet | None = None) -> ProtocolResult:
    """Run the protocol ``cfg`` describes on its set (read from the data directory, or ``uci``)."""
    uci = uci or load_uci_set(cfg.data.name, resolve_data_dir(data_dir))
    grid = cells(cfg.dropout_rates or uci.dropout_rates, cfg.tau_values or uci.tau_values)
    split_ids = list(range(len(uci.splits))) if cfg.splits is None else list(cfg.splits)
    hidden = cfg.hidden_units or uci.n_hidden
    train = dict(hidden=hidden, epochs=cfg.epochs, batch_size=cfg.batch_size, learning_rate=cfg.learning_rate,
                 jit=cfg.xla)
    start = time.perf_counter()
    fits, where = [], []
    for k in split_ids:
        X_train, y_train, _, _ = uci.split(k)  # the test part is not read here
        cut = validation_cut(len(y_train), cfg.validation_fraction)
        for j, (rate, tau) in enumerate(grid):
            fits.append(Fit(X_train[:cut], y_train[:cut], X_train[cut:], y_train[cut:], rate,
                            weight_decay(rate, tau, cut, cfg.lengthscale), (tau,),
                            derive_seed(cfg.seed, GRID_STAGE, k, j)))
            where.append((k, j))
    timings = {"grid": {}, "final": {}}
    scores = train_fits(fits, samples=cfg.validation_samples or cfg.samples, timings=timings["grid"], **train)
    grid_rows = [dict(split=k, rate=grid[j][0], tau=grid[j][1], val_rmse=s.rmse, val_mc_rmse=s.mc_rmse,
                      val_ll=s.ll[0]) for (k, j), s in zip(where, scores, strict=True)]
    chosen = {k: best_cell([row["val_ll"] for row in grid_rows if row["split"] == k]) for k in split_ids}
    finals = []
    for k in split_ids:
        X_train, y_train, X_test, y_test = uci.split(k)
        rate, tau = grid[chosen[k]]
        decay = weight_decay(rate, tau, len(y_train), cfg.lengthscale)
        finals.append(Fit(X_train, y_train, X_test, y_test, rate, decay, (tau,),
                          derive_seed(cfg.seed, TEST_STAGE, k, chosen[k])))
    tests = train_fits(finals, samples=cfg.samples, timings=timings["final"], **train)
    seconds = time.perf_counter() - start
    split_rows = []
    for k, s in zip(split_ids, tests, strict=True):
        row = next(r for r in grid_rows if r["split"] == k and (r["rate"], r["tau"]) == grid[chosen[k]])
        split_rows.append(dict(split=k, rate=row["rate"], tau=row["tau"], val_ll=row["val_ll"], test_rmse=s.rmse,
                               test_mc_rmse=s.mc_rmse, test_ll=s.ll[0]))
    timings = {f"{stage}_{part}": round(value, 2) for stage, parts in timings.items() for part, value in parts.items()}
    return ProtocolResult(cfg, uci.source, pd.DataFrame(split_rows), pd.DataFrame(grid_rows), seconds, timings)


def write_result(result: ProtocolResult, out: str | Path) -> Path:
    """``<out>/<name>/``: ``splits.csv``, ``grid.csv`` and ``run.json`` (config, summary, wall time)."""
    from ..results import write_text

    folder = Path(out) / result.cfg.name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"{folder}: cannot create the results folder: {exc.strerror}") from None
    summary = {metric: {"mean": m, "se": se} for metric, (m, se) in result.summary().items()}
    run = {"name": result.cfg.name, "dataset": result.cfg.data.name, "source": result.source,
           "config": result.cfg.model_dump(mode="json"), "summary": summary, "seconds": round(result.seconds, 2),
           "timings": result.timings}
    write_text(folder / "splits.csv", result.splits.to_csv(index=False))
    write_text(folder / "grid.csv", result.grid.to_csv(index=False))
    write_text(folder / "run.json", json.dumps(run, indent=2) + "\n")
    return folder
