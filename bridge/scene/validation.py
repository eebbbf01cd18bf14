"""Pydantic errors as readable, located problems: file, line, key path, what would be valid."""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bridge.errors import Problem, did_you_mean, shown
from bridge.scene.yaml_source import YamlDocument


def pydantic_problems(exc: ValidationError, doc: YamlDocument, root: type[BaseModel],
                      tags: dict[str, type] | None = None) -> list[Problem]:
    """Turn pydantic's errors into located, readable problems.

    `tags` maps the discriminator values of a tagged union (panel types) to their models.
    """
    tags = tags or {}
    by_path: dict[tuple, dict[str, bool]] = {}  # key path -> message -> "only says the shape is wrong"
    for err in exc.errors(include_url=False):
        key_path, model, branch = _walk(root, err["loc"], tags)
        here_tags = tags
        if err["type"].startswith("union_tag"):
            here_tags = _union_tags_at(root, err["loc"]) or tags
            key_path = key_path + ("type",)
        message = _message(err, key_path, model, here_tags)
        wrong_shape = False
        if branch is not None and len(key_path) >= branch:
            # An error inside one of several allowed shapes: name the position, not the shape's insides.
            inside = key_path[branch:]
            wrong_shape = inside == () and _wrong_shape(err)
            key_path, message = key_path[:branch], message if inside == () else f"{'.'.join(map(str, inside))}: {message}"
        by_path.setdefault(key_path, {}).setdefault(message, wrong_shape)
    problems = [doc.problem(path, "; or ".join(messages) if len(messages) > 1 else messages[0])
                for path, messages in ((path, _relevant(found)) for path, found in by_path.items())]
    problems.sort(key=lambda p: (p.line or 0, p.key or ""))
    return problems


def _wrong_shape(err: ErrorDetails) -> bool:
    """The error says only that the value is not this union member's kind (a text where a
    mapping may go, a mapping where a text may): true of every member but the one written."""
    return err["type"].endswith(("_type", "_parsing")) or err["type"] == "literal_error"


def _relevant(found: dict[str, bool]) -> list[str]:
    """The messages of a union's position worth reading: where the value has the kind of one of
    the allowed shapes, what is wrong with it in that shape, not that it is not the other shapes
    (`derive: {x: "a +* b"}` reads 'cannot parse …', not also 'should be a mapping')."""
    specific = [message for message, wrong_shape in found.items() if not wrong_shape]
    return specific or list(found)


def _message(err: ErrorDetails, key_path: tuple, model, tags: dict) -> str:
    kind, value = err["type"], err.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        known = list(model.model_fields) if model else []
        known = [k for k in known if k != "file"]
        hint = did_you_mean(key_path[-1], known)
        return f"unknown key{hint}; valid keys here: {', '.join(known)}"
    if kind == "union_tag_invalid":
        tag = err["ctx"]["tag"]
        return f"'{tag}' is not a valid type{did_you_mean(tag, tags)}; use one of {', '.join(tags)}"
    if kind == "union_tag_not_found":
        return f"a type is required: one of {', '.join(tags)}"
    if kind == "value_error":
        return err["msg"].removeprefix("Value error, ")
    if kind == "literal_error":
        expected = err["ctx"]["expected"]
        return f"{short_repr(value)} is not valid{did_you_mean(value, _literal_options(expected))}; use {expected}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"should be a mapping (key: value) (got {short_repr(value)})"
    if kind in ("too_short",) and isinstance(value, (list, dict)):
        return "must not be empty"
    if kind == "too_long" and isinstance(value, (list, dict)):
        return f"has {len(value)} entries; at most {err['ctx']['max_length']} are allowed (see docs/reference/limits.md)"
    return f"{err['msg'][0].lower()}{err['msg'][1:]} (got {short_repr(value)})"


def short_repr(value, limit: int = 80) -> str:
    """repr() of what the user wrote, cut short: an error quotes the input, it does not echo a file."""
    return shown(repr(value), limit)


def _literal_options(expected: str) -> list[str]:
    return [part.strip(" '") for part in expected.replace(" or ", ",").split(",")]


_UNIONS = (Union, types.UnionType)


def _walk(root, loc, tags: dict) -> tuple[tuple, type[BaseModel] | None, int | None]:
    """Follow pydantic's error location through the model, dropping union tags and branch names.

    Returns the key path as the user wrote it, the model that owns the last key, and (for an
    error inside a plain union) the length of the path where the union sits.
    """
    path: list = []
    annotation: Any = root
    owner = None
    branch = None
    parts = list(loc)
    k = 0
    while k < len(parts):
        part = parts[k]
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            owner = annotation
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            path.append(part)
            annotation = field.annotation if field else None
            k += 1
            continue
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin in _UNIONS and isinstance(part, str) and (part in tags or part in _member_tags(args)):
            annotation = tags.get(part) or _member_tags(args)[part]  # a discriminator tag: not in the user's file
            k += 1
            continue
        if origin in _UNIONS and isinstance(part, str):
            members = {_branch_name(a): a for a in args}
            match = members.get(part) or next((a for name, a in members.items() if part.startswith(name)), None)
            if match is not None or "[" in part:
                branch = len(path) if branch is None else branch
                annotation = match
                k += 1
                continue
        if origin in (list, tuple) and args:
            path.append(part)
            annotation = args[0]
        elif origin is dict and args:
            path.append(part)
            annotation = args[1]
        else:
            path.append(part)
            annotation = None
        k += 1
    return tuple(path), owner, branch


def _member_tags(args) -> dict[str, type]:
    """The `type:` values of a tagged union's member models (e.g. a parameter's choice, number, toggle)."""
    found = {}
    for member in args:
        member = _unwrap(member)
        field = member.model_fields.get("type") if isinstance(member, type) and issubclass(member, BaseModel) else None
        if field is not None and typing.get_origin(field.annotation) is typing.Literal:
            found.update({str(v): member for v in typing.get_args(field.annotation)})
    return found


def _union_tags_at(root, loc) -> dict[str, type]:
    """The tags of the tagged union an error location ends at (for its 'not a valid type' message)."""
    annotation: Any = root
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            annotation = field.annotation if field else None
        elif typing.get_origin(annotation) in (list, tuple, dict) and typing.get_args(annotation):
            annotation = typing.get_args(annotation)[-1]
        elif typing.get_origin(annotation) in _UNIONS:
            annotation = _member_tags(typing.get_args(annotation)).get(part)
    annotation = _unwrap(annotation)
    return _member_tags(typing.get_args(annotation)) if typing.get_origin(annotation) in _UNIONS else {}


def _branch_name(annotation) -> str:
    """How pydantic names a union member in an error location."""
    annotation = _unwrap(annotation)
    return getattr(annotation, "__name__", str(annotation))


def _unwrap(annotation):
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in _UNIONS:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation
