"""Point-map panels (bridge/panels/points.py): a point per row over the areas; personal rows refused."""

import pytest

from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing
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


def test_colour_bar_numbers_of_huge_values_stay_on_the_panel_and_clear_of_the_map(workdir):
    from bridge.panels.common.canvas import Canvas
    from tests.panels.helpers import THEME

    b = scene_with(workdir, "  - {id: p, type: points, data: centres, colour: aged_65_plus * 9000000, "
                            "legend: residents aged 65 and over, width: 30, height: 20}\n")
    c = Canvas((600, 400), 20.0, THEME)
    b.scene.panels[0].draw(c, b.contents[0], "test data", frozenset())
    texts = [t for t, _ in c.texts()]
    assert "7.5bn" in texts and not any("1e" in t for t in texts)  # written short, no '1e9' above the bar
    renderer = c.canvas.get_renderer()
    ax, cax = c.fig.axes
    numbers = [t.get_window_extent(renderer) for t in cax.get_yticklabels() if t.get_text()]
    inset = max(2.0, 0.12 * c.ppd)
    assert numbers and all(box.x1 <= c.w - inset for box in numbers)  # inside the panel's border
    assert ax.get_window_extent(renderer).x1 < cax.get_tightbbox(renderer).x0  # the map gave way to the bar
    assert c.layout_faults() == []
