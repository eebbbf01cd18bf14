"""Every step as text (bridge/export/accessible.py): numbers as the panels draw them, small counts
suppressed on every panel type, each step described with its own parameter values."""

import json
import re

import pytest

from bridge.data.disclosure import SUPPRESSED
from bridge.export.accessible import MAX_ROWS, step_texts
from bridge.geometry import panel_texture_size
from bridge.panels.common.canvas import draw_panel
from bridge.render.briefing import load_briefing
from bridge.render.pipeline import texture_density
from tests.conftest import ROOT, write_scene

SMALL = {37, 58, 71, 93}  # counts under min_count (100): none may be written anywhere as a number


def drawn_texts(briefing, panel_id: str, marked=frozenset()) -> list[str]:
    """Every text the panel draws (as `bridge render` draws it at 2048 wide)."""
    i = next(k for k, p in enumerate(briefing.scene.panels) if p.id == panel_id)
    panel = briefing.scene.panels[i]
    ppd = texture_density(2048)
    y0, y1, p0, p1 = panel.texture_extent()
    drawn = draw_panel(panel, briefing.contents[i], panel_texture_size(y1 - y0, p0, p1, ppd), ppd,
                       panel.source or briefing.scene.source, briefing.theme, marked)
    return [" ".join(t.split()) for t in drawn.texts]


def numbers_in(text: str) -> set[float]:
    """The numbers written in `text` (thousands separators read; digits inside codes like E01028826
    or names like Shropshire 037A are not numbers)."""
    found = set()
    for match in re.finditer(r"(?<![\w.])[-\u2212]?\d[\d,]*(?:\.\d+)?(?!\w)", text):
        found.add(float(match.group(0).replace(",", "").replace("\u2212", "-")))
    return found


def panel_of(steps, panel_id):
    return next(p for st in steps for p in st["panels"] if p["id"] == panel_id)


SAMPLE_PANELS = """
title: Values
source: ONS
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
  wards: {path: data/lsoa21_ward24_shropshire.csv, key: lsoa21_code}
  falls: {path: data/admissions_falls_shropshire.csv, join: false}
derive:
  older: 100 * people["Aged 65 years and over"] / people.total
panels:
  - {id: older, type: kpi, value: 'sum(people["Aged 65 years and over"])', label: residents aged 65 and over, width: 30, height: 10}
  - {id: share, type: kpi, value: 'mean(older)', unit: '%', label: mean share, compare: 'median(older)', compare_label: vs the median, width: 30, height: 10, yaw: 40}
  - {id: fmt, type: kpi, value: 'sum(people.total)', format: '{:,.1f}', unit: people, width: 30, height: 10, yaw: 80}
  - {id: wards, type: bar, value: 'people["Aged 65 years and over"]', label: wards.ward24_name, group: sum, top: 8, unit: residents, title: Wards, yaw: 120, width: 40, height: 30}
  - {id: shares, type: bar, value: older, label: areas.lsoa21_name, top: 6, title: Shares, yaw: -120, width: 40, height: 30}
  - id: tab
    type: table
    title: Areas
    columns: {Area: areas.lsoa21_name, Ward: wards.ward24_name, Older: 'people["Aged 65 years and over"]', Share: older}
    sort: Share
    top: 6
    yaw: 160
    width: 50
    height: 30
  - {id: map, type: map, colour: older, legend: '% aged 65+', title: Older residents, yaw: -60, width: 50, height: 30}
  - {id: relief, type: extruded, colour: older, legend: '% aged 65+', title: Relief, yaw: -160, pitch: -12, width: 40, height: 30}
  - {id: falls, type: line, data: falls, x: period, y: value, series: area_name, highlight: Shropshire, unit: 'per 100,000', title: Falls, yaw: 0, pitch: 20, width: 50, height: 24}
  - {id: words, type: text, text: "Dave is **87**, and **lives alone**.\\n\\nSecond   paragraph.", width: 30, height: 12, yaw: 0, pitch: -20}
  - {id: plan, type: image, path: data/room-plan.png, title: Where to look, width: 20, height: 12, yaw: 30, pitch: -20}
steps:
  - {title: Numbers, show: [older, share, fmt, wards, shares, tab], notes: First.}
  - {title: Maps, show: [map, relief, falls, words, plan], mark: {map: {top: 2}}}
"""


@pytest.fixture
def sample(workdir):
    briefing = load_briefing(write_scene(workdir, SAMPLE_PANELS))
    return briefing, step_texts(briefing)


