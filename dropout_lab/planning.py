"""A command's work resolved once: every config and sweep cell becomes one :class:`RunSpec`.

:func:`resolve` reads each config file once (with its ``extends`` chain), validates it with
the command's overrides, expands its sweep from what it read, loads each dataset once per
data spec, runs the preflight checks (:mod:`dropout_lab.preflight`: output vs classes,
sizes, every planned split, the model's size; then the layers' shapes and the engine's
support), and fixes the run's splits, run id and XLA mode.  What it returns is passed down
unchanged: the driver, the engines, the recorder and the trackers read the same values,
and nothing is planned, parsed or hashed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import Experiment, load_config_sourced
from .config.loader import read_config
from .data import Dataset, load_dataset
from .errors import ConfigError
from .preflight import check_run
from .splits import Split


@dataclass(frozen=True, eq=False)
class RunSpec:
    """One config or sweep cell, resolved: what the whole command knows of it before training."""

    path: Path  # the config file
    cfg: Experiment
    source: Callable[[Sequence], str]  # who wrote the value at a key path (for messages)
    dataset: Dataset
    splits: tuple[Split, ...]  # every (repeat, fold) the run trains, in order
    run_id: str  # config, data and library versions (and XLA): a journal is reused only by the same id
    xla: bool  # the fused engine's training.xla, auto resolved
    sweep: object = None  # the Sweep it is a cell of

    @property
    def name(self) -> str:
        return self.cfg.name


@dataclass(frozen=True)
class Plan:
    """A command's runs: the plain configs', and each sweep with its cells'."""

    plain: list[RunSpec]
    sweeps: list[tuple[object, list[RunSpec]]]

    @property
    def runs(self) -> list[RunSpec]:
        return [*self.plain, *(spec for _, cells in self.sweeps for spec in cells)]

    @property
    def names(self) -> list[str]:
        """The names of the directories the command owns under OUT: each plain config's and each sweep's."""
        return [spec.name for spec in self.plain] + [sweep.name for sweep, _ in self.sweeps]


def resolve(config_files: Sequence[Path], overrides: Sequence[str] = (), sweep_items: Sequence[str] = (),
            data_dir=None, warn: Callable[[str], None] | None = None) -> Plan:
    """Validate every config (and each cell of its sweep), load and check its data, and fix its
    splits and run id, before any training; raises ``ConfigError``/``DataError`` at the first problem.
    Names must differ across the configs: each owns ``OUT/<name>/``."""
    from .sweep import expand

    datasets: dict[str, Dataset] = {}
    plain, sweeps, names = [], [], set()
    for path in map(Path, config_files):
        file = read_config(path)
        cfg, source = load_config_sourced(file, overrides)
        sweep = expand(file, overrides, sweep_items, base=cfg)
        if cfg.name in names:
            raise ConfigError(f"{path}: name {cfg.name!r} is used by more than one config in this run")
        names.add(cfg.name)
        if sweep is None:
            plain.append(_spec(path, cfg, source, datasets, data_dir, warn))
        else:
            sweeps.append((sweep, [_spec(path, cell.cfg, cell.source, datasets, data_dir, warn, sweep)
                                   for cell in sweep.cells]))
    return Plan(plain, sweeps)


def resolve_cell(path: Path, cfg: Experiment, source, datasets: dict, data_dir=None, warn=None) -> RunSpec:
    """One config already validated (a tune trial's), resolved as :func:`resolve` resolves each:
    its data loaded once per data spec (``datasets`` caches them), checked, its splits and run id fixed."""
    return _spec(Path(path), cfg, source, datasets, data_dir, warn)


def _spec(path: Path, cfg: Experiment, source, datasets: dict, data_dir, warn, sweep=None) -> RunSpec:
    key = cfg.data.model_dump_json()
    if key not in datasets:
        datasets[key] = load_dataset(cfg.data, data_dir)
    dataset = datasets[key]
    splits, warnings = check_run(cfg, dataset, source, lambda: _set_up_tensorflow(cfg, dataset))
    for text in warnings:
        if warn:
            warn(text)
    from .engines import get_engine  # TensorFlow: once the checks that need none have passed
    from .provenance import run_id, uses_xla

    try:
        get_engine(cfg.training.engine).check(cfg, dataset)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    xla = uses_xla(cfg, dataset)
    return RunSpec(path, cfg, source, dataset, tuple(splits), run_id(cfg, dataset, xla), xla, sweep)


def _set_up_tensorflow(cfg: Experiment, dataset: Dataset) -> None:
    """TensorFlow set up for the run's engine, with the intra-op threads it wants, before the
    shape checks' first op (TensorFlow fixes its pools then: the first run planned chooses)."""
    from .engines import get_engine, tf_setup

    tf_setup.use_intra_op_threads(get_engine(cfg.training.engine).intra_op_threads(cfg, dataset))
