"""Table panels (bridge/panels/table.py): named columns, sorted, top rows."""

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
