"""How the Ray executor hands units to its warm actors (no cluster: the cut is pure).

A stacking engine's units are cut into one share per actor, balanced by splits x epochs, so
each actor trains one program per architecture; every other unit is a call of its own."""

import pytest

from dropout_lab.config import load_config
from dropout_lab.executors import Unit
from dropout_lab.executors.ray_executor import _calls
from dropout_lab.splits import Split

from .conftest import CONFIGS


def _unit(index, engine, n_splits, epochs):
    cfg = load_config(CONFIGS / "smoke.yaml", [f"training.engine={engine}", f"training.epochs={epochs}"])
    splits = tuple(Split(1, k, 1, k, (), ()) for k in range(1, n_splits + 1))
    return Unit(index, index, cfg, "sonar", splits)


@pytest.mark.parametrize("workers, fused, expected", [
    # (splits, epochs) of each fused unit -> the unit indices of each actor's share
    (2, [(3, 10), (3, 10), (3, 10), (3, 10)], [[0, 2], [1, 3]]),
    (2, [(6, 10), (1, 10), (1, 10), (1, 10)], [[0], [1, 2, 3]]),
    (3, [(3, 10), (3, 30)], [[1], [0]]),  # never more shares than units; the heaviest first
    (1, [(2, 5), (2, 5)], [[0, 1]]),
])
def test_fused_units_are_cut_into_one_balanced_share_per_actor(workers, fused, expected):
    units = [_unit(i, "fused", n, epochs) for i, (n, epochs) in enumerate(fused)]
    assert [[unit.index for unit in call] for call in _calls(units, workers)] == expected


def test_every_other_unit_is_a_call_of_its_own_after_the_shares():
    units = [_unit(0, "scikeras", 3, 2), _unit(1, "fused", 3, 2), _unit(2, "scikeras", 3, 2), _unit(3, "fused", 3, 2)]
    assert [[unit.index for unit in call] for call in _calls(units, 2)] == [[1], [3], [0], [2]]
