"""Point-map panels (bridge/panels/points.py): a point per row over the areas; personal rows refused."""

import pytest

from bridge.errors import BridgeError
from bridge.pipeline import load_briefing
from tests.conftest import write_scene
from tests.panels.helpers import HEAD, draw, scene_with


def test_points_are_drawn_with_a_legend(workdir):
    b = scene_with(workdir, "  - {id: p, type: points, data: centres, colour: aged_65_plus, palette: viridis, legend: aged 65+, width: 50, height: 30}\n")
    assert b.contents[0].xy.shape == (198, 2)
    drawn = draw(b)
    assert "aged 65+" in drawn.texts


def test_personal_points_are_refused_unless_allowed(workdir):
    head = HEAD.replace("join: false}\n  falls", "join: false, personal: true}\n  falls", 1)
    text = head + "  - {id: p, type: points, data: centres, width: 50, height: 30}\nsteps:\n  - {title: One, show: [p]}\n"
    with pytest.raises(BridgeError, match="marked personal"):
        load_briefing(write_scene(workdir, text))
    allowed = text.replace("title: Panels\n", "title: Panels\ndisclosure: {allow_personal_points: true}\n")
    assert load_briefing(write_scene(workdir, allowed)).contents[0].xy.shape == (198, 2)
