"""Disclosure control on long (tidy) data, the usual shape of councils' Census tables.

`counts:` names columns of the table as it is after `where:` and `pivot:`; in a pivoted dataset,
naming the pivot's `values:` column (`counts: [value]`) makes every pivoted column a count, and
pivoted columns can be named one by one when only some indicators are counts.  Small counts
(1 to min_count − 1) of a long table are then suppressed on every panel that shows values, also
once joined to the base (on the key or many-to-one); the percentage beside them is not.
"""

import re

import pandas as pd
import pytest

from bridge.data.disclosure import SUPPRESSED, is_count
from bridge.data.readers import read_geojson
from bridge.errors import BridgeError
from bridge.render.briefing import load_briefing
from tests.conftest import write_scene
from tests.panels.helpers import THEME, draw, share_of

SMALL = [1, 2, 3, 4]  # homes without central heating in the first four areas: all must be suppressed
SMALL_NUMBER = re.compile(r"^[1-4](\.0+)?$")  # a small count as a bar label, tick or legend figure would show it
STANDOUT = "#ff00ff"  # a theme's `suppressed` colour nothing else on a map uses

HEAD = """
title: Cold homes, long format
source: test data
datasets:
  areas: {path: data/shropshire_lsoa21.geojson, key: lsoa21_code}
  homes:                                       # every indicator of the Count rows is a count
    path: data/heating_long.csv
    key: area_code
    where: measure == "Count"
    pivot: {columns: indicator, values: value}
    counts: [value]
  mixed:                                       # counts and a percentage in one pivot: counts named one by one
    path: data/heating_long.csv
    key: area_code
    pivot: {columns: indicator, values: value}
    counts: [No central heating, All households]
  one:                                         # one area, filtered and pivoted, standing alone
    path: data/heating_long.csv
    key: area_code
    where: area_code == "{first}" and measure == "Count"
    pivot: {columns: indicator, values: value}
    counts: [value]
    join: false
  wards: {path: data/lsoa21_ward24_shropshire.csv, key: lsoa21_code}
  ward_homes:                                  # ward figures, pivoted, joined many-to-one
    path: data/heating_wards_long.csv
    key: ward_code
    pivot: {columns: indicator, values: value}
    counts: [value]
    join: {on: wards.ward24_code}
panels:
"""
NCH = 'homes["No central heating"]'
SHARE = 'mixed["Share without central heating"]'


@pytest.fixture
def long_data(workdir):
    """A long table (area code, indicator, measure, value) for every area, and one for wards;
    returns the area codes in the base's order."""
    codes = read_geojson(workdir / "data" / "shropshire_lsoa21.geojson")[0]["lsoa21_code"].tolist()
    rows = []
    for i, code in enumerate(codes):
        homes = 600 + 3 * i
        nch = SMALL[i] if i < len(SMALL) else 5 + i % 40
        rows += [(code, "No central heating", "Count", nch), (code, "All households", "Count", homes),
                 (code, "Share without central heating", "Percent", round(100 * nch / homes, 2))]  # 0.17 … 7.1: small, not counts
    pd.DataFrame(rows, columns=["area_code", "indicator", "measure", "value"]).to_csv(workdir / "data" / "heating_long.csv", index=False)
    wards = sorted(pd.read_csv(workdir / "data" / "lsoa21_ward24_shropshire.csv")["ward24_code"].unique())
    ward_rows = []
    for i, ward in enumerate(wards):
        ward_rows += [(ward, "No central heating", 2 if i == 0 else 50 + i), (ward, "All households", 2000 + i)]
    pd.DataFrame(ward_rows, columns=["ward_code", "indicator", "value"]).to_csv(workdir / "data" / "heating_wards_long.csv", index=False)
    return codes


def briefing(workdir, codes, panel_yaml: str, head: str = HEAD):
    text = head.replace("{first}", codes[0]) + f"  - {panel_yaml}\n" + "steps:\n  - title: One\n    show: [p]\n"
    return load_briefing(write_scene(workdir, text))


def shown_small_numbers(drawn) -> list[str]:
    return [t for t in drawn.texts if SMALL_NUMBER.match(t.strip())]


