"""Shared by the tests of the analysts' visuals (column, area, combo, scatter, treemap, donut, gauge,
cards, matrix): a small long table of known numbers, a scene built round one panel, pixel helpers."""

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb

from bridge.panels.common.canvas import draw_panel
from bridge.render.briefing import load_briefing
from bridge.theme import DEFAULT_THEME as THEME
from tests.conftest import write_scene

# households by ward and tenure (a count of people's homes), and a rate per ward and year
ROWS = [
    ("Castle", "Owned", 2021, 120, 4.0), ("Castle", "Rented", 2021, 60, 5.0), ("Castle", "Social", 2021, 20, 6.0),
    ("Abbey", "Owned", 2021, 90, 3.0), ("Abbey", "Rented", 2021, 30, 3.5), ("Abbey", "Social", 2021, 3, 7.0),
    ("Bowbrook", "Owned", 2021, 40, 2.0), ("Bowbrook", "Rented", 2021, 40, 2.5), ("Bowbrook", "Social", 2021, 40, 3.0),
    ("Castle", "Owned", 2022, 130, 4.5), ("Abbey", "Owned", 2022, 95, 3.2), ("Bowbrook", "Owned", 2022, 45, 2.2),
]


def scene(workdir, panel: str, extra_head: str = ""):
    """A briefing whose only panel (id p) is `panel`, over `homes` (ROWS) and the sample's datasets."""
    pd.DataFrame(ROWS, columns=["ward", "tenure", "year", "households", "rate"]).to_csv(
        workdir / "data" / "homes.csv", index=False)
    text = ("title: Visuals\nsource: test data\ndatasets:\n"
            "  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}\n"
            "  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}\n"
            "  homes: {path: data/homes.csv, join: false, counts: [households]}\n" + extra_head +
            f"panels:\n  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n")
    return load_briefing(write_scene(workdir, text))


def draw(briefing, size=(800, 500), ppd=20.0):
    panel = briefing.scene.panels[0]
    return draw_panel(panel, briefing.contents[0], size, ppd, panel.source or briefing.scene.source, THEME)


def mask(image, colour, tol=10) -> np.ndarray:
    """Pixels within `tol` (per channel, 0..255) of `colour` (a name, hex or RGB(A) floats)."""
    rgb = np.array(to_rgb(colour)) * 255
    return np.all(np.abs(image.astype(int) - rgb) <= tol, axis=-1)


def text_version(briefing) -> dict:
    from bridge.export.accessible import step_texts

    return step_texts(briefing)[0]["panels"][0]
