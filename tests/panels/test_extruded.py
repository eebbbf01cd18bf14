"""Extruded maps (bridge/panels/extruded.py): shaded prisms in 3D below a caption that must fit."""

import numpy as np

from tests.panels.helpers import assert_error_located, scene_with


def test_extruded_map_renders_in_3d(workdir):
    from bridge.layout import pitch_to_y, yaw_to_x
    from bridge.pipeline import PanelArt, add_panels, render_step
    from bridge.render import EquirectRenderer

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
