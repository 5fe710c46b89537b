"""Grid sweeps: one config evaluated at every combination of a few swept values.

A config's ``sweep`` maps key paths (the ``--set`` syntax) to lists of values; the
command line adds keys with ``--sweep KEY=V1,V2,...``.  Several keys give their cross
product, the first key varying slowest.  Each combination is a *cell*: the base config
with the cell's values set as ``--set`` would set them, validated by ``load_config``, with
no sweep of its own and the base seed, so that every cell is evaluated on the same folds.

A cell is named after its values, ``rate=0.2`` or ``rate=0.2,max_norm=3``: each key by
the shortest tail of its path that tells the swept keys apart (``model.layers[1].rate``
-> ``rate``; with ``model.layers[3].rate`` also swept, ``layers1.rate`` and
``layers3.rate``), each value as YAML writes it (``0.2``, ``null``, ``true``) with
characters other than letters, digits, ``_``, ``.`` and ``-`` replaced by ``_``.  The
cell's config carries that name, and its results go to ``OUT/<sweep name>/<cell>/``.

This module plans a sweep and builds its table; ``cli`` runs the cells, ``results``
writes the files and ``plots`` draws them.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import yaml

from .compare import compare_runs
from .config import Experiment, dump_config, load_config, load_config_sourced, parse_key_path, sweep_problem
from .config.loader import absolute_data_path
from .errors import ConfigError, ResultsError, StatsError
from .results import find_done, summarize  # noqa: F401  (find_done: public here too)
from .stats import p_value_text

STAT_COLUMNS = ["runs", "test_mean", "test_std", "test_ci95_low", "test_ci95_high",
                "train_mean", "train_std", "train_ci95_low", "train_ci95_high"]
PAIRED_COLUMNS = ["diff_vs_first", "diff_ci95_low", "diff_ci95_high", "p_vs_first"]


@dataclass(frozen=True)
class Cell:
    """One point of the grid: its name, its swept values (key path -> value) and its config.

    ``source(key path)`` says who wrote a value of the cell's config (for later checks' errors).
    """

    name: str
    values: dict[str, Any]
    cfg: Experiment
    source: Callable[[Sequence], str] | None = None


@dataclass(frozen=True)
class Sweep:
    """A config's sweep: the base config (holding the whole ``sweep``) and its cells, in order."""

    path: Path
    base: Experiment
    cells: list[Cell]

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def keys(self) -> list[str]:
        return list(self.base.sweep)

    def labels(self) -> dict[str, str]:
        return key_labels(self.keys)


def parse_sweep_option(item: str) -> tuple[str, list]:
    """``--sweep model.layers[1].rate=0.0,0.2`` -> ``("model.layers[1].rate", [0.0, 0.2])``.

    The values are one YAML flow sequence without its brackets, so ``null,3,4`` and
    ``{name: adam},{name: sgd}`` work too.  An empty value (``0.1,,0.2`` or a trailing
    comma) is an error: write ``null`` for a null value.  A CSV path (``data.path``) is
    relative to the working directory.
    """
    key, sep, raw = item.partition("=")
    usage = (f"--sweep {item!r}: expected KEY=V1,V2,... with a dotted key path, "
             f"e.g. model.layers[1].rate=0.0,0.2,0.4")
    tokens = parse_key_path(key.strip()) if sep else None
    if tokens is None or not raw.strip():
        raise ConfigError(usage)
    parts = _top_level_items(raw)
    for i, part in enumerate(parts, start=1):
        if not part.strip():
            where = "the last" if i == len(parts) else f"value {i}"
            raise ConfigError(f"--sweep {item!r}: {where} of the {len(parts)} comma-separated values is empty; "
                              "remove the extra comma (write null for a null value)")
    try:
        values = yaml.safe_load(f"[{raw}]")
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"--sweep {item!r}: the values must be YAML separated by commas: {problem}") from None
    return key.strip(), [absolute_data_path(tokens, value, Path.cwd()) for value in values]


