"""Pydantic's validation errors in the project's words: file, key path, expected, received.

pydantic puts the chosen tag of a tagged union into an error's location
(``model.layers.1.dense.units``); :func:`plain_loc` drops it by position, walking the
schema along the location, so that a field whose name happens to equal a tag (an LSTM's
``dropout``) is never dropped.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Annotated, Union

from pydantic import BaseModel, Tag

from ..types import did_you_mean, kind
from .keypath import format_loc
from .schema import TAGS, Experiment


def _unwrap(ann):
    while typing.get_origin(ann) is Annotated:
        ann = typing.get_args(ann)[0]
    return ann


def _union_members(ann) -> dict | None:
    """``{tag: member}`` when ``ann`` is a tagged union, else None: sections tagged by a
    field of theirs, and members marked with ``pydantic.Tag`` (a number or a schedule)."""
    if typing.get_origin(ann) not in (Union, types.UnionType):
        return None
    out = {}
    for arg in typing.get_args(ann):
        marks = [m for m in getattr(arg, "__metadata__", ()) if isinstance(m, Tag)]
        member = _unwrap(arg)
        if marks:
            out[marks[0].tag] = member
        elif isinstance(member, type) and issubclass(member, BaseModel):
            for field in TAGS:
                if field in member.model_fields:
                    out.update({tag: member for tag in typing.get_args(member.model_fields[field].annotation)})
    return out or None


def _child(ann, part):
    ann = _unwrap(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel) and isinstance(part, str) and part in ann.model_fields:
        return _unwrap(ann.model_fields[part].annotation)
    if typing.get_origin(ann) is list and isinstance(part, int):
        return _unwrap(typing.get_args(ann)[0])
    return None


def plain_loc(err: dict) -> list:
    """An error's location without the union tags pydantic puts into it."""
    out, ann, members = [], Experiment, None
    for part in err["loc"]:
        if members is not None and part in members:  # the tag pydantic inserted after a union field
            ann, members = members[part], None
            continue
        out.append(part)
        ann = _child(ann, part) if ann is not None else None
        members = _union_members(ann) if ann is not None else None
    return out


def clean_loc(err: dict) -> list:
    """Where in the config an error is, as key path tokens (the unknown or missing key included)."""
    loc = plain_loc(err)
    if err["type"] == "unknown_key":
        loc.append(err["ctx"]["key"])
    if err["type"] in ("union_tag_invalid", "unknown_tag"):
        loc.append(err["ctx"]["discriminator"].strip("'"))
    return loc


_SHORT_LIST = 8  # longer lists of valid values go at the end of a message


def format_error(path: Path | str, err: dict) -> str:
    """One pydantic error as ``<path>: <key path> must be ...; got ...``."""
    loc = plain_loc(err)
    kind_, ctx, value = err["type"], err.get("ctx", {}), err.get("input")
    if kind_ == "unknown_key":
        return f"{path}: {format_loc([*loc, ctx['key']])} {err['msg']}"
    if kind_ == "missing":
        return f"{path}: {format_loc(loc)} is required"
    # unknown_tag: a callable discriminator's error (a learning rate's schedule), no tag in ctx
    if kind_ in ("union_tag_invalid", "union_tag_not_found", "unknown_tag"):
        field = ctx.get("discriminator", "").strip("'")
        tags = TAGS[field]
        if kind_ == "union_tag_not_found":
            return f"{path}: {format_loc([*loc, field])} is required; expected one of: {', '.join(tags)}"
        if "tag" in ctx:
            tag = ctx["tag"]
        elif isinstance(value, dict) and field in value:
            tag = value[field]
        else:
            return f"{path}: {format_loc([*loc, field])} is required; expected one of: {', '.join(tags)}"
        hint = did_you_mean(tag, tags)
        if len(tags) > _SHORT_LIST:  # what was wrong first, the long list of valid values last
            return f"{path}: {format_loc([*loc, field])} must be one of {len(tags)} values{hint}; got {tag!r}; " \
                   f"valid: {', '.join(tags)}"
        return f"{path}: {format_loc([*loc, field])} must be one of: {', '.join(tags)}{hint}; got {tag!r}"
    if kind_ in ("model_attributes_type", "dict_type", "model_type"):
        return f"{path}: {format_loc(loc)} must be a mapping of keys; got {kind(value)} {value!r}"
    if kind_ == "list_type":
        return f"{path}: {format_loc(loc)} must be a list; got {kind(value)} {value!r}"
    if kind_ == "expected":
        return f"{path}: {format_loc(loc)} {err['msg']}; got {value!r}"
    if kind_ == "expected_output":
        return f"{path}: {format_loc(loc)} {err['msg']}"
    if kind_ == "sweep":
        return f"{path}: {err['msg']}"
    return f"{path}: {format_loc(loc)}: {err['msg']}; got {value!r}"
