"""Experiment configuration: one typed schema, validated in one place.

``load_config(path, overrides)`` reads a YAML file, follows its ``extends`` chain,
applies ``--set`` overrides and validates the result.  Every error names the file,
the key path, what was expected and what was received::

    configs/a.yaml: model.layers[1].rate must be a float in [0, 1); got 1.5

A config may also declare a ``sweep``: key paths (the ``--set`` syntax) mapped to lists
of values.  The schema checks its shape; ``load_config(path, overrides, cell=...)`` loads
one cell of it (see ``sweep``).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .errors import ConfigError

ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear", "elu", "selu", "softplus", "swish")
INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal")
LOSSES = ("binary_crossentropy",)
ENGINES = ("scikeras", "fused")


# --- value types: each states what it expects, so type and range errors read alike ---

def _expect(expected: str, check) -> PlainValidator:
    def validate(value):
        if not check(value):
            raise PydanticCustomError("expected", "must be {expected}", {"expected": expected})
        return value

    return PlainValidator(validate)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_float(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _choice(names: tuple[str, ...]) -> PlainValidator:
    def validate(value):
        if value not in names:
            hint = _did_you_mean(value, names)
            raise PydanticCustomError(
                "expected", "must be {expected}", {"expected": f"one of: {', '.join(names)}{hint}"}
            )
        return value

    return PlainValidator(validate)


Rate = Annotated[float, _expect("a float in [0, 1)", lambda v: _is_float(v) and 0 <= v < 1)]
PositiveFloat = Annotated[float, _expect("a float > 0", lambda v: _is_float(v) and v > 0)]
NonNegativeFloat = Annotated[float, _expect("a float >= 0", lambda v: _is_float(v) and v >= 0)]
PositiveInt = Annotated[int, _expect("an integer >= 1", lambda v: _is_int(v) and v >= 1)]
Int = Annotated[int, _expect("an integer", _is_int)]
Bool = Annotated[bool, _expect("true or false", lambda v: isinstance(v, bool))]
Text = Annotated[str, _expect("a string", lambda v: isinstance(v, str))]
# '=' and ',' for sweep cells, which are named after their values: rate=0.2,max_norm=3
Name = Annotated[
    str,
    _expect(
        "a name of letters, digits, '_', '-', '.', '=' or ','",
        lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.=,-]*", v) is not None,
    ),
]
Activation = Annotated[str, _choice(ACTIVATIONS)]
Initializer = Annotated[str, _choice(INITIALIZERS)]
Loss = Annotated[str, _choice(LOSSES)]


class _Section(BaseModel):
    """A config section: frozen, and unknown keys are errors that list the known ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
                        {"key": str(key), "hint": _did_you_mean(key, known), "valid": ", ".join(known)},
                    )
        return data


# --- data ---

class SonarData(_Section):
    dataset: Literal["sonar"]


class CirclesData(_Section):
    dataset: Literal["circles"]
    n_samples: Annotated[int, _expect("an integer >= 4", lambda v: _is_int(v) and v >= 4)] = 100
    noise: NonNegativeFloat = 0.1
    random_state: Int = 1


class CsvData(_Section):
    dataset: Literal["csv"]
    path: Text
    label_column: Annotated[
        str | int | None,
        _expect("a column name, a column index, or null (last column)",
                lambda v: v is None or isinstance(v, str) or _is_int(v)),
    ] = None
    header: Bool = True
    positive_label: Annotated[
        str | int | None,
        _expect("a label value or null", lambda v: v is None or isinstance(v, str) or _is_int(v)),
    ] = None


DataConfig = Annotated[SonarData | CirclesData | CsvData, Field(discriminator="dataset")]


# --- model ---

class DenseLayer(_Section):
    type: Literal["dense"]
    units: PositiveInt
    activation: Activation = "relu"
    max_norm: Annotated[
        float | None, _expect("a float > 0 or null", lambda v: v is None or (_is_float(v) and v > 0))
    ] = None
    kernel_initializer: Initializer = "glorot_uniform"


class DropoutLayer(_Section):
    type: Literal["dropout"]
    rate: Rate


Layer = Annotated[DenseLayer | DropoutLayer, Field(discriminator="type")]