def test_steps_have_titles_notes_and_panels_in_order(sample):
    _, steps = sample
    assert [st["title"] for st in steps] == ["Numbers", "Maps"]
    assert steps[0]["notes"] == "First." and steps[1]["notes"] == ""
    assert [p["id"] for p in steps[1]["panels"]] == ["map", "relief", "falls", "words", "plan"]
    json.dumps(steps)  # JSON-able as it is


def test_kpis_as_drawn(sample):
    briefing, steps = sample
    older = panel_of(steps, "older")
    assert older["value"] == "82,084"  # the sample's residents aged 65+, a count: an integer with separators
    assert older["value"] in drawn_texts(briefing, "older")
    assert older["text"] == ["82,084 residents aged 65 and over."]
    share = panel_of(steps, "share")
    assert share["value"].endswith("%") and share["value"] in drawn_texts(briefing, "share")
    drawn_change = next(t for t in drawn_texts(briefing, "share") if "vs the median" in t)
    assert share["comparison"].split()[1] == drawn_change.split()[1]  # the same percentage as the arrow's
    assert share["comparison"].startswith(("up ", "down ")) and share["comparison"].endswith("vs the median")
    fmt = panel_of(steps, "fmt")
    assert re.fullmatch(r"\d{3},\d{3}\.0 people", fmt["value"]) and fmt["value"] in drawn_texts(briefing, "fmt")


def test_bars_tables_and_legends_as_drawn(sample):
    briefing, steps = sample
    for panel_id in ("wards", "shares"):
        table = panel_of(steps, panel_id)["tables"][0]
        drawn = drawn_texts(briefing, panel_id)
        values = [row[1] for row in table["rows"]]
        assert values and all(v in drawn for v in values), (values, drawn)
    wards = panel_of(steps, "wards")["tables"][0]
    assert wards["headings"] == ["Name", "residents"] and len(wards["rows"]) == 8
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", row[1]) for row in wards["rows"])  # counts: integers
    shares = [float(row[1]) for row in panel_of(steps, "shares")["tables"][0]["rows"]]
    assert shares == sorted(shares, reverse=True)
    tab = panel_of(steps, "tab")["tables"][0]
    assert tab["headings"] == ["Area", "Ward", "Older", "Share"] and len(tab["rows"]) == 6
    drawn = drawn_texts(briefing, "tab")
    assert all(row[2] in drawn and row[3] in drawn for row in tab["rows"])
    assert tab["row_headings"] and tab["numeric"] == [False, False, True, True]
    legend = panel_of(steps, "map")["classes"]
    assert len(legend) == 5 and all(entry in drawn_texts(briefing, "map") for entry in legend)


def test_maps_list_every_area_largest_first(sample):
    briefing, steps = sample
    area_map = panel_of(steps, "map")
    rows = area_map["tables"][0]["rows"]
    assert len(rows) == 198 and area_map["tables"][0]["headings"] == ["Area", "% aged 65+"]
    values = [float(v) for _, v in rows]
    assert values == sorted(values, reverse=True)
    top_two = {rows[0][0], rows[1][0]}
    assert any(t.startswith("Outlined in this step: ") and all(k in t for k in top_two) for t in area_map["text"])
    relief = panel_of(steps, "relief")
    assert len(relief["tables"][0]["rows"]) == 198
    key = re.search(r"from (\S+) to (\S+)\.$", relief["text"][0])
    drawn = drawn_texts(briefing, "relief")
    assert key and key.group(1) in drawn and key.group(2) in drawn  # the colour key's ends, as the caption writes them


def test_line_text_and_image(sample):
    _, steps = sample
    falls = panel_of(steps, "falls")["tables"][0]
    assert falls["headings"][0] == "Period" and "Shropshire" in falls["headings"] and "England" in falls["headings"]
    assert falls["rows"][0][0] == "2010/11" and falls["rows"][0][falls["headings"].index("England")] == "2,126"
    assert "per 100,000" in falls["caption"]
    words = panel_of(steps, "words")
    assert words["text"] == ["Dave is 87, and lives alone.", "Second paragraph."]
    plan = panel_of(steps, "plan")
    assert plan["file"] == "room-plan.png" and plan["alt"] == "Where to look (picture: room-plan.png)"


def test_a_long_area_table_is_cut_with_a_note(workdir, monkeypatch):
    import bridge.export.accessible as accessible

    monkeypatch.setattr(accessible, "MAX_ROWS", 50)
    briefing = load_briefing(write_scene(workdir, SAMPLE_PANELS))
    table = panel_of(step_texts(briefing), "map")["tables"][0]
    assert len(table["rows"]) == 50 and table["note"] == "the 50 areas with the largest values of 198 are listed"
    assert MAX_ROWS == 300


