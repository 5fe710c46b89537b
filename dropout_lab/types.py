"""Value types of the config schema: each states what it expects, so that type and
range errors read alike (``must be a float in [0, 1); got 1.5``).

A constraint (:class:`Expect`, :class:`Choice`) checks a value, writes its own message and
describes itself to the generated docs and the JSON Schema; :class:`Section` is the base of
every config section (frozen, unknown keys are errors that list the known ones).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear", "elu", "selu", "softplus", "swish", "softmax")
INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal")


@dataclasses.dataclass(frozen=True)
class Expect:
    """A constraint on a config value: it checks the value, writes its own message
    (``must be {expected}``) and describes itself, to the docs (``expected``) and to the
    JSON Schema for editors (the annotated type's schema plus ``json_schema``'s keywords)."""

    expected: str
    check: Callable[[Any], bool]
    json_schema: tuple[tuple[str, Any], ...] = ()

    def validate(self, value):
        if not self.check(value):
            raise PydanticCustomError("expected", "must be {expected}", {"expected": self.expected})
        return value

    def __get_pydantic_core_schema__(self, source, handler):
        validator = PlainValidator(self.validate, json_schema_input_type=source)
        return validator.__get_pydantic_core_schema__(source, handler)

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema.update({key: list(value) if isinstance(value, tuple) else value for key, value in self.json_schema})
        return schema


def expect(expected: str, check, **json_schema) -> Expect:
    """A validator that accepts a value when ``check(value)`` holds, else says ``must be {expected}``;
    ``json_schema``: JSON Schema keywords that say the same to an editor (``minimum=0``...)."""
    return Expect(expected, check, tuple(json_schema.items()))


def is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_float(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclasses.dataclass(frozen=True)
class Choice(Expect):
    """One of ``names``: the message lists them and suggests the closest."""

    names: tuple[str, ...] = ()

    def validate(self, value):
        if value not in self.names:
            hint = did_you_mean(value, self.names)
            raise PydanticCustomError(
                "expected", "must be {expected}", {"expected": f"{self.expected}{hint}"}
            )
        return value


def choice(names: tuple[str, ...]) -> Choice:
    """A validator for one of ``names``; the message lists them and suggests the closest."""
    return Choice(f"one of: {', '.join(names)}", lambda v: v in names, (("enum", tuple(names)),), tuple(names))


Rate = Annotated[float, expect("a float in [0, 1)", lambda v: is_float(v) and 0 <= v < 1,
                               minimum=0, exclusiveMaximum=1)]
PositiveFloat = Annotated[float, expect("a float > 0", lambda v: is_float(v) and v > 0, exclusiveMinimum=0)]
NonNegativeFloat = Annotated[float, expect("a float >= 0", lambda v: is_float(v) and v >= 0, minimum=0)]
PositiveInt = Annotated[int, expect("an integer >= 1", lambda v: is_int(v) and v >= 1, minimum=1)]
Int = Annotated[int, expect("an integer", is_int)]
# what numpy, scikit-learn and Keras accept as a seed
Seed = Annotated[int, expect("an integer in [0, 4294967295]", lambda v: is_int(v) and 0 <= v <= 2**32 - 1,
                             minimum=0, maximum=2**32 - 1)]
Bool = Annotated[bool, expect("true or false", lambda v: isinstance(v, bool))]
Text = Annotated[str, expect("a string", lambda v: isinstance(v, str))]
# '=' and ',' for sweep cells, which are named after their values: rate=0.2,max_norm=3
Name = Annotated[
    str,
    expect(
        "a name of letters, digits, '_', '-', '.', '=' or ','",
        lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.=,-]*", v) is not None,
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.=,-]*$",
    ),
]
MaxNorm = Annotated[float | None, expect("a float > 0 or null", lambda v: v is None or (is_float(v) and v > 0))]
Activation = Annotated[str, choice(ACTIVATIONS)]
Initializer = Annotated[str, choice(INITIALIZERS)]


class Section(BaseModel):
    """A config section: frozen, and unknown keys are errors that list the known ones.

    Each key's description is the docstring under it (pydantic's attribute docstrings): the
    generated reference and the JSON Schema show it."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = tuple(cls.model_fields)
            for key in data:
                if key not in known:
                    raise PydanticCustomError(
                        "unknown_key",
                        "is not a known key{hint}; valid keys: {valid}",
                        {"key": str(key), "hint": did_you_mean(key, known), "valid": ", ".join(known)},
                    )
        return data


def did_you_mean(word, options) -> str:
    """`` (did you mean 'x'?)`` for a likely typo of one of ``options``, else ``""``.

    Case and underscores are ignored first (``MaxPooling2D`` -> ``max_pooling2d``); then the
    closest spelling is taken (difflib's ratio >= 0.6).  A word that is an option with more
    words joined by ``_`` (``leaky_relu``) names another thing, not a typo of that option:
    no suggestion then.
    """
    if not isinstance(word, str):
        return ""
    options = list(options)
    folded = {option.lower().replace("_", ""): option for option in options if isinstance(option, str)}
    if word.lower().replace("_", "") in folded:
        close = [folded[word.lower().replace("_", "")]]
    else:
        parts = word.split("_")
        candidates = [o for o in options if not (isinstance(o, str) and o != word and o in parts)]
        close = difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def kind(value) -> str:
    """How messages name a value's type: ``a mapping``, ``a list``, ``an integer``..."""
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a float", type(None): "null"}.get(type(value), type(value).__name__)