class ModelConfig(_Section):
    layers: list[Layer]

    @field_validator("layers")
    @classmethod
    def _binary_output(cls, layers: list) -> list:
        last = layers[-1] if layers else None
        if not (isinstance(last, DenseLayer) and last.units == 1 and last.activation == "sigmoid"):
            got = "an empty list" if last is None else f"a last layer {last.model_dump()}"
            raise PydanticCustomError(
                "expected_output",
                "must end in the binary output layer (type: dense, units: 1, activation: sigmoid); got {got}",
                {"got": got},
            )
        return layers


# --- training ---

class SGDConfig(_Section):
    name: Literal["sgd"]
    learning_rate: PositiveFloat = 0.01
    momentum: Annotated[float, _expect("a float in [0, 1]", lambda v: _is_float(v) and 0 <= v <= 1)] = 0.0
    nesterov: Bool = False


class AdamConfig(_Section):
    name: Literal["adam"]
    learning_rate: PositiveFloat = 0.001
    beta_1: Rate = 0.9
    beta_2: Rate = 0.999
    epsilon: PositiveFloat = 1e-7


class RMSpropConfig(_Section):
    name: Literal["rmsprop"]
    learning_rate: PositiveFloat = 0.001
    rho: Rate = 0.9
    momentum: Rate = 0.0


OptimizerConfig = Annotated[SGDConfig | AdamConfig | RMSpropConfig, Field(discriminator="name")]


class TrainingConfig(_Section):
    optimizer: OptimizerConfig
    loss: Loss = "binary_crossentropy"
    epochs: PositiveInt
    batch_size: PositiveInt
    engine: Annotated[str, _choice(ENGINES)] = "scikeras"


# --- evaluation ---

class _Protocol(_Section):
    protocol: str
    standardize: Bool = True
    repeats: PositiveInt = 1


class KFoldConfig(_Protocol):
    """Stratified k-fold; ``history: true`` also records each fold's per-epoch curves."""

    protocol: Literal["kfold"] = "kfold"
    n_splits: Annotated[int, _expect("an integer >= 2", lambda v: _is_int(v) and v >= 2)] = 10
    shuffle: Bool = True
    history: Bool = False


class HoldoutConfig(_Protocol):
    """One train/test split: the first ``n_train`` rows (or a fraction) train, the rest test."""

    protocol: Literal["holdout"]
    n_train: Annotated[
        int | None, _expect("an integer >= 1 or null", lambda v: v is None or (_is_int(v) and v >= 1))
    ] = None
    train_fraction: Annotated[
        float | None, _expect("a float in (0, 1) or null", lambda v: v is None or (_is_float(v) and 0 < v < 1))
    ] = None
    shuffle: Bool = False
    history: Bool = True

    @model_validator(mode="after")
    def _one_size(self) -> HoldoutConfig:
        if (self.n_train is None) == (self.train_fraction is None):
            raise PydanticCustomError(
                "expected_output", "needs exactly one of n_train and train_fraction; got {got}",
                {"got": "both" if self.n_train is not None else "neither"},
            )
        return self

    def train_size(self, n_rows: int) -> int:
        return self.n_train if self.n_train is not None else round(self.train_fraction * n_rows)


EvaluationConfig = Annotated[KFoldConfig | HoldoutConfig, Field(discriminator="protocol")]


# --- sweep ---

# keys a sweep may not vary: cells are named by the sweep, and share the seed so that
# every cell is evaluated on the same folds
_UNSWEPT = {"name": "the cells are named after their values",
            "seed": "every cell keeps the base seed, so that all cells are evaluated on the same folds",
            "sweep": "a cell has no sweep of its own"}


