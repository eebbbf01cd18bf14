"""A Power BI report theme as Bridge's theme: from a .pbix (base theme, custom theme over it) or a theme .json."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from matplotlib.colors import to_hex

from bridge.errors import BridgeError
from bridge.panels.common.canvas import palette
from bridge.theme import DEFAULT_THEME, load_theme

ROOT = Path(__file__).resolve().parents[1]
AW = ROOT / "data" / "sample" / "adventure-works-internet-sales.pbix"
DATA = ROOT / "tests" / "data" / "pbix"
DARK = {"name": "Night", "dataColors": ["#FF0000", "#00FF00", "#0000FF"], "background": "#101010",
        "foreground": "#EEEEEE", "foregroundNeutralSecondary": "#AAAAAA", "backgroundLight": "#202020",
        "backgroundNeutral": "#444444", "tableAccent": "#FFAA00",
        "textClasses": {"label": {"fontFace": "DejaVu Sans Mono", "fontSize": 10}}}


def pbix(folder: Path, members: dict[str, object], layout: dict | None = None) -> Path:
    """A .pbix-shaped zip with theme members (JSON) and a Report/Layout naming them (UTF-16, as Power BI writes it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, document in members.items():
            archive.writestr(name, json.dumps(document))
        if layout is not None:
            archive.writestr("Report/Layout", json.dumps({"config": json.dumps({"themeCollection": layout})}).encode("utf-16"))
        archive.writestr("DataModel", b"")
    path = folder / "report.pbix"
    path.write_bytes(buffer.getvalue())
    return path


def test_the_sample_reports_light_theme_gives_its_data_colours_and_keeps_the_dark_room():
    theme = load_theme(AW)
    assert theme.accent == "#118DFF"  # tableAccent of the CY19SU12 base theme
    assert theme.data_colors[:3] == ["#118DFF", "#12239E", "#E66C37"]
    assert [to_hex(c) for c in palette(theme.series, 10)][:3] == ["#118dff", "#12239e", "#e66c37"]  # in the report's order
    assert theme.card == DEFAULT_THEME.card and theme.text == DEFAULT_THEME.text  # white pages would dazzle the room


def test_a_custom_theme_wins_over_the_base_theme_and_a_dark_one_maps_its_background(tmp_path):
    base = "Report/StaticResources/SharedResources/BaseThemes/CY24SU06.json"
    custom = "Report/StaticResources/RegisteredResources/Night123.json"
    path = pbix(tmp_path, {base: {"name": "CY24SU06", "dataColors": ["#118DFF"], "background": "#FFFFFF"}, custom: DARK},
                {"baseTheme": {"name": "CY24SU06"}, "customTheme": {"name": "Night123.json"}})
    theme = load_theme(path)
    assert theme.accent == "#FFAA00" and theme.data_colors == ["#FF0000", "#00FF00", "#0000FF"]
    assert (theme.card, theme.text, theme.muted, theme.stripe, theme.border) == (
        "#101010", "#EEEEEE", "#AAAAAA", "#202020", "#444444")
    assert theme.font == "DejaVu Sans Mono"  # installed with matplotlib, so it maps


def test_a_power_bi_theme_json_file(tmp_path):
    path = tmp_path / "council.json"
    path.write_text(json.dumps({**DARK, "textClasses": {"label": {"fontFace": "Segoe UI Nonexistent"}}}))
    theme = load_theme(path)
    assert theme.accent == "#FFAA00" and theme.card == "#101010"
    assert theme.font == DEFAULT_THEME.font  # a font this machine lacks is not taken


def test_a_live_connection_reports_theme_is_still_read():
    theme = load_theme(DATA / "live-connection-pbiservice.pbix")
    assert theme.data_colors[0] == "#118DFF"


@pytest.mark.parametrize("content, says", [
    ('{"accent": "#38bdf8"}', "not a Power BI report theme"),
    ("{not json", "is not JSON"),
    ('{"name": "x", "dataColors": ["red"], "visualStyles": {}}', "gives no colour Bridge can use"),
])
def test_a_json_that_is_not_a_usable_power_bi_theme_is_refused(tmp_path, content, says):
    path = tmp_path / "theme.json"
    path.write_text(content)
    with pytest.raises(BridgeError, match=says) as caught:
        load_theme(path)
    assert str(caught.value).startswith("theme.json: ")


def test_a_scene_names_a_pbix_as_its_theme(tmp_path):
    from bridge.render.briefing import load_briefing

    (tmp_path / "aw.pbix").write_bytes(AW.read_bytes())
    (tmp_path / "scene.yaml").write_text(
        "title: T\ntheme: aw.pbix\ndatasets:\n  t: {path: aw.pbix, table: Sales Territory, key: SalesTerritoryRegion}\n"
        "panels:\n  - {id: n, type: text, text: hi, yaw: 0, pitch: 0, width: 30, height: 10}\n"
        "steps:\n  - {title: One, show: [n]}\n")
    assert load_briefing(tmp_path / "scene.yaml").theme.accent == "#118DFF"
