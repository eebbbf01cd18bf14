"""Pydantic errors as readable, located problems: file, line, key path, what would be valid."""

from __future__ import annotations

import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel, ValidationError

from bridge.errors import Problem, did_you_mean
from bridge.yaml_source import YamlDocument


def pydantic_problems(exc: ValidationError, doc: YamlDocument, root: type[BaseModel], tags: dict[str, type] | None = None) -> list[Problem]:
    """Turn pydantic's errors into located, readable problems.

    `tags` maps the discriminator values of a tagged union (panel types) to their models.
    """
    tags = tags or {}
    problems = []
    for err in exc.errors(include_url=False):
        key_path, model = _walk(root, err["loc"], tags)
        if err["type"].startswith("union_tag"):
            key_path = key_path + ("type",)
        problems.append(doc.problem(key_path, _message(err, key_path, model, tags)))
    problems.sort(key=lambda p: (p.line or 0, p.key or ""))
    return problems


def _message(err: dict, key_path: tuple, model, tags: dict) -> str:
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
        return f"{value!r} is not valid{did_you_mean(value, _literal_options(expected))}; use {expected}"
    if kind in ("too_short",) and isinstance(value, (list, dict)):
        return "must not be empty"
    return f"{err['msg'][0].lower()}{err['msg'][1:]} (got {value!r})"


def _literal_options(expected: str) -> list[str]:
    return [part.strip(" '") for part in expected.replace(" or ", ",").split(",")]


def _walk(root, loc, tags: dict) -> tuple[tuple, type[BaseModel] | None]:
    """Follow pydantic's error location through the model, dropping union tags.

    Returns the key path as the user wrote it and the model that owns the last key.
    """
    path: list = []
    annotation: Any = root
    owner = None
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            owner = annotation
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            path.append(part)
            annotation = field.annotation if field else None
            continue
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is Union and isinstance(part, str) and part in tags:
            annotation = tags[part]  # a discriminator tag: not in the user's file
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
    annotation = _unwrap(annotation)
    return tuple(path), owner


def _unwrap(annotation):
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation
