"""Building blocks of the scene format (bridge/scene/fields.py): limits, palettes, colours, expressions, ids."""

import pytest
from pydantic import TypeAdapter, ValidationError

from bridge.scene.fields import Colour, Expr, Height, Palette, PanelId, Pitch, Strict, Width, Yaw, bounded


def error(annotation, value) -> str:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(annotation).validate_python(value)
    (err,) = info.value.errors(include_url=False)
    return err["msg"].removeprefix("Value error, ")


def test_bounded_reads_as_an_analyst_would_want():
    assert error(Yaw, 400) == "400 is outside -180..180"
    assert error(Pitch, -85.5) == "-85.5 is outside -80..80"
    assert error(Width, 0) == "0 must be more than 0 and at most 360"
    assert error(Height, 151) == "151 must be more than 0 and at most 150"
    assert TypeAdapter(Yaw).validate_python(-180) == -180 and TypeAdapter(Yaw).validate_python(180) == 180
    assert TypeAdapter(Width).validate_python(360) == 360


def test_bounded_limits_are_in_the_schema():
    assert TypeAdapter(bounded(-1, 1)).json_schema() == {"type": "number", "minimum": -1, "maximum": 1}
    assert TypeAdapter(Width).json_schema() == {"type": "number", "exclusiveMinimum": 0, "maximum": 360}


def test_unknown_palette_suggests_one_and_lists_safe_choices():
    message = error(Palette, "viridos")
    assert message.startswith("unknown palette 'viridos' (did you mean 'viridis'?);")
    assert "cividis" in message
    assert TypeAdapter(Palette).validate_python("magma") == "magma"


def test_colours_are_names_or_hex():
    assert error(Colour, "notacolour") == "'notacolour' is not a colour; use a name or #rrggbb"
    for ok in ("#12141a", "white", "tab:blue"):
        assert TypeAdapter(Colour).validate_python(ok) == ok


def test_expressions_are_parsed_when_the_scene_is_read():
    assert TypeAdapter(Expr).validate_python("sum(people.total)") == "sum(people.total)"
    error(Expr, "__import__('os').system('true')")  # refused, not run
    error(Expr, "people.total +")


def test_panel_ids_are_plain_names():
    assert TypeAdapter(PanelId).validate_python("older-map_2") == "older-map_2"
    with pytest.raises(ValidationError):
        TypeAdapter(PanelId).validate_python("older map")


def test_strict_models_refuse_unknown_keys_and_changes():
    class Box(Strict):
        yaw: Yaw = 0

    with pytest.raises(ValidationError, match="extra"):
        Box(yw=3)
    box = Box(yaw=10)
    with pytest.raises(ValidationError):
        box.yaw = 20