def _top_level_items(raw: str) -> list[str]:
    """``raw`` split at the commas outside brackets, braces and quotes."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(raw):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    return [*parts, raw[start:]]


def expand(path: str | Path, overrides: Sequence[str] = (), items: Sequence[str] = ()) -> Sweep | None:
    """The sweep of the config at ``path`` (its ``sweep`` plus ``--sweep`` ``items``), every
    cell loaded and validated; None when the config sweeps nothing.

    A ``--sweep`` key that the file also sweeps replaces the file's values.  Errors name the
    file and the swept key: ``configs/a.yaml: sweep["model.layers[9].rate"]: model.layers[9]
    does not exist``; a value the schema refuses reads as it would from ``--set``.
    """
    path = Path(path)
    base = load_config(path, overrides)
    spec = dict(base.sweep or {})
    for item in items:
        key, values = parse_sweep_option(item)
        spec[key] = values
    if not spec:
        return None
    problem = sweep_problem(spec)
    if problem:
        raise ConfigError(f"{path}: {problem}")
    base = base.model_copy(update={"sweep": spec})
    keys, labels = list(spec), key_labels(list(spec))
    cells, named = [], {}
    for combo in itertools.product(*spec.values()):
        values = dict(zip(keys, combo, strict=True))
        name = cell_name(values, labels)
        if name in named:
            raise ConfigError(f"{path}: sweep cells {_values_text(named[name])} and {_values_text(values)} "
                              f"would share the name {name!r}; give the values distinct names")
        named[name] = values
        cfg, source = load_config_sourced(path, overrides, cell={**values, "name": name})
        cells.append(Cell(name, values, cfg, source))
    return Sweep(path, base, cells)


def key_labels(keys: Sequence[str]) -> dict[str, str]:
    """Each swept key's short label: the shortest tail of its path no other key ends with."""
    paths = {key: parse_key_path(key) for key in keys}
    labels = {}
    for key, tokens in paths.items():
        others = [t for k, t in paths.items() if k != key]
        for n in range(1, len(tokens) + 1):
            tail = tokens[-n - 1:] if isinstance(tokens[-n], int) else tokens[-n:]  # an index keeps its list's name
            if not any(other[-len(tail):] == tail for other in others if len(other) >= len(tail)):
                break
        labels[key] = _label(tail)
    if len(set(labels.values())) < len(labels):  # tails written alike: fall back to the whole paths
        labels = {key: _label(tokens) for key, tokens in paths.items()}
    return labels


def _label(tokens: list[str | int]) -> str:
    """``["layers", 1, "rate"]`` -> ``layers1.rate``: no brackets in a file name."""
    return "".join(str(t) if isinstance(t, int) or i == 0 else f".{t}" for i, t in enumerate(tokens))


