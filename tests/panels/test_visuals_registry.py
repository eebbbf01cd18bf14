"""The analysts' visuals (column, area, combo, scatter, treemap, donut, gauge, cards, matrix) are
panel types of the registry: listed by `bridge panels`, in the JSON Schema, a minimal example of
each validates and draws cleanly, and a misspelt key is a located error naming the right one."""

import pytest

from bridge import panels
from bridge.errors import BridgeError
from bridge.scene.model import json_schema
from tests.panels.visuals import draw, scene, text_version

MINIMAL = {
    "column": "type: column, data: homes, label: ward, value: households",
    "area": "type: area, data: homes, x: year, y: households",
    "combo": "type: combo, data: homes, label: ward, value: households, line: rate",
    "scatter": "type: scatter, data: homes, x: households, y: rate",
    "treemap": "type: treemap, data: homes, label: ward, value: households",
    "donut": "type: donut, data: homes, label: tenure, value: households",
    "gauge": "type: gauge, data: homes, value: sum(households), max: 1000",
    "cards": "type: cards, data: homes, label: ward, values: {Homes: households}",
    "matrix": "type: matrix, data: homes, group: ward, label: tenure, values: {Homes: households}",
}
MISSPELT = {"column": ("serie", "series"), "area": ("stak", "stack"), "combo": ("line_unti", "line_unit"),
            "scatter": ("sise", "size"), "treemap": ("tpo", "top"), "donut": ("hloe", "hole"),
            "gauge": ("targte", "target"), "cards": ("sortt", "sort"), "matrix": ("subtotal", "subtotals")}


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_listed_by_bridge_panels_and_in_the_schema(kind):
    assert kind in panels.BUILT_IN
    assert f"| `{kind}` |" in panels.markdown_table()
    assert f'"{kind}"' in str(json_schema()).replace("'", '"')


def test_bridge_panels_prints_them(capsys):
    from bridge.cli import main

    assert main(["panels", "--markdown"]) in (0, None)
    out = capsys.readouterr().out
    assert all(f"| `{kind}` |" in out for kind in MINIMAL)


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_a_minimal_example_validates_draws_and_says_itself(workdir, kind):
    b = scene(workdir, "{id: p, width: 40, height: 24, " + MINIMAL[kind] + "}")
    assert type(b.scene.panels[0]).__module__ == f"bridge.panels.{kind}"
    drawn = draw(b)
    assert drawn.faults == [] and drawn.texts
    entry = text_version(b)
    assert entry["tables"] or entry["text"]
    assert "has no text version" not in " ".join(entry["text"])


@pytest.mark.parametrize("kind", sorted(MISSPELT))
def test_a_misspelt_key_is_located(workdir, kind):
    wrong, right = MISSPELT[kind]
    with pytest.raises(BridgeError) as info:
        scene(workdir, "{id: p, width: 40, height: 24, " + MINIMAL[kind] + f", {wrong}: 1}}")
    message = str(info.value)
    assert f"panels[0].{wrong}: unknown key (did you mean '{right}'?)" in message and "scene.yaml:" in message