def test_counts_on_the_values_column_make_every_pivoted_column_a_count(workdir, long_data):
    b = briefing(workdir, long_data, "{id: p, type: text, text: hi, width: 20, height: 10}")
    counts = b.data.counts
    assert {("homes", "No central heating"), ("homes", "All households")} <= counts
    assert ("homes", "area_code") not in counts and ("homes", "value") not in counts  # the key is not a count
    assert {("mixed", "No central heating"), ("mixed", "All households")} <= counts
    assert ("mixed", "Share without central heating") not in counts  # not named: not a count
    assert ("ward_homes", "No central heating") in counts and ("one", "No central heating") in counts
    assert is_count(b.data, NCH) and is_count(b.data, f'sum({NCH}) - sum(homes["All households"])')
    assert not is_count(b.data, SHARE) and not is_count(b.data, f'100 * {NCH} / homes["All households"]')


def test_table_cells_of_small_pivoted_counts_are_suppressed(workdir, long_data):
    b = briefing(workdir, long_data, "{id: p, type: table, columns: {Area: areas.lsoa21_code, Homes: '" + NCH + "', "
                                     "Joined: 'mixed[\"No central heating\"]', Share: '" + SHARE + "'}, top: 8, width: 60, height: 30}")
    rows = {row[0]: row[1:] for row in b.contents[0].rows}
    for code in long_data[:4]:
        homes, joined, share = rows[code]
        assert homes == joined == SUPPRESSED
        assert share != SUPPRESSED and 0 < float(share) < 5  # a small percentage is shown
    assert rows[long_data[4]][:2] == ["9", "9"]  # counts from 5 are shown, as whole numbers
    assert b.contents[0].suppressed_cells == 8
    drawn = draw(b)
    assert drawn.texts.count(SUPPRESSED) == 8 and not shown_small_numbers(drawn)


def test_a_table_of_the_pivoted_dataset_itself_suppresses_them(workdir, long_data):
    b = briefing(workdir, long_data, "{id: p, type: table, data: homes, columns: {Area: area_code, Homes: '" + NCH + "'}, "
                                     "top: 40, width: 60, height: 30}")
    rows = {row[0]: row[1] for row in b.contents[0].rows}
    assert [rows[code] for code in long_data[:4]] == [SUPPRESSED] * 4
    assert all(value == SUPPRESSED or int(value) >= 5 for value in rows.values())


def test_bar_of_small_pivoted_counts_shows_suppressed_and_no_axis_numbers(workdir, long_data):
    b = briefing(workdir, long_data, "{id: p, type: bar, value: '" + NCH + "', label: areas.lsoa21_code, order: ascending, top: 6, "
                                     "width: 50, height: 30}")
    content = b.contents[0]
    assert content.suppressed.tolist() == [True] * 4 + [False] * 2
    drawn = draw(b)
    assert drawn.texts.count(SUPPRESSED) == 4
    assert not shown_small_numbers(drawn)  # no bar label, no axis number brackets 1–4
    assert not [t for t in drawn.texts if re.fullmatch(r"[\d.,]+", t) and float(t.replace(",", "")) < 5]


def test_bar_of_the_percentage_is_not_suppressed(workdir, long_data):
    b = briefing(workdir, long_data, "{id: p, type: bar, value: '" + SHARE + "', label: areas.lsoa21_code, order: ascending, top: 6, "
                                     "width: 50, height: 30}")
    assert not b.contents[0].suppressed.any() and (b.contents[0].values < 5).all()
    drawn = draw(b)
    assert SUPPRESSED not in drawn.texts
    assert [t for t in drawn.texts if re.fullmatch(r"\d\.\d\d", t)]  # its small values are drawn


def test_map_draws_small_pivoted_counts_in_the_suppressed_colour_with_a_hatched_key(workdir, long_data):
    theme = THEME.model_copy(update={"suppressed": STANDOUT})
    b = briefing(workdir, long_data, "{id: p, type: map, colour: '" + NCH + "', width: 50, height: 30}")
    assert b.contents[0].suppressed.sum() == 4 and b.contents[0].suppressed[:4].all()
    drawn = draw_with(b, theme)
    assert share_of(drawn.image, STANDOUT) > 0  # the four areas, and the legend's swatch
    assert SUPPRESSED in drawn.texts and not shown_small_numbers(drawn)
    assert not [t for t in drawn.texts if re.match(r"[1-4](\.\d+)? – ", t)]  # no class starts at a small count
    share = briefing(workdir, long_data, "{id: p, type: map, colour: '" + SHARE + "', width: 50, height: 30}")
    assert not share.contents[0].suppressed.any()
    drawn = draw_with(share, theme)
    assert share_of(drawn.image, STANDOUT) == 0 and SUPPRESSED not in drawn.texts