def cell_name(values: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """``rate=0.2,max_norm=3``: each key's label and its value, safe in a file name."""
    return ",".join(f"{labels[key]}={_name_part(value)}" for key, value in values.items())


def value_text(value: Any) -> str:
    """A value as YAML writes it in one line: ``0.2``, ``null``, ``true``, ``{name: adam}``."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (int, float, str)):
        return repr(value) if isinstance(value, float) else str(value)
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=math.inf).strip()


def _name_part(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", value_text(value)).strip("_") or "_"


def _values_text(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value_text(v)}" for key, v in values.items())


# --- what a sweep already has ---

def check_sweep_dir(where: Path) -> None:
    """Refuse to put a sweep's cells into a directory that holds a single run."""
    if (where / "run.json").exists():
        raise ResultsError(f"{where}: holds the results of a single run, not a sweep; "
                           "move them away or give the sweep another name")


# --- the sweep's table ---

def sweep_table(sweep: Sweep, folds: Mapping[str, pd.DataFrame],
                checksums: Mapping[str, str | None] | None = None) -> tuple[pd.DataFrame, str | None]:
    """One row per cell: its name, swept values, runs, mean/std/95% CI of test and train
    accuracy, and the paired difference in test accuracy from the first cell (corrected
    resampled t-test, as ``dropout-lab compare``).

    Returns the table and, when the paired columns are empty, why.
    """
    rows = []
    for cell in sweep.cells:
        summary = summarize(folds[cell.name])
        test, train = summary.loc["test_accuracy"], summary.loc["train_accuracy"]
        rows.append({"cell": cell.name, **cell.values, "runs": int(test["n"]),
                     **{f"test_{k}": test[k] for k in ("mean", "std", "ci95_low", "ci95_high")},
                     **{f"train_{k}": train[k] for k in ("mean", "std", "ci95_low", "ci95_high")}})
    table = pd.DataFrame(rows, columns=["cell", *sweep.keys, *STAT_COLUMNS])
    for key in sweep.keys:  # as given: no null -> NaN, no 3 -> 3.0
        table[key] = pd.Series([cell.values[key] for cell in sweep.cells], dtype=object)
    for column in PAIRED_COLUMNS:
        table[column] = float("nan")
    first = sweep.cells[0].name
    try:
        for i, cell in enumerate(sweep.cells[1:], start=1):
            pair = compare_runs({first: folds[first], cell.name: folds[cell.name]},
                                None if checksums is None else {n: checksums[n] for n in (first, cell.name)})
            row = pair.iloc[0]
            table.loc[i, PAIRED_COLUMNS] = [row["diff"], row["ci_lo"], row["ci_hi"], row["p"]]
    except StatsError as exc:
        table[PAIRED_COLUMNS] = float("nan")
        return table, str(exc)
    if len(sweep.cells) > 1:
        table.loc[0, "diff_vs_first"] = 0.0
        return table, None
    return table, "a sweep of one cell has nothing to compare"


def sweep_files(sweep: Sweep, folds: Mapping[str, pd.DataFrame], checksums: Mapping[str, str | None] | None = None,
                plots: bool = True) -> tuple[dict[str, str], Any]:
    """What ``results.write_sweep`` writes: the texts of sweep.yaml, sweep.csv and sweep.md,
    and the figure for sweep.png (None without plots).  ``folds`` maps each cell's name to its
    fold table."""
    table, unpaired = sweep_table(sweep, folds, checksums)
    texts = {"sweep.yaml": dump_config(sweep.base), "sweep.csv": table_csv(table, sweep.keys),
             "sweep.md": sweep_markdown(sweep, table, unpaired)}
    figure = None
    if plots:
        from .plots import sweep_plot  # matplotlib: only to draw

        labels = sweep.labels()
        title = f"{sweep.name}: accuracy by {labels[sweep.keys[0]]}"
        if len(sweep.keys) > 1:
            title += " and " + ", ".join(labels[k] for k in sweep.keys[1:])
        figure = sweep_plot(plot_points(sweep, table), sweep.keys[0], title)
    return texts, figure


def table_csv(table: pd.DataFrame, keys: Sequence[str]) -> str:
    """The table as CSV, each swept value as ``value_text`` writes it."""
    return table.assign(**{key: table[key].map(value_text) for key in keys}).to_csv(index=False)


def sweep_markdown(sweep: Sweep, table: pd.DataFrame, unpaired: str | None) -> str:
    """``sweep.md``: what was swept, how each cell was evaluated, and the table."""
    labels, first = sweep.labels(), sweep.cells[0]
    swept = ", ".join(f"`{key}` ({len(sweep.base.sweep[key])} values)" for key in sweep.keys)
    lines = [f"# {sweep.name}: sweep of {swept}", ""]
    if sweep.base.description:
        lines += [sweep.base.description.strip(), ""]
    protocols = {_protocol(cell.cfg) for cell in sweep.cells}
    how = protocols.pop() if len(protocols) == 1 else "the protocol each cell's config.yaml states"
    lines += [f"{len(sweep.cells)} cells, each evaluated with {how}, seed {sweep.base.seed} "
              f"(the same splits in every cell).", ""]
    paired = unpaired is None
    head = [labels[key] for key in sweep.keys] + ["runs", "test accuracy", "test 95% CI",
                                                  "train accuracy", "train 95% CI"]
    if paired:
        head += [f"test diff vs {first.name} [95% CI]", "p"]
    lines += ["| " + " | ".join(head) + " | results |", "|" + "---|" * (len(head) + 1)]
    for row in table.to_dict("records"):
        cells = [value_text(row[key]) for key in sweep.keys]
        cells += [str(row["runs"]), _pm(row, "test"), _ci(row, "test"), _pm(row, "train"), _ci(row, "train")]
        if paired:
            cells += (["(reference)", ""] if row["cell"] == first.name else
                      [f"{row['diff_vs_first']:+.4f} [{row['diff_ci95_low']:+.4f}, {row['diff_ci95_high']:+.4f}]",
                       _p(row["p_vs_first"])])
        link = quote(row["cell"], safe="=,.-_")
        lines.append("| " + " | ".join(cells) + f" | [{row['cell']}/]({link}/summary.md) |")
    best = table.loc[table["test_mean"].idxmax()]
    lines += ["", f"Highest mean test accuracy: {best['cell']} ({best['test_mean']:.4f}).", "",
              "Accuracy: mean ± std over the runs (std with ddof=0, as the tutorial prints it); "
              "95% CI: the t-based interval of the mean, clipped to [0, 1].", ""]
    if paired:
        lines.append(f"Test diff: the mean per-fold difference from {first.name} on the same folds, with the "
                     "interval and p of the corrected resampled t-test (Nadeau & Bengio 2003), as "
                     "`dropout-lab compare` computes them; the p-values are not adjusted for the "
                     f"{len(sweep.cells) - 1} comparisons.")
    else:
        lines.append(f"No paired differences: {unpaired}.")
    return "\n".join(lines) + "\n"


def plot_points(sweep: Sweep, table: pd.DataFrame) -> pd.DataFrame:
    """What ``plots.sweep_plot`` draws: x = the first key's value, one line per value of the others."""
    labels, keys = sweep.labels(), sweep.keys
    return pd.DataFrame({
        "x": table[keys[0]],
        "x_text": table[keys[0]].map(value_text),
        "line": [",".join(f"{labels[k]}={value_text(row[k])}" for k in keys[1:]) or None
                 for row in table.to_dict("records")],
        **{c: table[c] for c in ("runs", "test_mean", "test_ci95_low", "test_ci95_high", "train_mean")},
    })


def _protocol(cfg: Experiment) -> str:
    ev = cfg.evaluation
    if ev.protocol == "holdout":
        size = f"n_train {ev.n_train}" if ev.n_train is not None else f"train_fraction {ev.train_fraction}"
        how = f"a holdout split ({size})"
    else:
        how = f"{ev.n_splits}-fold CV"
    if ev.repeats > 1:
        how += f" x {ev.repeats} repeats"
    return f"{how}, {cfg.training.epochs} epochs"


def _pm(row: dict, part: str) -> str:
    return f"{row[f'{part}_mean']:.4f} ± {row[f'{part}_std']:.4f}"


def _ci(row: dict, part: str) -> str:
    low, high = row[f"{part}_ci95_low"], row[f"{part}_ci95_high"]
    return "—" if pd.isna(low) else f"[{low:.4f}, {high:.4f}]"


def _p(p: float) -> str:
    return "—" if pd.isna(p) else p_value_text(p)
