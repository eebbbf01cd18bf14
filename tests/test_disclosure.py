"""Disclosure control (bridge/data/disclosure.py): small counts of people are never shown; ratios are."""

import re

import numpy as np
import pandas as pd

from bridge.data.disclosure import is_count, suppression_mask
from bridge.render.briefing import load_briefing
from tests.conftest import BASE, brief, write_scene

SMALL = re.compile(r"(?<![\d.,])3(?![\d.,%])")


def test_a_count_of_three_never_appears(workdir):
    frame = pd.read_csv(workdir / "data" / "census21_age_shropshire.csv")
    frame.loc[0, "Aged 65 years and over"] = 3
    frame.to_csv(workdir / "data" / "census21_age_shropshire.csv", index=False)
    code = frame.loc[0, "lsoa21_code"]
    panels = (
        "  - {id: p, type: map, colour: 'people[\"Aged 65 years and over\"]', width: 50, height: 30}\n"
        "  - {id: b, type: bar, value: 'people[\"Aged 65 years and over\"]', label: areas.lsoa21_name, order: ascending, top: 5, width: 50, height: 30}\n"
        "  - {id: k, type: kpi, value: 'min(people[\"Aged 65 years and over\"])', width: 30, height: 10}\n"
        "  - {id: t, type: table, columns: {Area: areas.lsoa21_code, Older: 'people[\"Aged 65 years and over\"]'}, top: 5, width: 50, height: 30}\n"
    )
    b = brief(workdir, panels=panels)
    assert b.contents[0].suppressed.sum() == 1 and b.contents[1].suppressed[0] and b.contents[2].suppressed
    table_cells = {row[0]: row[1] for row in b.contents[3].rows}
    assert table_cells[code] == "suppressed" and b.contents[3].suppressed_cells == 1
    from bridge.panels.common.canvas import draw_panel

    for i, panel in enumerate(b.scene.panels):
        drawn = draw_panel(panel, b.contents[i], (1000, 700), 20.0, None)
        shown = [t for t in drawn.texts if SMALL.search(t)]
        assert not shown, f"{panel.id} shows {shown}"
        assert any("suppressed" in t for t in drawn.texts), panel.id


def test_ratios_are_not_suppressed(workdir):
    b = brief(workdir, derive="derive:\n  share: 100 * people[\"Aged 65 years and over\"] / people.total\n",
              panels="  - {id: p, type: map, colour: share, width: 50, height: 30}\n")
    assert not b.contents[0].suppressed.any()
    assert is_count(b.data, 'sum(people["Aged 65 years and over"])') and not is_count(b.data, "share")


def test_is_count_only_for_declared_counts_added_or_summed(workdir):
    b = brief(workdir)
    older, young = 'people["Aged 65 years and over"]', 'people["Aged 15 years and under"]'
    assert is_count(b.data, "people.total")
    assert is_count(b.data, f"{older} + people.total") and is_count(b.data, f"people.total - {older}")
    assert is_count(b.data, f"max({older})")
    assert not is_count(b.data, young)  # not declared under counts:
    assert not is_count(b.data, f"people.total + {young}")  # one undeclared column is enough
    assert not is_count(b.data, f"{older} / people.total") and not is_count(b.data, f"2 * {older}")
    assert not is_count(b.data, "1")  # no column at all
    assert not is_count(b.data, "people.total > 1600") and not is_count(b.data, f"not ({older} > 3)")  # yes/no answers
    assert is_count(b.data, f"sum({older}, where=people.total > 1600)")  # a condition only picks rows


def test_suppression_mask_hides_one_up_to_min_count_minus_one(workdir):
    b = brief(workdir)
    assert b.data.min_count == 5
    values = [0, 1, 4, 5, 120, np.nan]
    assert suppression_mask(b.data, values, True).tolist() == [False, True, True, False, False, False]
    assert not suppression_mask(b.data, values, False).any()  # not a count of people: nothing hidden
    stricter = load_briefing(write_scene(workdir, BASE.replace("title: Data\n", "title: Data\ndisclosure: {min_count: 10}\n")
                                         + "panels:\n  - {id: p, type: text, text: hi, width: 20, height: 10}\n"
                                         "steps:\n  - {title: One, show: [p]}\n"))
    assert suppression_mask(stricter.data, [5, 9, 10], True).tolist() == [True, True, False]


