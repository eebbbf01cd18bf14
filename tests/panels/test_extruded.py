"""Extruded maps (bridge/panels/extruded.py): shaded prisms in 3D below a caption that must fit."""

import numpy as np
import pytest

from tests.panels.helpers import THEME, assert_error_located, scene_with


def test_extruded_map_renders_in_3d(workdir):
    from bridge.geometry import pitch_to_y, yaw_to_x
    from bridge.render.panorama import EquirectRenderer
    from bridge.render.pipeline import PanelArt, add_panels, render_step

    b = scene_with(workdir, "  - {id: p, type: extruded, colour: older, legend: share, yaw: 0, pitch: -12, width: 50, height: 34}\n")
    with EquirectRenderer(1024, 512) as renderer:
        art = PanelArt(b, 1024)
        add_panels(renderer, b, art)
        frame = render_step(renderer, b, art, 0)
    # Prisms stand below the caption: coloured (not background) pixels in the lower part of the box.
    x0, x1 = int(yaw_to_x(-20, 1024)), int(yaw_to_x(20, 1024))
    y0, y1 = int(pitch_to_y(-8, 512)), int(pitch_to_y(-29, 512))
    region = frame[y0:y1, x0:x1].astype(int)
    assert (region.max(axis=-1) > 60).mean() > 0.15
    assert len(np.unique(region.reshape(-1, 3) // 32, axis=0)) > 5  # several colours: shaded prisms


def test_extruded_caption_that_cannot_fit_is_located(workdir):
    assert_error_located(workdir, "{id: p, type: extruded, colour: older, width: 50, height: 8}", "caption of an extruded map needs")


def test_prisms_stay_below_their_caption():
    """The tallest prism's top is seen no higher than the box's top: clear of the caption above."""
    import numpy as np

    from bridge.panels.extruded import extruded_mesh

    square = [[np.array([[0, 0], [1000, 0], [1000, 1000], [0, 1000], [0, 0]], float)]]
    polygons = [[[ring + [1200 * i, 0] for ring in square[0]]] for i in range(5)]
    for height_scale in (1.0, 3.0, 10.0):
        mesh = extruded_mesh(0, -15, 50, 20, polygons, np.array([1, 2, 3, 4, 50.0]), height_scale)
        p = np.asarray(mesh.points)
        seen = np.degrees(np.arctan2(p[:, 2], np.hypot(p[:, 0], p[:, 1])))
        assert seen.max() <= -5 + 0.1 and seen.min() >= -25 - 0.5


def test_extruded_key_numbers_of_huge_values_stay_on_the_panel(workdir):
    from tests.panels.helpers import draw

    b = scene_with(workdir, "  - {id: p, type: extruded, colour: 'older * 300000000', legend: share, width: 50, height: 34}\n")
    panel = b.scene.panels[0]
    y0, y1, p0, p1 = panel.texture_extent()
    drawn = draw(b, size=(round((y1 - y0) * 20), round((p1 - p0) * 20)))
    ends = [(text, box) for text, box in drawn.text_boxes if text.count(",") >= 2]  # e.g. 1,641,638,917 and 10,092,…
    assert len(ends) == 2
    inset = max(2.0, 0.12 * 20)
    assert all(box[0] >= inset - 1 and box[2] <= drawn.image.shape[1] - inset + 1 for _, box in ends)
    assert drawn.faults == []


def test_a_short_extruded_panel_with_a_long_title_gets_a_compact_caption(workdir):
    from bridge.panels.extruded import CAPTION, CAPTION_MIN_DEG
    from bridge.theme import MIN_TEXT_DEG
    from tests.panels.helpers import draw

    title = "A title an analyst wrote without thinking of the wall: the share of households in fuel poverty by area"
    b = scene_with(workdir, f"  - {{id: p, type: extruded, title: '{title}', colour: older, legend: share, width: 30, height: 20}}\n")
    panel = b.scene.panels[0]
    y0, y1, p0, p1 = panel.texture_extent()
    assert p1 - p0 == pytest.approx(CAPTION_MIN_DEG)  # a third of 20° is too little: the caption gets 9°
    tall = panel.model_copy(update={"height": 40})
    assert tall.texture_extent()[3] - tall.texture_extent()[2] == pytest.approx(CAPTION * 40)  # a tall box keeps its third
    drawn = draw(b, size=(round((y1 - y0) * 20), round((p1 - p0) * 20)))
    heading = next(text for text in drawn.texts if text.startswith("A title"))
    assert "\n" in heading and heading.replace("\n", " ") == title  # shrunk, then wrapped: every word kept
    assert MIN_TEXT_DEG <= drawn.smallest_text_deg < THEME.body_deg
    assert drawn.faults == []


def test_focus_stands_only_the_chosen_areas_on_the_table(workdir):
    b = scene_with(workdir, "  - {id: p, type: extruded, colour: people.total, width: 40, height: 30,"
                            " focus: 'left(areas.lsoa21_name, 13) == \"Shropshire 02\"'}\n")
    content = b.contents[0]
    assert 0 < len(content.keys) < 198 and len(content.polygons) == len(content.keys) == len(content.values)
    everywhere = scene_with(workdir, "  - {id: p, type: extruded, colour: people.total, width: 40, height: 30, focus: people.total > 0}\n")
    assert len(everywhere.contents[0].keys) == 198
    assert_error_located(workdir, "{id: p, type: extruded, colour: people.total, width: 40, height: 30, focus: people.total < 0}",
                         "picks no area")