def sweep_problem(spec: Any) -> str | None:
    """What is wrong with a ``sweep`` mapping, in the project's words; None if nothing.

    It must map key paths (``model.layers[1].rate``) to non-empty lists of distinct
    values, and no key path may lie inside another (``model.layers[1]`` and
    ``model.layers[1].rate``).  Whether each path exists is checked per cell, on the config.
    """
    if not isinstance(spec, dict) or not spec:
        got = "an empty mapping" if spec == {} else f"{_kind(spec)} {spec!r}"
        return ('sweep must be a mapping of key paths to lists of values, '
                f'e.g. {{"model.layers[1].rate": [0.1, 0.2]}}; got {got}')
    seen: dict[str, list] = {}
    for key, values in spec.items():
        where = sweep_label(key)
        tokens = parse_key_path(key) if isinstance(key, str) else None
        if tokens is None:
            return f"{where}: not a dotted key path such as model.layers[1].rate"
        if tokens[0] in _UNSWEPT:
            return f"{where} cannot be swept: {_UNSWEPT[tokens[0]]}"
        if not isinstance(values, list) or not values:
            return f"{where} must be a non-empty list of values; got {_kind(values)} {values!r}"
        texts = [json.dumps(v, sort_keys=True) for v in values]
        for value, text in zip(values, texts, strict=True):
            if texts.count(text) > 1:
                return f"{where} lists the value {value!r} more than once"
        for other, other_tokens in seen.items():
            short, long = sorted((tokens, other_tokens), key=len)
            if long[: len(short)] == short:
                return f"{where} overlaps {sweep_label(other)}: sweep one or the other"
        seen[key] = tokens
    return None


def sweep_label(key: Any) -> str:
    """How errors name a swept key: ``sweep["model.layers[1].rate"]``."""
    shown = json.dumps(key) if isinstance(key, str) else repr(key)
    return f"sweep[{shown}]"


def _check_sweep(spec: Any) -> Any:
    problem = None if spec is None else sweep_problem(spec)
    if problem:
        raise PydanticCustomError("sweep", "{text}", {"text": problem})
    return spec


class Experiment(_Section):
    name: Name
    description: Text = ""
    seed: Int = 7
    data: DataConfig
    model: ModelConfig
    training: TrainingConfig
    evaluation: EvaluationConfig = KFoldConfig()
    sweep: Annotated[dict[str, list] | None, PlainValidator(_check_sweep)] = None

    @model_validator(mode="before")
    @classmethod
    def _default_protocol(cls, data: Any) -> Any:
        evaluation = data.get("evaluation") if isinstance(data, dict) else None
        if isinstance(evaluation, dict) and "protocol" not in evaluation:
            data = {**data, "evaluation": {"protocol": "kfold", **evaluation}}
        return data

    def to_dict(self) -> dict:
        """The fully resolved config as plain data: what ``config.yaml`` holds.

        Without a sweep there is no ``sweep`` key, so configs hash as they did before sweeps.
        """
        return self.model_dump(mode="json", exclude={"sweep"} if self.sweep is None else None)

    def config_hash(self) -> str:
        """SHA-256 of the resolved config in canonical JSON."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


# --- loading ---

def load_config(
    path: str | Path, overrides: list[str] | tuple[str, ...] = (), cell: dict[str, Any] | None = None
) -> Experiment:
    """Read, merge (``extends``), override (``--set KEY=VALUE``) and validate one config.

    ``cell``, for one cell of a sweep: key paths and values set after the overrides, the
    way ``--set`` sets them; the config's own ``sweep`` is dropped.  A path that does not
    exist is an error naming it as ``sweep["KEY"]``.
    """
    path = Path(path)
    chain: list[tuple[Path, dict]] = []
    data = _read_chain(path, (), chain)
    data.setdefault("name", path.stem)
    for item in overrides:
        _apply_override(data, item, path)
    if cell is not None:
        data.pop("sweep", None)
        for key, value in cell.items():
            _assign(data, parse_key_path(key), copy.deepcopy(value), f"{path}: {sweep_label(key)}")
    _resolve_paths(data, path.parent)
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(_format_error(_origin(err, path, chain, overrides, cell or {}), err)) from None


def dump_config(cfg: Experiment) -> str:
    """The resolved config as YAML text; ``load_config`` reads it back to an equal config."""
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False)


def check_against_data(cfg: Experiment, y, source: str | Path) -> None:
    """Checks that need the data: k-fold needs every class in every fold; holdout needs a test part."""
    ev = cfg.evaluation
    if isinstance(ev, HoldoutConfig):
        n_train = ev.train_size(len(y))
        if not 1 <= n_train < len(y):
            key, value = ("n_train", ev.n_train) if ev.n_train is not None else ("train_fraction", ev.train_fraction)
            raise ConfigError(
                f"{source}: evaluation.{key} must leave rows to train on and to test on "
                f"(1 to {len(y) - 1} of {len(y)} rows); got {value}"
            )
        return
    smallest = int(min((y == label).sum() for label in set(y.tolist())))
    if ev.n_splits > smallest:
        raise ConfigError(
            f"{source}: evaluation.n_splits must be an integer in [2, {smallest}] "
            f"(the smallest class has {smallest} rows); got {cfg.evaluation.n_splits}"
        )


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice in one mapping is an error, not "last wins"."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: malformed YAML{where}: {problem}") from None
    if data is None:
        raise ConfigError(f"{path}: the file is empty; expected a mapping of config keys")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of config keys; got {_kind(data)}")
    return data


def _read_chain(path: Path, seen: tuple[Path, ...], chain: list[tuple[Path, dict]]) -> dict:
    """The merged config of ``path`` and its ``extends`` ancestors; ``chain`` collects each
    file's own data, child first, to tell later which file an error comes from."""
    resolved = path.resolve()
    if resolved in seen:
        cycle = " -> ".join(str(p) for p in (*seen, resolved))
        raise ConfigError(f"{path}: extends forms a cycle: {cycle}")
    data = _read_yaml(path)
    chain.append((path, data))
    data = dict(data)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends must be a path to a config file; got {parent!r}")
    parent_path = path.parent / parent
    if not parent_path.is_file():
        raise ConfigError(f"{path}: extends names {parent!r}, but {parent_path} does not exist")
    base = _read_chain(parent_path, (*seen, resolved), chain)
    base.pop("name", None)  # a name belongs to its own file
    if "sweep" in data:
        base.pop("sweep", None)  # a sweep replaces the inherited one whole; `sweep: null` drops it
    return _merge(base, data)


