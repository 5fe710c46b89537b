"""Layer kinds: each kind's config schema and Keras builder live together (see ``registry``).

Importing this package registers the built-in kinds.  Adding a kind touches one place: a
module here that defines its schema and registers its builder, imported below.
"""

from . import core  # noqa: F401  (registers dense, dropout)
from .core import DenseLayer, DropoutLayer
from .registry import LAYERS, LayerKind, build_layer, parameter_count, register

__all__ = ["LAYERS", "DenseLayer", "DropoutLayer", "LayerKind", "build_layer", "parameter_count", "register"]