# --- disclosure control on every panel type ----------------------------------------------------

SUPPRESSION = """
title: Suppression
disclosure: {min_count: 100}
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  small: {path: data/small.csv, key: lsoa21_code, counts: [tiny]}
  spots: {path: data/spots.csv, key: lsoa21_code, points: {x: easting, y: northing, crs: EPSG:27700}, join: false, counts: [tiny]}
  series: {path: data/series.csv, join: false, counts: [people]}
panels:
  - {id: map, type: map, colour: small.tiny, legend: people, title: Map, width: 50, height: 30}
  - {id: relief, type: extruded, colour: small.tiny, legend: people, title: Relief, yaw: 60, pitch: -15, width: 40, height: 30}
  - {id: bars, type: bar, value: small.tiny, label: areas.lsoa21_code, order: ascending, top: 8, title: Bars, yaw: 120, width: 40, height: 30}
  - {id: rows, type: table, columns: {Area: areas.lsoa21_code, People: small.tiny}, top: 8, title: Rows, yaw: 180, width: 40, height: 30}
  - {id: one, type: kpi, value: 'sum(small.tiny, where=areas.lsoa21_code == "{first}")', label: people, yaw: -60, width: 30, height: 10}
  - {id: against, type: kpi, value: sum(small.tiny), compare: 'sum(small.tiny, where=areas.lsoa21_code == "{second}")', spark: small.tiny, label: people, yaw: -90, width: 30, height: 10}
  - {id: trend, type: line, data: series, x: period, y: people, series: area, title: Trend, yaw: -120, width: 40, height: 24}
  - {id: dots, type: points, data: spots, colour: tiny, legend: people, title: Dots, yaw: -150, width: 40, height: 30}
  - {id: heat, type: heatmap, data: spots, weight: tiny, title: Heat, yaw: 30, pitch: 20, width: 40, height: 24}
steps:
  - {title: Everything, show: [map, relief, bars, rows, one, against, trend, dots, heat]}
"""


def write_small_counts(workdir):
    """Counts of people: the first four areas 37, 58, 71 and 93 (under min_count 100), the rest 1,000 and more."""
    import pandas as pd

    centres = pd.read_csv(workdir / "data" / "lsoa21_centroids_shropshire.csv")
    tiny = [37, 58, 71, 93] + [1000 + 13 * k for k in range(len(centres) - 4)]
    pd.DataFrame({"lsoa21_code": centres.lsoa21_code, "tiny": tiny}).to_csv(workdir / "data" / "small.csv", index=False)
    centres.assign(tiny=tiny).to_csv(workdir / "data" / "spots.csv", index=False)
    rows = [("North", "2019", 1500), ("North", "2020", 37), ("North", "2021", 1600),
            ("South", "2019", 58), ("South", "2020", 2000), ("South", "2021", 2100)]
    pd.DataFrame(rows, columns=["area", "period", "people"]).to_csv(workdir / "data" / "series.csv", index=False)
    return list(centres.lsoa21_code)


@pytest.fixture
def suppressed(workdir):
    codes = write_small_counts(workdir)
    text = SUPPRESSION.replace("{first}", codes[0]).replace("{second}", codes[1])
    briefing = load_briefing(write_scene(workdir, text))
    return briefing, step_texts(briefing), codes


@pytest.mark.parametrize("panel_id", ["map", "relief", "bars", "rows", "one", "against", "trend", "dots", "heat"])
def test_no_small_count_is_written_on_any_panel_type(suppressed, panel_id):
    _, steps, _ = suppressed
    written = json.dumps(panel_of(steps, panel_id), ensure_ascii=False)
    assert not numbers_in(written) & SMALL, written[:2000]
    if panel_id != "against":  # its small comparison is left out, as the KPI leaves it out
        assert SUPPRESSED in written


