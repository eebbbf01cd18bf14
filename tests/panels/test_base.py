"""What every panel type inherits (bridge/panels/common/base.py): its place, its title's span, refusing marks."""

from typing import Literal

import pytest

from bridge.errors import BridgeError
from bridge.geometry import panel_extent
from bridge.panels import panel_types
from bridge.panels.common.base import PanelModel
from bridge.theme import DEFAULT_THEME as THEME
from tests.panels.helpers import scene_with

TextPanel = panel_types()["text"]


def test_a_panel_covers_its_box_and_reads_no_extra_files():
    p = TextPanel(id="p", type="text", text="hi", yaw=30, pitch=-5, width=40, height=20)
    assert p.texture_extent() == panel_extent(30, -5, 40, 20) == (10, 50, -15, 5)
    assert p.files() == []


def test_the_title_is_the_part_that_must_stay_whole():
    untitled = TextPanel(id="p", type="text", text="hi", yaw=30, width=40, height=20)
    assert untitled.seam_parts(THEME) == []
    titled = untitled.model_copy(update={"title": "Falls"})
    (what, y0, y1), = titled.seam_parts(THEME)
    assert what == "its title" and y0 == pytest.approx(11.2)  # left edge 10° plus the 1.2° margin
    assert y1 - y0 == pytest.approx(THEME.text_width_deg("Falls", THEME.title_deg, bold=True))
    long = untitled.model_copy(update={"title": "A very long title that would run past the panel's edge"})
    (_, y0, y1), = long.seam_parts(THEME)
    assert y1 - y0 == pytest.approx(40 - 2.4)  # no wider than the panel less its margins


@pytest.mark.parametrize("panel,kind", [
    ("{id: p, type: kpi, value: sum(people.total), width: 40, height: 10}", "kpi"),
    ("{id: p, type: text, text: hello, width: 40, height: 10}", "text"),  # no content at all: still refused
])
def test_marking_rows_of_a_panel_that_cannot_is_located(workdir, panel, kind):
    with pytest.raises(BridgeError) as info:
        scene_with(workdir, f"  - {panel}\n", "    mark: {p: {top: 2}}\n")
    message = "\n".join(map(str, info.value.problems))
    assert f"steps[0].mark.p: marking rows works on map and bar panels, not {kind}" in message, message


def test_a_type_without_draw_says_so():
    class Blank(PanelModel):
        type: Literal["blank"]

    with pytest.raises(NotImplementedError, match="panel type Blank has no draw"):
        Blank(id="b", type="blank", width=10, height=10).draw(None, None, None, frozenset())
