"""Table panels (bridge/panels/table.py): named columns, sorted, top rows."""

from tests.panels.helpers import assert_error_located, draw, scene_with


def test_table_sorted_top_rows_with_headings(workdir):
    b = scene_with(workdir, "  - {id: p, type: table, columns: {Area: areas.lsoa21_name, Share: older}, sort: Share, top: 4, width: 50, height: 30}\n")
    rows = b.contents[0].rows
    assert len(rows) == 4 and float(rows[0][1]) >= float(rows[-1][1])
    assert {"Area", "Share", rows[0][0]} <= set(draw(b).texts)


def test_table_sort_names_an_unknown_column(workdir):
    assert_error_located(workdir, "{id: p, type: table, columns: {A: older}, sort: B, width: 50, height: 30}", "no column 'B'")