def test_totals_and_filtered_sums_of_counts_are_counts(workdir):
    b = brief(workdir)
    older, young = 'people["Aged 65 years and over"]', 'people["Aged 15 years and under"]'
    assert is_count(b.data, f"total({older}, people.total)")
    assert is_count(b.data, 'total(people, "Aged 65*", "total")')  # every column the patterns match is a count
    assert not is_count(b.data, 'total(people, "Aged *")')  # takes in undeclared age bands
    assert not is_count(b.data, f"total({older}, {young})")
    # where= only picks rows: its columns and operators do not make a count a ratio
    for name in ("sum", "max", "min"):
        assert is_count(b.data, f'{name}({older}, where=people.lsoa21_name == "Shropshire 027A")'), name
    assert is_count(b.data, f"sum({older}, where=people.total / 2 > 100 and {young} > 0)")
    assert is_count(b.data, f'sum({older}, where=contains(areas.lsoa21_name, "027"))')
    assert not is_count(b.data, f"sum({young}, where=people.total > 0)")  # the value is not a count
    assert not is_count(b.data, f"sum({older}, where=people.total > 0) / 2")


def test_new_functions_of_counts_are_not_counts(workdir):
    b = brief(workdir)
    older = 'people["Aged 65 years and over"]'
    for text in [f"rank({older})", f"percentile({older})", f"std({older})", f"zscore({older})",
                 f"mean({older}, where=people.total > 0)", f"median({older}, where=people.total > 0)",
                 f"first({older})", "left(people.lsoa21_name, 3)", 'split(people.lsoa21_name, " ", 0)',
                 'contains(people.lsoa21_name, "0")', f"total({older}, people.total) * 2"]:
        assert not is_count(b.data, text), text


def test_filtered_sums_and_totals_of_small_counts_are_suppressed(workdir):
    frame = pd.read_csv(workdir / "data" / "census21_age_shropshire.csv")
    frame.loc[0, "Aged 65 years and over"] = 3
    frame.loc[1, "Aged 65 years and over"] = 2
    frame.to_csv(workdir / "data" / "census21_age_shropshire.csv", index=False)
    code = frame.loc[0, "lsoa21_code"]
    older = 'people["Aged 65 years and over"]'
    panels = (
        f"  - {{id: p, type: kpi, value: 'sum({older}, where=areas.lsoa21_code == \"{code}\")', width: 30, height: 10}}\n"
        f"  - {{id: m, type: map, colour: 'total({older}, {older})', width: 50, height: 30}}\n"
        f"  - {{id: r, type: map, colour: 'rank({older})', width: 50, height: 30}}\n"
    )
    b = brief(workdir, panels=panels)
    assert b.contents[0].value == 3 and b.contents[0].suppressed
    assert b.contents[1].suppressed.sum() == 1  # 2 + 2 = 4 is hidden; 3 + 3 = 6 is not small
    assert not b.contents[2].suppressed.any()  # a rank is not a count of people


def test_disclosure_follows_what_is_counted_not_how_it_is_written(workdir):
    """Areas are not people: counting the areas that meet a condition is the same areas however it
    is phrased, and never suppressed; counting rows that are people is a count of people."""
    older = 'people["Aged 65 years and over"]'
    b = brief(workdir)
    assert not is_count(b.data, f"count({older}, where={older} > 400)")  # how many areas
    assert not is_count(b.data, f"sum({older} > 400)")  # the same areas, written as a sum of yes/no
    assert not is_count(b.data, "count(people.lsoa21_name)")
    assert is_count(b.data, f"sum({older}, where={older} > 400)")  # the people in those areas
    patients = ("  patients: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: EPSG:27700},"
                " personal: true, join: false}\n")
    p = brief(workdir, patients)
    assert is_count(p.data, "count(patients.easting)", "patients")  # one row per person: a count of people
    assert not is_count(p.data, "mean(patients.easting)", "patients")


def test_points_counted_per_area_are_people_only_when_the_points_are(workdir):
    places = ("  places: {path: data/lsoa21_centroids_shropshire.csv, points: {x: easting, y: northing, crs: EPSG:27700},"
              " aggregate: {count: n}}\n")
    assert ("places", "n") not in brief(workdir, places).data.counts  # GP surgeries, schools: places, not people
    people = places.replace("aggregate:", "personal: true, aggregate:")
    assert ("places", "n") in brief(workdir, people).data.counts
