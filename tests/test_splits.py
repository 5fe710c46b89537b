"""The plan of a run (splits.py): seeded stratified folds, holdout splits, the seeds of each
model, and early stopping's validation rows. No training."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from dropout_lab.config import load_config
from dropout_lab.data import load_dataset
from dropout_lab.splits import derive_seed, plan, repeat_seed, splits, stopping_seed, validation_split

from .conftest import CONFIGS

Y = np.array([0] * 30 + [1] * 10)  # imbalanced: stratification shows


@pytest.fixture
def sonar_y(sonar_dir):
    return load_dataset(load_config(CONFIGS / "smoke.yaml").data, sonar_dir).y


def test_splits_are_explicit_seeded_stratified_folds(sonar_y):
    cfg = load_config(CONFIGS / "sonar_baseline.yaml")
    ours = splits(cfg, sonar_y)
    theirs = StratifiedKFold(10, shuffle=True, random_state=7).split(np.zeros((len(sonar_y), 1)), sonar_y)
    for (_, test), (_, test2) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(test, test2)
        assert abs(sonar_y[test].mean() - sonar_y.mean()) < 0.06  # every fold keeps the class balance
    assert sorted(np.concatenate([t for _, t in ours]).tolist()) == list(range(208))


@pytest.mark.parametrize("evaluation, train, test", [
    ("{protocol: holdout, n_train: 30}", list(range(30)), list(range(30, 40))),  # the first rows, in order
    ("{protocol: holdout, train_fraction: 0.25}", list(range(10)), list(range(10, 40))),
])
def test_holdout_takes_the_first_rows_unless_shuffled(evaluation, train, test):
    cfg = load_config(CONFIGS / "circles_dropout.yaml", [f"evaluation={evaluation}"])
    [(ours_train, ours_test)] = splits(cfg, Y)
    assert ours_train.tolist() == train and ours_test.tolist() == test


def test_a_shuffled_holdout_is_stratified_sorted_and_seeded():
    cfg = load_config(CONFIGS / "circles_dropout.yaml", ["evaluation={protocol: holdout, n_train: 20, shuffle: true}"])
    [(train, test)] = splits(cfg, Y)
    assert len(train) == 20 and sorted([*train, *test]) == list(range(40))
    assert np.bincount(Y[train]).tolist() == [15, 5]  # the 3:1 balance of Y
    assert train.tolist() == sorted(train.tolist())
    [(again, _)] = splits(cfg, Y)
    [(other, _)] = splits(cfg, Y, split_seed=cfg.seed + 1)
    assert np.array_equal(train, again) and not np.array_equal(train, other)


def test_the_plan_seeds_repeat_1_with_the_config_seed_and_derives_the_rest():
    cfg = load_config(CONFIGS / "smoke.yaml", ["evaluation.n_splits=4", "evaluation.repeats=3", "seed=5"])
    runs = plan(cfg, Y)
    assert [(s.repeat, s.fold) for s in runs] == [(r, f) for r in (1, 2, 3) for f in (1, 2, 3, 4)]
    assert [repeat_seed(5, r) for r in (1, 2, 3)] == [5, derive_seed(5, 0, 2), derive_seed(5, 0, 3)]
    for split in runs:
        assert split.split_seed == repeat_seed(5, split.repeat)
        assert split.model_seed == derive_seed(split.split_seed, split.fold)
        assert not set(split.train) & set(split.test) and len(split.train) + len(split.test) == 40
    for repeat in (1, 2, 3):  # each repeat's test parts cover every row once, in other folds each time
        tests = [s.test for s in runs if s.repeat == repeat]
        assert sorted(np.concatenate(tests).tolist()) == list(range(40))
    assert not np.array_equal(runs[0].test, runs[4].test)
    assert len({s.model_seed for s in runs}) == 12


def test_derived_seeds_are_32_bit_and_depend_on_every_key():
    seeds = {derive_seed(7, *keys) for keys in [(), (1,), (2,), (1, 2), (2, 1)]}
    assert len(seeds) == 5 and all(0 <= s < 2**32 for s in seeds)
    assert derive_seed(7, 1) == derive_seed(7, 1) != derive_seed(8, 1)


def test_the_validation_split_is_seeded_and_stratified():
    train = np.arange(0, 40, 1)
    a = validation_split(train, Y, 0.2, stopping_seed(5))
    b = validation_split(train, Y, 0.2, stopping_seed(5))
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert np.bincount(Y[a[1]]).tolist() == [6, 2]


def test_the_validation_rows_come_from_the_training_rows_only():
    train = np.arange(0, 40, 2)  # every other row: the rest are a test part
    fit, val = validation_split(train, Y, 0.25, stopping_seed(3))
    assert set(fit) | set(val) == set(train) and not set(fit) & set(val)
    assert len(val) == 5 and set(Y[val]) == {0, 1}
