"""The fused engine as an engine (:mod:`dropout_lab.engines.base`): ``train`` and
``train_runs`` over splits, which the executors call, and ``train_tasks`` over
:class:`.Task` values, for a Python user.

Each group's program hands back predictions (:func:`.group.train_group`); they are
scored here, once per fold: by :func:`dropout_lab.folds.fold_result` for a run's splits,
by :func:`dropout_lab.scoring.score_fold` for tasks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ... import scoring
from ...config import Experiment
from ...data import Dataset
from ...folds import FoldResult, Split, fold_result
from ...scoring import regression
from ...splits import tau_seed, validation_split
from .. import tf_setup
from . import group
from .grouping import groups, intra_op_threads, run_rows, threads_for, use_xla
from .support import check, check_supported
from .task import Task, check_data, is_regression, n_classes

# the history table's columns as folds.HISTORY_COLUMNS names them
_HISTORY_NAMES = {"loss": "train_loss", "accuracy": "train_accuracy", "val_loss": "test_loss",
                  "val_accuracy": "test_accuracy"}


def train(cfg: Experiment, dataset: Dataset, splits: Sequence[Split]) -> Iterator[FoldResult]:
    """Every split as one model of one stacked program (or a few, see :func:`train_runs`;
    the program uses TensorFlow's threads); each program's folds come when it is done."""
    for _, folds in train_runs([(cfg, dataset, splits)]):
        yield from folds


def train_runs(runs: Sequence[tuple[Experiment, Dataset, Sequence[Split]]]) -> Iterator[tuple[int, list[FoldResult]]]:
    """Train the splits of many runs (configs, sweep cells) at once: every split whose run
    shares an :func:`.architecture_key`, a feature count, an XLA mode (:func:`.use_xla`, per
    run) and whether it records history is one model of one program, whatever run it
    belongs to (a group too big for one program, see :data:`.MAX_PROGRAM_BYTES` and
    :data:`.MAX_PROGRAM_WORK`, is cut into a few).  Yields ``(index of the run in runs,
    folds)`` for each run with folds in a program, as each program finishes, folds in
    (repeat, fold) order.  A run's folds are the ones it would get trained alone.

    A regression run with Monte Carlo dropout trains one more model per split, on its
    training part minus a validation part (:func:`dropout_lab.splits.tau_seed`), whose passes
    over those validation rows choose tau; its fold comes once both models are trained."""
    tf_setup.configure()
    tf_setup.use_intra_op_threads(_shared(intra_op_threads(cfg, dataset) for cfg, dataset, _ in runs))
    tasks, owners, modes = [], [], []
    for r, (cfg, dataset, splits) in enumerate(runs):
        check(cfg, dataset)
        X, y = dataset.X.astype("float32"), dataset.y
        shape = tuple(dataset.input_shape) if len(dataset.input_shape) > 1 else None
        jit = use_xla(cfg, dataset)
        # XLA compiles a program for its padded widths, and its rounding depends on them: an
        # XLA run keeps the widths it has alone and is stacked only with runs of the same widths
        rows = run_rows(cfg, dataset) if jit and splits else None
        mode = (jit, cfg.evaluation.history, rows)
        for s in splits:
            tasks.append(Task(cfg, X[s.train], y[s.train], X[s.test], y[s.test], s.model_seed, shape))
            owners.append((r, s, None))
            modes.append(mode)
            if _chooses_tau(cfg, dataset):
                fit, val = tau_validation(cfg, dataset, s)
                tasks.append(Task(cfg, X[fit], y[fit], X[val], y[val], tau_seed(s.model_seed), shape))
                owners.append((r, s, val))
                modes.append((jit, cfg.evaluation.history, None))  # its own widths: it is not scored
    for r, (_, _, splits) in enumerate(runs):
        if not splits:
            yield r, []
    waiting: dict[tuple[int, int, int], dict] = {}  # a regression split's outputs until both models are done
    for members, outputs in _grouped(tasks, modes):
        folds: dict[int, list[FoldResult]] = {}
        for i, out in zip(members, outputs, strict=True):
            r, split, val = owners[i]
            cfg, dataset = tasks[i].cfg, runs[r][1]
            if not _chooses_tau(cfg, dataset):
                folds.setdefault(r, []).append(_fold_result(split, dataset, cfg, out))
                continue
            both = waiting.setdefault((r, split.repeat, split.fold), {})
            both["validation" if val is not None else "fold"] = (val, out)
            if len(both) == 2:
                (val_rows, val_out), (_, fold_out) = both["validation"], both["fold"]
                del waiting[(r, split.repeat, split.fold)]
                folds.setdefault(r, []).append(_fold_result(split, dataset, cfg, fold_out,
                                                            (val_rows, val_out["mc_test_samples"])))
        for r, done in folds.items():
            yield r, sorted(done, key=lambda f: f.key)


def _chooses_tau(cfg: Experiment, dataset: Dataset) -> bool:
    """Whether a run trains a validation model per split to choose tau on (regression, Monte Carlo
    dropout, no fixed ``evaluation.inference.tau``)."""
    inference = cfg.evaluation.inference
    return dataset.is_regression and inference.mc and inference.tau is None


def tau_validation(cfg: Experiment, dataset: Dataset, split: Split):
    """The rows of a split's training part the tau model fits on, and its validation rows
    (``evaluation.inference.validation_fraction`` of them, seeded by the split's tau seed)."""
    return validation_split(split.train, dataset.y, cfg.evaluation.inference.validation_fraction,
                            tau_seed(split.model_seed), stratify=False)


def _fold_result(split: Split, dataset: Dataset, cfg: Experiment, out: dict, mc_validation=None) -> FoldResult:
    history = None
    if cfg.evaluation.history:
        history = out["history"].rename(columns=_HISTORY_NAMES).assign(repeat=split.repeat, fold=split.fold)
    mc = out.get("mc_test_samples") if dataset.is_regression else out.get("mc_test_proba")
    return fold_result(split, dataset, out["train_proba"], out["test_proba"], out["fit_seconds"], history,
                       bins=cfg.evaluation.calibration_bins, mc_proba_test=mc, mc_validation=mc_validation,
                       tau=cfg.evaluation.inference.tau)


def train_tasks(tasks: Sequence[Task], history: bool = False, jit: bool = False) -> list[dict]:
    """Train every task and score it; one dict per task, in the order given.

    Tasks are grouped by :func:`.architecture_key` and feature count; each group is one
    compiled program (or a few, see :data:`.MAX_PROGRAM_WORK`).  Each dict holds the
    scores of :func:`dropout_lab.scoring.score_fold` (``train_accuracy`` on the whole
    training part, dropout off, ``test_accuracy``, ``test_loss``, ...; with Monte Carlo
    dropout the ``mc_test_*`` scores too), ``train_proba`` and ``test_proba`` (``(n, K)``
    predicted probabilities), with Monte Carlo dropout ``mc_test_proba`` (the mean over
    its passes), ``n_train``, ``n_test``, ``fit_seconds`` (its program's training time
    divided by its size; ``group_seconds`` is the whole) and, when ``history``, a
    ``history`` DataFrame of :data:`.HISTORY_COLUMNS`: per epoch the mean training loss
    and accuracy over its batches (training mode, before each update, as ``fit`` reports
    them) and the test part's loss and accuracy after the epoch (as ``fit``'s
    ``validation_data``).  A task's numbers depend on its config, data and seed only: the
    same run to run, and the same alone or with any other tasks.

    A regression task (a ``dense(1, linear)`` output with a regression loss) gets the scores
    of :func:`dropout_lab.scoring.regression.score_fold` from its predicted values (in the
    target's units), and with Monte Carlo dropout ``mc_test_samples``, every pass over its test
    rows; it has no validation rows here to choose tau on, so no ``mc_test_*`` scores.

    ``jit`` compiles each group with XLA: seconds of compiling, then about twice as fast
    (worth it for long runs and big groups).  XLA rounds differently, so its numbers are
    their own: equal to ``jit=False`` ones to float rounding, which long runs amplify.
    """
    tf_setup.configure()
    tf_setup.use_intra_op_threads(_shared(threads_for(task.cfg, jit) for task in tasks))
    rows: list[dict | None] = [None] * len(tasks)
    for members, outputs in _grouped(tasks, [(jit, history, None)] * len(tasks)):
        for i, out in zip(members, outputs, strict=True):
            task = tasks[i]
            if is_regression(task.cfg):  # no validation rows here to choose tau on: standard scores only
                scores = regression.score_fold(task.y_train, out["train_proba"], task.y_test, out["test_proba"])
                rows[i] = {"n_train": out["n_train"], "n_test": out["n_test"], **scores, **out}
                continue
            scores = scoring.score_fold(task.y_train, out["train_proba"], task.y_test, out["test_proba"],
                                        n_classes(task.cfg), task.cfg.evaluation.calibration_bins,
                                        out.get("mc_test_proba"))
            rows[i] = {"n_train": out["n_train"], "n_test": out["n_test"], **scores, **out}
    return rows


def _grouped(tasks: Sequence[Task], modes: Sequence[tuple]) -> Iterator[tuple[list[int], list[dict]]]:
    """Train ``tasks`` group by group (``modes``: each task's (jit, history, padded rows or
    None)); yields each group's (or chunk's) task indices with their predictions, groups
    in order of first task."""
    for cfg in {id(task.cfg): task.cfg for task in tasks}.values():  # once per config, not per split
        check_supported(cfg)
    for i, task in enumerate(tasks):
        check_data(task, i)
    for (jit, history, rows), chunks in groups(tasks, modes):
        for chunk in chunks:
            yield chunk, group.train_group([tasks[i] for i in chunk], history, jit=jit, rows=rows)[0]


def _shared(wanted) -> int | None:
    """The intra-op threads programs wanting ``wanted`` can share (a process has one pool):
    theirs when they agree, else TensorFlow's default."""
    wanted = set(wanted)
    return wanted.pop() if len(wanted) == 1 else None