def test_map_legend_swatch_for_suppressed_is_hatched(workdir, long_data):
    from matplotlib.legend import Legend

    from bridge.panels.common.canvas import Canvas

    b = briefing(workdir, long_data, "{id: p, type: map, colour: '" + NCH + "', width: 50, height: 30}")
    c = Canvas((900, 560), 20.0, THEME)
    b.scene.panels[0].draw(c, b.contents[0], None, frozenset())
    (legend,) = c.fig.findobj(Legend)
    swatches = {text.get_text(): patch for text, patch in zip(legend.get_texts(), legend.get_patches())}
    assert swatches[SUPPRESSED].get_hatch() == "///"


def test_map_of_a_ward_count_joined_many_to_one_is_suppressed_in_every_area_of_that_ward(workdir, long_data):
    b = briefing(workdir, long_data, "{id: p, type: map, colour: 'ward_homes[\"No central heating\"]', width: 50, height: 30}")
    wards = b.data.aligned["wards"]["ward24_code"]
    small_ward = sorted(wards.unique())[0]
    assert b.contents[0].suppressed.tolist() == (wards == small_ward).tolist()
    assert b.contents[0].suppressed.any() and SUPPRESSED in draw(b).texts


def test_kpi_of_a_small_pivoted_count_shows_suppressed(workdir, long_data):
    b = briefing(workdir, long_data, "{id: p, type: kpi, value: 'min(" + NCH + ")', label: fewest homes, width: 30, height: 10}")
    assert b.contents[0].value == 1 and b.contents[0].suppressed
    drawn = draw(b, size=(600, 200))
    assert SUPPRESSED in drawn.texts and not shown_small_numbers(drawn)
    one = briefing(workdir, long_data, "{id: p, type: kpi, data: one, value: 'sum(one[\"No central heating\"])', width: 30, height: 10}")
    assert one.contents[0].value == 1 and one.contents[0].suppressed  # filtered, pivoted and standing alone
    share = briefing(workdir, long_data, "{id: p, type: kpi, value: 'min(" + SHARE + ")', format: '{:.2f}', width: 30, height: 10}")
    assert not share.contents[0].suppressed and "0.17" in draw(share, size=(600, 200)).texts


def test_extruded_content_marks_small_pivoted_counts(workdir, long_data):
    b = briefing(workdir, long_data, "{id: p, type: extruded, colour: '" + NCH + "', width: 50, height: 34}")
    assert b.contents[0].suppressed[:4].all() and b.contents[0].suppressed.sum() == 4


def test_extruded_caption_shows_no_small_count(workdir, long_data):
    b = briefing(workdir, long_data, "{id: p, type: extruded, colour: '" + NCH + "', width: 50, height: 34}")
    assert not shown_small_numbers(draw(b))


def test_an_unknown_count_after_the_pivot_is_refused_at_its_line(workdir, long_data):
    head = HEAD.replace("    counts: [No central heating, All households]\n",
                        "    counts:\n      - All households\n      - No centrl heating\n      - indicator\n")
    path = write_scene(workdir, head.replace("{first}", long_data[0]) + "  - {id: p, type: text, text: hi, width: 20, height: 10}\n"
                                                                        "steps:\n  - {title: One, show: [p]}\n")
    lines = path.read_text().splitlines()
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 2, problems  # every unknown name at once; 'All households' is a pivoted column
    misspelt, before_pivot = problems
    line = lines.index("      - No centrl heating") + 1
    assert misspelt.startswith(f"{path}:{line}: datasets.mixed.counts[1]: no column 'No centrl heating' in heating_long.csv once pivoted")
    assert "(did you mean 'No central heating'?)" in misspelt and "'value', the pivot's values column" in misspelt
    assert before_pivot.startswith(f"{path}:{line + 1}: datasets.mixed.counts[2]: no column 'indicator'")  # gone once pivoted


def test_a_count_that_where_filtered_away_is_refused(workdir, long_data):
    head = HEAD.replace("    where: measure == \"Count\"\n    pivot: {columns: indicator, values: value}\n    counts: [value]\n",
                        "    where: measure == \"Count\"\n    pivot: {columns: indicator, values: value}\n"
                        "    counts: [Share without central heating]\n", 1)
    with pytest.raises(BridgeError, match=r"datasets\.homes\.counts\[0\]: no column 'Share without central heating' in "
                                          r"heating_long\.csv once pivoted"):
        briefing(workdir, long_data, "{id: p, type: text, text: hi, width: 20, height: 10}", head)


def draw_with(briefing, theme):
    from bridge.panels.common.canvas import draw_panel

    panel = briefing.scene.panels[0]
    return draw_panel(panel, briefing.contents[0], (900, 560), 20.0, panel.source or briefing.scene.source, theme)
