"""A new kind of panel is one module: defined here alone, it validates, renders, is in the schema
and says its content in the text version of a step.

`GaugePanel` below is the whole of a panel type (model, content with located errors, drawing,
description); nothing else in Bridge is edited.  It is registered for these tests only.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

from bridge import panels
from bridge.errors import BridgeError
from bridge.geometry import pitch_to_y, yaw_to_x
from bridge.panels.common.base import PanelModel
from bridge.panels.common.values import scalar
from bridge.render.briefing import load_briefing
from bridge.render.pipeline import render_briefing
from bridge.room.load import load_room
from bridge.scene.fields import Expr
from bridge.scene.model import json_schema
from tests.conftest import write_scene


class GaugePanel(PanelModel):
    """A horizontal gauge filled to a share between 0 and 1."""

    type: Literal["meter"]
    value: Expr  # type: ignore[valid-type]

    def content(self, data, here) -> float:
        share = scalar(data, self.value, here + ("value",), self.data)
        if not 0 <= share <= 1:
            raise BridgeError(data.doc.problem(here + ("value",), f"{share:g} is not a share between 0 and 1"))
        return share

    def draw(self, canvas, share, source, marked) -> None:
        t = canvas.theme
        canvas.fig.patches.append(Rectangle((0.0, 0.0), share, 1.0, color=t.mark, transform=canvas.fig.transFigure))

    def describe(self, entry, view, step_index, share) -> None:
        entry["share"] = share
        entry["text"].append(f"A gauge filled to {share:.0%}.")


class DialPanel(PanelModel):
    """A plug-in type that draws but never says what it shows (no `describe`)."""

    type: Literal["dial"]
    value: Expr  # type: ignore[valid-type]

    def draw(self, canvas, content, source, marked) -> None:
        pass


SCENE = """
title: Gauges
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code}
panels:
  - {id: g, type: meter, value: 'VALUE', yaw: 0, pitch: 0, width: 40, height: 20}
steps:
  - {title: One, show: [g]}
"""
OLDER = 'sum(people["Aged 65 years and over"]) / sum(people.total)'


@pytest.fixture
def gauge():
    panels.register(GaugePanel)
    try:
        yield GaugePanel
    finally:
        panels.unregister("meter")


def test_a_new_panel_type_validates_and_is_in_the_schema(gauge, workdir):
    b = load_briefing(write_scene(workdir, SCENE.replace("VALUE", OLDER)))
    assert isinstance(b.scene.panels[0], GaugePanel)
    assert b.contents[0] == pytest.approx(0.28, abs=0.05)  # Shropshire: about 28% aged 65+
    assert "meter" in str(json_schema())
    assert "meter" in panels.markdown_table() and "`value*`" in panels.markdown_table()


def test_it_says_its_content_in_the_text_version(gauge, workdir):
    from bridge.export.accessible import step_texts

    b = load_briefing(write_scene(workdir, SCENE.replace("VALUE", "0.25")))
    [entry] = step_texts(b)[0]["panels"]
    assert entry["type"] == "meter" and entry["text"] == ["A gauge filled to 25%."] and entry["share"] == 0.25


def test_a_type_without_a_description_is_named(workdir):
    from bridge.export.accessible import step_texts

    panels.register(DialPanel)
    try:
        b = load_briefing(write_scene(workdir, SCENE.replace("VALUE", "0.25").replace("type: meter", "type: dial")))
        [entry] = step_texts(b)[0]["panels"]
    finally:
        panels.unregister("dial")
    assert entry["text"] == ["A dial panel; its content has no text version."] and entry["tables"] == []


def test_its_errors_are_located_like_any_other(gauge, workdir):
    path = write_scene(workdir, SCENE.replace("VALUE", "sum(people.total)").replace("yaw: 0,", "yaw: 0, valeu: 1,"))
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    assert f"{path}:6: panels[0].valeu: unknown key (did you mean 'value'?)" in str(info.value)
    with pytest.raises(BridgeError, match=r"scene.yaml:6: panels\[0\].value: \d+ is not a share"):
        load_briefing(write_scene(workdir, SCENE.replace("VALUE", "sum(people.total)")))


@pytest.mark.slow
def test_it_renders_where_its_yaw_and_pitch_say(gauge, workdir, tmp_path):
    b = load_briefing(write_scene(workdir, SCENE.replace("VALUE", "0.5")))
    render_briefing(b, load_room("rehearsal"), tmp_path / "out", (1024, 512))
    from PIL import Image

    frame = np.asarray(Image.open(tmp_path / "out" / "step-01" / "equirect.png")).astype(int)
    row = frame[int(pitch_to_y(0, 512))]
    mark = np.all(np.abs(row - np.array(to_rgb(b.theme.mark)) * 255) <= 30, axis=-1)
    filled = np.flatnonzero(mark)
    # Filled from the panel's left edge (yaw -20) to half its width (yaw 0), within a pixel or two.
    assert abs(filled.min() - yaw_to_x(-20, 1024)) <= 2 and abs(filled.max() - yaw_to_x(0, 1024)) <= 2


def test_unregistered_it_is_refused(workdir):
    assert "meter" not in panels.panel_types()
    with pytest.raises(BridgeError, match="'meter' is not a valid type"):
        load_briefing(write_scene(workdir, SCENE.replace("VALUE", "0.5")))


def test_a_type_needs_a_literal_name_and_one_owner():
    class Nameless(PanelModel):
        """No type key."""

    with pytest.raises(TypeError, match="needs a key `type"):
        panels.register(Nameless)
    with pytest.raises(ValueError, match="'map' is already registered"):
        panels.register(type("MapAgain", (GaugePanel,), {"__annotations__": {"type": Literal["map"]}}))


def test_docs_panel_table_is_generated_from_the_registry():
    import importlib.util

    from tests.conftest import ROOT

    guide = (ROOT / "docs" / "analyst.md").read_text()
    start = guide.index("<!-- panel-types")
    table = guide[guide.index("\n", start) + 1: guide.index("<!-- /panel-types -->")]
    assert table.strip() == "{{ table.panels }}", "the analyst's guide's panel table is generated when the site is built"
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    table = hooks.expand(table.strip()) + "\n"
    assert table == panels.markdown_table()
    for name in panels.BUILT_IN:
        assert f"| `{name}` |" in table


def test_every_built_in_type_is_found_and_describes_itself():
    from pathlib import Path

    modules = {p.stem for p in Path(panels.__file__).parent.glob("*.py") if not p.stem.startswith("_")}
    assert set(panels.BUILT_IN) == modules
    for name in panels.BUILT_IN:
        assert panels.panel_types()[name].describe is not PanelModel.describe, f"{name} has no text version"
