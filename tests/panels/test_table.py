"""Table panels (bridge/panels/table.py): named columns, sorted, top rows."""

import re

from tests.panels.helpers import assert_error_located, draw, scene_with


def test_table_sorted_top_rows_with_headings(workdir):
    b = scene_with(workdir, "  - {id: p, type: table, columns: {Area: areas.lsoa21_name, Share: older}, sort: Share, top: 4, width: 50, height: 30}\n")
    rows = b.contents[0].rows
    assert len(rows) == 4 and float(rows[0][1]) >= float(rows[-1][1])
    assert {"Area", "Share", rows[0][0]} <= set(draw(b).texts)


def test_table_sort_names_an_unknown_column(workdir):
    assert_error_located(workdir, "{id: p, type: table, columns: {A: older}, sort: B, width: 50, height: 30}", "no column 'B'")


def test_table_values_not_finite_are_gaps_and_reported(workdir):
    columns = "columns: {Area: areas.lsoa21_name, Ratio: people.total / (people.total > 1600)}"
    b = scene_with(workdir, f"  - {{id: p, type: table, {columns}, top: 40, format: '{{:,.0f}} people', width: 50, height: 30}}\n")
    rows = b.contents[0].rows
    assert any(r[1] == "–" for r in rows) and any(r[1].endswith(" people") for r in rows)
    assert not any("inf" in r[1] or "nan" in r[1] for r in rows)
    (warning,) = b.data.warnings
    assert "panels[0].columns.Ratio:" in str(warning) and "values are not finite" in str(warning)
    b = scene_with(workdir, f"  - {{id: p, type: table, {columns}, sort: Ratio, top: 3, width: 50, height: 30}}\n")
    assert all(r[1] != "–" for r in b.contents[0].rows)  # the gaps sort last, not first as infinity would


def test_table_unsafe_format_is_refused(workdir):
    assert_error_located(workdir, "{id: p, type: table, columns: {A: older}, format: '{0[0]}', width: 50, height: 30}", "names a field ('0[0]')")


def _column(rows, i):
    return [r[i] for r in rows]


def test_table_formats_each_column_once_by_what_it_holds(workdir):
    columns = ("columns: {Area: areas.lsoa21_name, People: people.total, Twice: people.total * 2, "
               "Share: older, Fraction: older / 100, Mixed: 'older / (1 + 9 * (older > 40))'}")
    b = scene_with(workdir, f"  - {{id: p, type: table, {columns}, sort: Share, top: 12, width: 70, height: 40}}\n")
    rows = b.contents[0].rows
    people, twice, share, fraction, mixed = (_column(rows, i) for i in range(1, 6))
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", cell) for cell in people + twice)  # a count, and whole numbers: integers
    assert any("," in cell for cell in people)  # thousands separated
    assert all(re.fullmatch(r"\d+\.\d", cell) for cell in share)  # 3 significant figures for 30–55: one decimal, every row
    assert all(re.fullmatch(r"0\.\d\d", cell) for cell in fraction)  # 0.30–0.55: two decimals
    assert all(re.fullmatch(r"\d+\.\d", cell) for cell in mixed)  # 3.1 and 54.7 alike: one number of decimals per column
    assert any(float(cell) < 10 for cell in mixed) and any(float(cell) >= 10 for cell in mixed)
    texts = draw(b, size=(1400, 800)).texts
    assert set(people + share + fraction) <= set(texts)


def test_table_explicit_format_is_kept_for_measures_and_counts_stay_integers(workdir):
    columns = "columns: {Area: areas.lsoa21_name, People: people.total, Share: older}"
    b = scene_with(workdir, f"  - {{id: p, type: table, {columns}, sort: Share, top: 5, format: '{{:.3f}} %', width: 50, height: 30}}\n")
    rows = b.contents[0].rows
    assert all(re.fullmatch(r"\d+\.\d{3} %", r[2]) for r in rows)
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", r[1]) for r in rows)
    assert {rows[0][2], rows[0][1]} <= set(draw(b).texts)


def test_table_counts_are_integers_around_suppressed_cells(workdir):
    columns = "columns: {Area: areas.lsoa21_name, Few: people.total - 1500}"  # a difference of counts is a count
    b = scene_with(workdir, f"  - {{id: p, type: table, {columns}, top: 40, width: 50, height: 40}}\n")
    cells = _column(b.contents[0].rows, 1)
    assert cells.count("suppressed") == b.contents[0].suppressed_cells >= 1
    assert all(c == "suppressed" or re.fullmatch(r"-?\d{1,3}(,\d{3})*", c) for c in cells), cells
    assert "suppressed" in draw(b, size=(900, 900)).texts
