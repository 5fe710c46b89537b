"""Shapes checked before training: every layer of a config must be able to follow the one
before it, on the data's ``input_shape``.

:func:`check_shapes` walks ``model.layers`` from one sample's shape.  Each layer kind says
what it needs (``needs`` in the layer registry: a flat vector, a sequence, an image, or any
shape); a window (``kernel_size``, ``pool_size``) must fit its input unless ``padding:
same``; the output shape comes from the Keras layer itself (``compute_output_shape``).
A layer that cannot follow is one :class:`ConfigError` naming ``model.layers[i]``, what it
needs and the shape it would get (one line; wrapped here)::

    configs/a.yaml: model.layers[2] (conv2d) needs an image (rows, cols, channels);
    got (64,) from model.layers[1] (flatten)
"""

from __future__ import annotations

from ..errors import ConfigError
from ..layers import FLAT, LAYERS, build_layer
from ..layers.options import as_tuple
from ..render import format_shape

__all__ = ["check_shapes"]


def check_shapes(cfg, input_shape: tuple[int, ...] | int, source=None) -> list[tuple[int, ...]]:
    """Each layer's output shape (one sample's, without the batch axis), in order.

    ``cfg`` is an :class:`~dropout_lab.config.Experiment` or its ``model`` section;
    ``input_shape`` one sample's shape (an int: flat features).  Raises
    :class:`ConfigError` (prefixed by ``source``: a path, or a function of a key path
    that names where the value was written, as ``load_config_sourced`` returns) at the
    first layer that cannot take the shape it would get.
    """
    model = getattr(cfg, "model", cfg)
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(int(n) for n in input_shape)
    came_from, shapes = "the input", []
    for i, spec in enumerate(model.layers):
        where = f"model.layers[{i}] ({spec.type})"
        problem = _needs(spec, shape) or _window(spec, shape)
        out = None
        if problem is None:
            out, problem = _output_shape(spec, shape)
        if problem is not None:
            what, hint = problem
            prefix = "" if source is None else f"{source(['model', 'layers', i]) if callable(source) else source}: "
            raise ConfigError(f"{prefix}{where} {what}; got {format_shape(shape)} from {came_from}{hint}")
        shapes.append(out)
        shape, came_from = out, where
    return shapes


def _needs(spec, shape: tuple[int, ...]) -> tuple[str, str] | None:
    """(what the layer needs, a hint) when ``shape`` has another number of axes."""
    needs = LAYERS[spec.type].needs
    if needs is None or len(shape) == len(needs.axes):
        return None
    hint = "; put a flatten (or a global average pooling) layer before it" if needs is FLAT else ""
    return f"needs {needs.describe()}", hint


def _window(spec, shape: tuple[int, ...]) -> tuple[str, str] | None:
    """A ``kernel_size`` or ``pool_size`` larger than its input, with ``padding: valid``."""
    if getattr(spec, "padding", "same") != "valid":
        return None
    key = "kernel_size" if hasattr(spec, "kernel_size") else "pool_size"
    spatial = shape[:-1]
    window = as_tuple(getattr(spec, key, None), len(spatial))
    if window is None or all(n >= w for n, w in zip(spatial, window, strict=True)):
        return None
    size = "x".join(map(str, window))
    hint = f"; use a smaller {key} or padding: same"
    if key == "kernel_size":
        return f"has kernel_size {size}, larger than its input (padding: valid)", hint
    below = "the map below 1x1" if len(spatial) == 2 else "the sequence below 1 step"
    return f"would shrink {below}: pool_size {size} needs at least {size} (padding: valid)", hint


def _output_shape(spec, shape: tuple[int, ...]) -> tuple[tuple[int, ...] | None, tuple[str, str] | None]:
    """(the Keras layer's output shape, None), or (None, (what is wrong, ""))."""
    try:
        out = build_layer(spec).compute_output_shape((None, *shape))
    except (ValueError, TypeError) as exc:
        return None, (f"cannot take this input ({str(exc).splitlines()[0]})", "")
    out = tuple(out[1:])
    if any(n is None or n < 1 for n in out):
        return None, (f"would output {format_shape(out)}", "")
    return tuple(int(n) for n in out), None