def _merge(base: dict, child: dict) -> dict:
    """Deep-merge mappings; the child's lists and scalars replace the base's.

    A mapping whose tag differs (another dataset, optimizer or protocol) replaces the
    base's whole: an SGD momentum must not leak into an Adam optimizer.
    """
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not _other_kind(out[key], value):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _origin(err: dict, path: Path, chain: list[tuple[Path, dict]], overrides, cell: dict) -> str:
    """Where the value an error is about was written: a sweep cell (reported as ``path``,
    which holds the sweep), a ``--set``, or the file of the ``extends`` chain nearest to
    ``path`` that sets it."""
    loc = _clean_loc(err)

    def hits(tokens):
        return loc[: len(tokens)] == tokens or tokens[: len(loc)] == loc

    if any(hits(parse_key_path(key)) for key in cell):
        return str(path)
    for item in reversed(list(overrides)):
        if hits(parse_override(item)[0]):
            return f"{path} (--set {item})"
    for source, data in chain:
        if loc and _sets(data, loc):
            return str(source)
    return str(path)


def _sets(data, loc: list) -> bool:
    node = data
    for token in loc:
        if isinstance(node, list) and isinstance(token, int) and token < len(node):
            return True  # a list is replaced whole: the file that has it set all of it
        if not isinstance(node, dict) or token not in node:
            return False
        node = node[token]
    return True


def _plain_loc(err: dict) -> list:
    """An error's location without the union tags pydantic puts into it."""
    return [part for part in err["loc"] if not isinstance(part, str) or part not in _UNION_TAGS]


def _clean_loc(err: dict) -> list:
    loc = _plain_loc(err)
    if err["type"] == "unknown_key":
        loc.append(err["ctx"]["key"])
    if err["type"] == "union_tag_invalid":
        loc.append(err["ctx"]["discriminator"].strip("'"))
    return loc


def _other_kind(base: dict, child: dict) -> bool:
    return any(tag in child and child[tag] != base.get(tag, child[tag]) for tag in _TAGS)


_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def parse_key_path(key: str) -> list[str | int] | None:
    """``model.layers[1].rate`` -> ``["model", "layers", 1, "rate"]``; None if it is not a key path."""
    tokens: list[str | int] = []
    pos = 0
    while pos < len(key):
        if tokens and key[pos] == "." and not key.startswith("[", pos + 1):
            pos += 1
        match = _TOKEN.match(key, pos)
        if not match or (match.group(1) and tokens and key[pos - 1] != "."):
            return None
        tokens.append(match.group(1) if match.group(1) else int(match.group(2)))
        pos = match.end()
    return tokens if tokens and isinstance(tokens[0], str) else None


