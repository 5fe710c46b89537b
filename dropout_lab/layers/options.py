"""Options several layer kinds share: window sizes, padding, the kernel regularizer and
max-norm, as config value types and as the Keras objects they build."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import model_serializer

from ..types import NonNegativeFloat, Section, choice, expect, is_int

PADDINGS = ("valid", "same")


def _positive_int(v) -> bool:
    return is_int(v) and v >= 1


def _size(dims: int):
    """An integer >= 1, or (for 2-D windows) a list of ``dims`` of them."""
    if dims == 1:
        return Annotated[int, expect("an integer >= 1", _positive_int)]
    return Annotated[
        int | list[int],
        expect(f"an integer >= 1 or a list of {dims} integers >= 1",
               lambda v: _positive_int(v) or (isinstance(v, list) and len(v) == dims and all(map(_positive_int, v)))),
    ]


Size1D = _size(1)
Size2D = _size(2)
OptionalSize1D = Annotated[
    int | None, expect("an integer >= 1 or null", lambda v: v is None or _positive_int(v))]
OptionalSize2D = Annotated[
    int | list[int] | None,
    expect("an integer >= 1, a list of 2 integers >= 1, or null",
           lambda v: v is None or _positive_int(v) or (isinstance(v, list) and len(v) == 2
                                                        and all(map(_positive_int, v)))),
]
Padding = Annotated[str, choice(PADDINGS)]


def keras_size(size):
    """A window size as a Keras argument: a list becomes a tuple."""
    return tuple(size) if isinstance(size, list) else size


def as_tuple(size, dims: int) -> tuple[int, ...] | None:
    """A window size as Keras normalizes it: ``3`` -> ``(3, 3)`` for 2-D; None stays None."""
    if size is None:
        return None
    return tuple(size) if isinstance(size, list) else (size,) * dims


def window_output(spatial: tuple[int, ...], window, strides, padding: str) -> tuple[int, ...]:
    """The output lengths of a convolution or pooling window sliding over ``spatial`` (as Keras
    computes them): ``valid``: (n - window) // stride + 1; ``same``: ceil(n / stride).
    ``strides`` None means the window (pooling's default)."""
    dims = len(spatial)
    window = as_tuple(window, dims)
    strides = as_tuple(strides, dims) or window
    if padding == "same":
        return tuple(-(-n // s) for n, s in zip(spatial, strides, strict=True))
    return tuple((n - w) // s + 1 for n, w, s in zip(spatial, window, strides, strict=True))


class KernelRegularizer(Section):
    """``keras.regularizers.L1L2`` on a layer's kernel: ``l1 * sum(|w|) + l2 * sum(w**2)``
    is added to the training loss (Keras adds every layer's penalty to the compiled loss)."""

    l1: NonNegativeFloat = 0.0
    """Factor of the L1 penalty l1 * sum(|w|)."""
    l2: NonNegativeFloat = 0.0
    """Factor of the L2 penalty l2 * sum(w**2)."""


class LayerSpec(Section):
    """Base of layer kinds: options added after configs were first hashed (listed in
    ``_OMITTED_WHEN_UNSET``) are not written while they are unset, so a config that does
    not use them resolves to the same text and hash as before they existed."""

    _OMITTED_WHEN_UNSET: ClassVar[tuple[str, ...]] = ("kernel_regularizer",)

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler) -> Any:
        data = handler(self)
        for key in self._OMITTED_WHEN_UNSET:
            if isinstance(data, dict) and key in data and data[key] is None:
                del data[key]
        return data


def kernel_regularizer(spec: KernelRegularizer | None):
    import keras

    return None if spec is None else keras.regularizers.L1L2(l1=spec.l1, l2=spec.l2)


def max_norm(value: float | None, axis: int | list[int] = 0):
    """``keras.constraints.MaxNorm``: each unit's (or filter's) incoming weights, over ``axis``."""
    import keras

    return None if value is None else keras.constraints.MaxNorm(max_value=value, axis=axis)