def test_suppressed_cells_say_so_and_keep_their_place_secret(suppressed):
    briefing, steps, codes = suppressed
    areas = briefing.data.tables["areas"].frame
    names = dict(zip(areas.lsoa21_code, areas.lsoa21_name))  # a map's text names its areas where the data can
    rows = panel_of(steps, "map")["tables"][0]["rows"]
    hidden = [area for area, value in rows if value == SUPPRESSED]
    assert hidden == [names[c] for c in codes[:4]]
    assert [area for area, _ in rows[-4:]] == [names[c] for c in codes[:4]]  # after every shown value, not at their rank
    assert "suppressed" in panel_of(steps, "map")["classes"]
    assert [row[1] for row in panel_of(steps, "bars")["tables"][0]["rows"]][:4] == [SUPPRESSED] * 4
    assert [row[1] for row in panel_of(steps, "rows")["tables"][0]["rows"]][:4] == [SUPPRESSED] * 4
    one = panel_of(steps, "one")
    assert one["value"] == SUPPRESSED and one["text"] == ["suppressed people."]
    against = panel_of(steps, "against")
    assert against["comparison"] is None and against["value"] != SUPPRESSED
    trend = panel_of(steps, "trend")["tables"][0]
    assert trend["note"].startswith("2 small count(s) of people suppressed")
    dots = {area: value for area, value in panel_of(steps, "dots")["tables"][0]["rows"]}
    assert [dots[c] for c in codes[:4]] == [SUPPRESSED] * 4 and dots[codes[4]] == "1,000"


def test_the_whole_site_text_holds_no_small_count(suppressed):
    from bridge.export.site import page

    briefing, steps, _ = suppressed
    html = page(briefing.scene.title, briefing.scene.source, steps)
    assert not numbers_in(html) & SMALL
    assert html.count(">suppressed<") >= 4 * 4  # map, 3D map, bars, table: four cells each


# --- parameters: each step as it is shown -------------------------------------------------------

PARAMS = """
title: 'Wards: {params.ward}'
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  people: {path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}
  wards: {path: data/lsoa21_ward24_shropshire.csv, key: lsoa21_code}
params:
  ward: {type: choice, column: wards.ward24_name, all: All of Shropshire}
panels:
  - {id: kpi, type: kpi, value: 'sum(people.total, where=wards.ward24_name == params.ward)', label: 'residents of {params.ward}', width: 30, height: 10}
  - {id: bar, type: bar, value: people.total, label: areas.lsoa21_name, where: wards.ward24_name == params.ward, title: Areas, yaw: 60, width: 40, height: 30}
steps:
  - {title: 'The county: {params.ward}', show: [kpi, bar]}
  - {title: 'Visiting {params.ward}', show: [kpi, bar], params: {ward: Clun}}
"""


def test_each_step_is_described_with_its_own_parameters(workdir):
    import pandas as pd

    briefing = load_briefing(write_scene(workdir, PARAMS))
    steps = step_texts(briefing)
    assert steps[0]["title"] == "The county: All of Shropshire" and steps[1]["title"] == "Visiting Clun"
    assert steps[0]["params"] == [{"name": "ward", "value": "All of Shropshire"}]
    assert steps[1]["params"] == [{"name": "ward", "value": "Clun"}]
    wards = pd.read_csv(workdir / "data" / "lsoa21_ward24_shropshire.csv")
    people = pd.read_csv(workdir / "data" / "census21_age_shropshire.csv")
    clun = people[people.lsoa21_code.isin(wards[wards.ward24_name == "Clun"].lsoa21_code)]
    county, ward = steps[0]["panels"][0], steps[1]["panels"][0]
    assert county["value"] == f"{people.total.sum():,.0f}" and county["label"] == "residents of All of Shropshire"
    assert ward["value"] == f"{clun.total.sum():,.0f}" and ward["label"] == "residents of Clun"
    bars = steps[1]["panels"][1]["tables"][0]["rows"]
    assert sorted(name for name, _ in bars) == sorted(clun.lsoa21_name)
    assert len(steps[0]["panels"][1]["tables"][0]["rows"]) == 15  # the county: the top 15 of 198


def test_a_plug_in_panel_type_is_named_not_described(workdir):
    briefing = load_briefing(write_scene(workdir, SAMPLE_PANELS))
    from bridge.export.accessible import panel_text

    index = next(i for i, p in enumerate(briefing.scene.panels) if p.id == "older")
    object.__setattr__(briefing.scene.panels[index], "type", "meter")
    entry = panel_text(briefing, 0, index)
    assert entry["text"] == ["A meter panel; its content has no text version."] and entry["tables"] == []


def test_the_samples_read_whole(workdir):
    for name in ("finding-dave.yaml", "cold-homes-and-renting.yaml"):
        steps = step_texts(load_briefing(ROOT / "scenes" / name))
        assert all(st["panels"] for st in steps)
        assert all(p["text"] or p["tables"] for st in steps for p in st["panels"])
