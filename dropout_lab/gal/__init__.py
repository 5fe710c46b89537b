"""Gal & Ghahramani's UCI regression benchmark ("Dropout as a Bayesian Approximation",
ICML 2016): its protocol on the fixed splits, and the published figures judged.

- :mod:`.grid`: the grid's cells, the weight decay each sets, the validation part, the choice;
- :mod:`.scores`: MC RMSE and the test log-likelihood (log-sum-exp over the passes);
- :mod:`.verdict`: the published figures and the rule that judges a measured one;
- :mod:`.config`: a protocol config (``configs/gal_uci/*.yaml``);
- :mod:`.train`: the networks trained as one stacked program and scored by MC dropout;
- :mod:`.protocol`: the protocol on one set, and its results folder;
- :mod:`.table`: the reproduction table over the results folders;
- ``python -m dropout_lab.gal``: the command (``make reproduce-regression``).
"""

from .config import GalProtocol, load_protocol
from .grid import best_cell, cells, validation_cut, weight_decay
from .scores import StreamingLogLik, mc_log_likelihood, mc_rmse, mean_and_se
from .verdict import PUBLISHED, Verdict, judge

__all__ = [
    "PUBLISHED", "GalProtocol", "StreamingLogLik", "Verdict", "best_cell", "cells", "judge", "load_protocol",
    "mc_log_likelihood", "mc_rmse", "mean_and_se", "validation_cut", "weight_decay",
]
