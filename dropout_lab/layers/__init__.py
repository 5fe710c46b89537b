"""Layer kinds: each kind's config schema and Keras builder live together (see ``registry``).

Importing this package registers the built-in kinds, in the order configs list them.
Adding a kind touches one place: a module here that defines its schema and registers its
builder, imported below.
"""

from . import core, noise, conv, pooling, shape, recurrent, normalization  # noqa: F401, I001  (registers the kinds, in this order)
from .core import DenseLayer, DropoutLayer
from .options import KernelRegularizer, LayerSpec
from .registry import (
    FLAT, IMAGE, LAYERS, SEQUENCE, LayerKind, Needs, build_layer, kinds_with, parameter_count, register,
)

__all__ = [
    "FLAT", "IMAGE", "LAYERS", "SEQUENCE", "DenseLayer", "DropoutLayer", "KernelRegularizer", "LayerKind",
    "LayerSpec", "Needs", "build_layer", "kinds_with", "parameter_count", "register",
]