def parse_override(item: str) -> tuple[list[str | int], Any]:
    """``KEY=VALUE`` -> (key path tokens, value parsed as YAML); errors say what is wrong."""
    key, sep, raw = item.partition("=")
    tokens = parse_key_path(key.strip()) if sep else None
    if tokens is None:
        raise ConfigError(
            f"--set {item!r}: expected KEY=VALUE with a dotted key path, "
            f"e.g. training.epochs=5 or model.layers[1].rate=0.3"
        )
    try:
        return tokens, (yaml.load(raw, Loader=_StrictLoader) if raw.strip() else None)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"--set {item!r}: the value is not valid YAML ({problem}); quote text values") from None


def _apply_override(data: dict, item: str, path: Path) -> None:
    try:
        tokens, value = parse_override(item)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    _assign(data, tokens, value, f"{path}: --set {item!r}")


def _assign(data: dict, tokens: list[str | int], value: Any, label: str) -> None:
    """Set the value at a key path; ``label`` starts the error when a list item or mapping is missing."""
    node: Any = data
    for depth, token in enumerate(tokens[:-1]):
        where = _format_loc(tokens[: depth + 1])
        if isinstance(token, int):
            if not isinstance(node, list) or token >= len(node):
                raise ConfigError(f"{label}: {where} does not exist")
            node = node[token]
        else:
            if not isinstance(node, dict):
                raise ConfigError(f"{label}: {_format_loc(tokens[:depth])} is not a mapping")
            node = node.setdefault(token, {})
    last = tokens[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ConfigError(f"{label}: {_format_loc(tokens)} does not exist")
    elif not isinstance(node, dict):
        raise ConfigError(f"{label}: {_format_loc(tokens[:-1])} is not a mapping")
    node[last] = value


def _resolve_paths(data: dict, base_dir: Path) -> None:
    """A CSV path in a config is relative to the config file; store it absolute."""
    section = data.get("data")
    if isinstance(section, dict) and section.get("dataset") == "csv" and isinstance(section.get("path"), str):
        section["path"] = str((base_dir / section["path"]).resolve())


def _format_loc(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _format_error(path: Path | str, err: dict) -> str:
    loc = _plain_loc(err)
    kind, ctx, value = err["type"], err.get("ctx", {}), err.get("input")
    if kind == "unknown_key":
        return f"{path}: {_format_loc([*loc, ctx['key']])} {err['msg']}"
    if kind == "missing":
        return f"{path}: {_format_loc(loc)} is required"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = ctx.get("discriminator", "").strip("'")
        tags = _TAGS[field]
        if kind == "union_tag_not_found":
            return f"{path}: {_format_loc([*loc, field])} is required; expected one of: {', '.join(tags)}"
        tag = ctx.get("tag")
        hint = _did_you_mean(tag, tags)
        return f"{path}: {_format_loc([*loc, field])} must be one of: {', '.join(tags)}{hint}; got {tag!r}"
    if kind == "model_attributes_type" or kind == "dict_type" or kind == "model_type":
        return f"{path}: {_format_loc(loc)} must be a mapping of keys; got {_kind(value)} {value!r}"
    if kind == "list_type":
        return f"{path}: {_format_loc(loc)} must be a list; got {_kind(value)} {value!r}"
    if kind == "expected":
        return f"{path}: {_format_loc(loc)} {err['msg']}; got {value!r}"
    if kind == "expected_output":
        return f"{path}: {_format_loc(loc)} {err['msg']}"
    if kind == "sweep":
        return f"{path}: {err['msg']}"
    return f"{path}: {_format_loc(loc)}: {err['msg']}; got {value!r}"


def _tags(union, field: str) -> tuple[str, ...]:
    members = typing.get_args(typing.get_args(union)[0])
    return tuple(typing.get_args(member.model_fields[field].annotation)[0] for member in members)


# each tagged union's discriminator key and its tags; pydantic puts the chosen tag
# into an error's location, where it is dropped again
_TAGS = {
    "dataset": _tags(DataConfig, "dataset"),
    "type": _tags(Layer, "type"),
    "name": _tags(OptimizerConfig, "name"),
    "protocol": _tags(EvaluationConfig, "protocol"),
}
_UNION_TAGS = {tag for tags in _TAGS.values() for tag in tags}


def _did_you_mean(word, options) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _kind(value) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a float", type(None): "null"}.get(type(value), type(value).__name__)
