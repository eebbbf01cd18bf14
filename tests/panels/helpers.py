"""Shared by the panel-type tests: a scene head with every kind of dataset, and drawing helpers."""

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from bridge.errors import BridgeError
from bridge.panels.common.canvas import draw_panel
from bridge.render.briefing import load_briefing
from bridge.theme import DEFAULT_THEME as THEME
from tests.conftest import write_scene

HEAD = """
title: Panels
source: test data
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
  centres: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: EPSG:27700}, join: false}
  falls: {path: data/admissions_falls_shropshire.csv, join: false}
  county: {path: data/ltla24_uk.geojson, key: ltla24_code, where: ltla24_code == "E06000051", join: false}
derive:
  older: 100 * people["Aged 65 years and over"] / people.total
panels:
"""


def scene_with(workdir, panel_yaml: str, extra: str = ""):
    """A briefing whose only panel (id p, shown by the only step) is `panel_yaml`."""
    text = HEAD + panel_yaml + "steps:\n  - title: One\n    show: [p]\n" + extra
    return load_briefing(write_scene(workdir, text))


def draw(briefing, size=(900, 560), ppd=20.0, marked=frozenset()):
    panel = briefing.scene.panels[0]
    return draw_panel(panel, briefing.contents[0], size, ppd, panel.source or briefing.scene.source, THEME, marked)


def share_of(image, colour, tol=12):
    """The share of pixels within `tol` (per channel, 0..255) of `colour`."""
    rgb = np.array(to_rgb(colour)) * 255 if isinstance(colour, str) else np.array(colour[:3]) * 255
    return np.mean(np.all(np.abs(image.astype(int) - rgb) <= tol, axis=-1))


def assert_error_located(workdir, panel: str, fragment: str) -> None:
    """Loading (and drawing) a scene whose panel is `panel` fails with `fragment`, located at panels[0]."""
    text = HEAD + f"  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n"
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        b = load_briefing(path)
        from bridge.render.pipeline import PanelArt

        PanelArt(b, 2048).image("p")
    message = "\n".join(map(str, info.value.problems))
    assert fragment in message and f"{path}:" in message and "panels[0]" in message, message
