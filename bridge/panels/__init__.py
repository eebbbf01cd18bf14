"""Panel types: one module each, found through this registry by a panel's `type:`.

A panel type is a `PanelModel` subclass (see bridge/panels/common/base.py) with a
`type: Literal["name"]` key.  The built-in types are the modules of this package: each is
found and registered when the package is imported, listed in their `listing_order`.  A
plug-in's type registers with `@register`.  The scene format (and so `bridge validate`, the
JSON Schema and `bridge panels`) is built from this registry, so a new kind of panel is one
new module: see docs/developer.md, "Adding a panel type".
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from typing import Annotated, Union

from pydantic import Field

from bridge.panels.common.base import PanelModel

_types: dict[str, type[PanelModel]] = {}
_version = 0  # bumped on every change, so models built from the registry know when to rebuild


def type_name(model: type[PanelModel]) -> str:
    """The value of the model's `type: Literal["name"]` key."""
    field = model.model_fields.get("type")
    args = typing.get_args(field.annotation) if field else ()
    if typing.get_origin(field.annotation if field else None) is not typing.Literal or len(args) != 1:
        raise TypeError(f"{model.__name__} needs a key `type: Literal[\"name\"]` naming its panel type")
    return args[0]


def register(model: type[PanelModel]) -> type[PanelModel]:
    """Make `model` a panel type the scene format accepts (a class decorator)."""
    global _version
    if not (isinstance(model, type) and issubclass(model, PanelModel)):
        raise TypeError(f"{model!r} is not a PanelModel subclass")
    name = type_name(model)
    if name in _types and _types[name] is not model:
        raise ValueError(f"panel type '{name}' is already registered by {_types[name].__module__}")
    _types[name] = model
    _version += 1
    return model


def unregister(name: str) -> None:
    """Forget a panel type (for tests and plug-ins that are unloaded)."""
    global _version
    _types.pop(name, None)
    _version += 1


def panel_types() -> dict[str, type[PanelModel]]:
    """type name → model, in registration order (built-in types first)."""
    return dict(_types)


def version() -> int:
    return _version


def panel_union():
    """The annotation for a scene's `panels:` items: one of the registered types, by `type:`."""
    models = tuple(_types.values())
    if len(models) == 1:
        return models[0]
    # Union[...] spreads a tuple built at run time, which `X | Y` cannot: keep it (UP007's rewrite drops the union).
    return Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007


def describe() -> list[tuple[str, str, list[str]]]:
    """(type, its docstring's first line, its own keys) per panel type; required keys end in '*'."""
    common = PanelModel.model_fields
    rows = []
    for name, model in _types.items():
        doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        keys = [_key_summary(key, field) + ("*" if field.is_required() else "")
                for key, field in model.model_fields.items()
                if key != "type" and not (key in common and field.annotation == common[key].annotation
                                          and field.is_required() == common[key].is_required())]
        rows.append((name, doc, keys))
    return rows


def _key_summary(key: str, field) -> str:
    """`key`, `key: a|b` for a choice, `key: {x, y}` for a nested mapping."""
    from pydantic import BaseModel

    annotation = field.annotation
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is typing.Literal:
            return f"{key}: {'|'.join(str(a) for a in typing.get_args(arg))}"
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return f"{key}: {{{', '.join(arg.model_fields)}}}"
        if typing.get_origin(arg) is dict:
            return f"{key}: {{name: …}}"
    return key


def markdown_table() -> str:
    """The docs' table of panel types (what `bridge panels --markdown` prints)."""
    lines = ["| type | shows | its own keys (* required) |", "|---|---|---|"]
    for name, doc, keys in describe():
        cells = ", ".join(f"`{k}`" for k in keys).replace("|", "\\|")
        lines.append(f"| `{name}` | " + doc.replace("|", "\\|") + f" | {cells} |")
    return "\n".join(lines) + "\n"


def _built_in_types() -> list[type[PanelModel]]:
    """The panel types the modules of this package define (each module's `PanelModel`
    subclasses with a `type` key), in their `listing_order`."""
    found = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "common" or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        found += [value for value in vars(module).values()
                  if isinstance(value, type) and issubclass(value, PanelModel) and value.__module__ == module.__name__
                  and "type" in value.model_fields]
    return sorted(found, key=lambda model: (model.listing_order, model.__module__))


def _register_built_ins() -> tuple[str, ...]:
    """Register the built-in types in their listing order (first, even where a module also
    used `@register`); their names, as listed."""
    models = _built_in_types()
    for model in models:
        _types.pop(type_name(model), None)
    return tuple(type_name(register(model)) for model in models)


# (Importing the type modules binds their names here, so `map` in this module is
# bridge.panels.map, not the builtin: do not use the builtin here.)
BUILT_IN = _register_built_ins()
