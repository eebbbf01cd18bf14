"""The analysts' visuals drawn, said and under disclosure control: colours where the bars, slices
and tiles should be, in proportion to their values; the text version's numbers as drawn; small
counts of people (and every total or share that would give one away) suppressed."""

import numpy as np
import pytest

from bridge.panels.common.series import colours
from bridge.panels.common.slices import squarify
from bridge.theme import DEFAULT_THEME as THEME
from tests.panels.visuals import ROWS, draw, mask, scene, text_version

TWO = "where: 'year == 2021 and tenure != \"Social\"'"  # Owned and Rented in 2021: no small counts


def _column_runs(image, colour, column):
    rows = np.flatnonzero(mask(image[:, column], colour))
    return rows.min(), rows.max(), len(rows)


def test_a_two_series_stacked_column_has_both_colours_in_order_and_in_proportion(workdir):
    b = scene(workdir, f"{{id: p, type: column, data: homes, label: ward, series: tenure, value: households, {TWO}, "
                       "width: 40, height: 24}")
    content = b.contents[0]
    assert content.categories == ["Castle", "Abbey", "Bowbrook"] and content.series == ["Owned", "Rented"]
    image = draw(b).image
    first, second = colours(THEME, 2)
    owned = mask(image, first)
    x = int(np.argmax(owned.sum(axis=0)))  # inside Castle's column, the tallest (not the legend's swatch)
    top1, bottom1, n1 = _column_runs(image, first, x)
    top2, bottom2, n2 = _column_runs(image, second, x)
    assert bottom2 < top1  # Rented (second) stacked above Owned (first); rows grow downwards
    assert n1 / n2 == pytest.approx(120 / 60, rel=0.08)  # Castle: 120 owned, 60 rented


def test_clustered_columns_stand_side_by_side_from_the_same_foot(workdir):
    b = scene(workdir, f"{{id: p, type: column, stack: clustered, data: homes, label: ward, series: tenure, "
                       f"value: households, {TWO}, width: 40, height: 24}}")
    image = draw(b).image
    first, second = colours(THEME, 2)
    cols1, cols2 = np.flatnonzero(mask(image, first).any(axis=0)), np.flatnonzero(mask(image, second).any(axis=0))
    assert cols1.min() < cols2.min()  # the first series left of the second in each cluster
    foot1 = np.flatnonzero(mask(image, first).any(axis=1)).max()
    foot2 = np.flatnonzero(mask(image, second).any(axis=1)).max()
    assert abs(int(foot1) - int(foot2)) <= 1


def test_a_small_count_is_suppressed_in_a_stack_and_its_total(workdir):
    b = scene(workdir, "{id: p, type: column, data: homes, label: ward, series: tenure, value: households, "
                       "where: year == 2021, width: 40, height: 24}")
    content = b.contents[0]
    abbey = content.categories.index("Abbey")
    assert content.suppressed[abbey].tolist() == [False, False, True]  # Abbey's 3 social homes
    rows = {r[0]: r for r in text_version(b)["tables"][0]["rows"]}
    assert rows["Abbey"] == ["Abbey", "90", "30", "suppressed", "suppressed"]  # its total would give the 3 away
    assert rows["Castle"][-1] == "200"
    drawn = draw(b)
    assert "1 small count suppressed" in drawn.texts
    third = colours(THEME, 3)[2]
    x_abbey = int(np.median(np.flatnonzero(mask(drawn.image, colours(THEME, 3)[1]).any(axis=0))))  # middle column
    assert not mask(drawn.image[:, x_abbey - 3:x_abbey + 3], third).any()  # no social segment drawn on Abbey


def test_percent_stacks_suppress_the_whole_column_with_a_small_count(workdir):
    b = scene(workdir, "{id: p, type: column, stack: percent, data: homes, label: ward, series: tenure, value: households, "
                       "where: year == 2021, width: 40, height: 24}")
    content = b.contents[0]
    abbey = content.categories.index("Abbey")
    assert content.suppressed[abbey].all() and not content.suppressed[content.categories.index("Castle")].any()
    assert "1 small count suppressed (and 2 values with it)" in draw(b).texts


def test_an_area_chart_orders_periods_and_stacks(workdir):
    b = scene(workdir, "{id: p, type: area, stack: stacked, data: homes, x: year, y: households, series: tenure, "
                       "width: 40, height: 24}")
    entry = text_version(b)
    table = entry["tables"][0]
    assert [r[0] for r in table["rows"]] == ["2021", "2022"]
    assert table["rows"][0][-1] == "443" and table["rows"][1][-1] == "270"
    assert draw(b).faults == []


def test_a_combo_reads_its_line_on_the_right_axis(workdir):
    b = scene(workdir, "{id: p, type: combo, data: homes, label: ward, value: households, line: rate, line_group: mean, "
                       "line_label: mean rate, where: year == 2021, width: 40, height: 24}")
    table = text_version(b)["tables"][0]
    assert table["headings"][-1] == "mean rate"
    rows = {r[0]: r for r in table["rows"]}
    assert rows["Castle"][1:] == ["200", "5.0"] and rows["Abbey"][1:] == ["123", "4.5"]
    drawn = draw(b)
    assert mask(drawn.image, THEME.mark).sum() > 50 and drawn.faults == []  # the line, in the theme's mark colour


def _ring_shares(image, palette):
    left = image[:, : image.shape[1] // 2]
    counts = np.array([mask(left, col, tol=6).sum() for col in palette], dtype=float)
    return counts / counts.sum()


def test_donut_slices_are_in_proportion_to_their_values(workdir):
    b = scene(workdir, "{id: p, type: donut, data: homes, label: tenure, value: households, width: 40, height: 24}")
    content = b.contents[0]
    assert content.categories == ["Owned", "Rented", "Social"]
    values = content.values[:, 0] / content.values.sum()
    shares = _ring_shares(draw(b, size=(800, 480)).image, colours(THEME, 3))
    assert shares == pytest.approx(values, abs=0.02)
    pie = scene(workdir, "{id: p, type: donut, hole: 0, data: homes, label: tenure, value: households, width: 40, height: 24}")
    assert _ring_shares(draw(pie, size=(800, 480)).image, colours(THEME, 3)) == pytest.approx(values, abs=0.02)


def test_a_suppressed_slice_is_left_out_and_so_is_the_total(workdir):
    b = scene(workdir, "{id: p, type: donut, data: homes, label: tenure, value: households, where: ward == \"Abbey\", "
                       "unit: homes, width: 40, height: 24}")
    entry = text_version(b)
    rows = {r[0]: r for r in entry["tables"][0]["rows"]}
    assert rows["Social"][1:] == ["suppressed", "suppressed"] and entry["text"] == ["Total: suppressed."]
    drawn = draw(b)
    assert "suppressed" in drawn.texts and not any("homes" in t for t in drawn.texts)
    assert not mask(drawn.image[:, :400], colours(THEME, 3)[2], tol=6).any()


def test_squarified_rectangles_tile_the_box_with_areas_in_proportion():
    values = [6, 6, 4, 3, 2, 2, 1]
    boxes = squarify(values, 0, 0, 6, 4)
    areas = [w * h for _, _, w, h in boxes]
    assert areas == pytest.approx([v * 24 / sum(values) for v in values])
    assert all(0 <= x and x + w <= 6 + 1e-9 and 0 <= y and y + h <= 4 + 1e-9 for x, y, w, h in boxes)
    worst = max(max(w / h, h / w) for _, _, w, h in boxes)
    assert worst < 3  # squarified: no sliver


def test_treemap_tiles_are_in_proportion_and_a_suppressed_one_is_left_out(workdir):
    b = scene(workdir, "{id: p, type: treemap, data: homes, label: tenure, value: households, width: 40, height: 24}")
    counts = np.array([mask(draw(b).image, col, tol=6).sum() for col in colours(THEME, 3)], dtype=float)
    values = b.contents[0].values[:, 0]
    assert counts / counts.sum() == pytest.approx(values / values.sum(), abs=0.03)
    b = scene(workdir, "{id: p, type: treemap, data: homes, label: tenure, value: households, where: ward == \"Abbey\", "
                       "width: 40, height: 24}")
    assert not mask(draw(b).image, colours(THEME, 3)[2], tol=6).any()
    assert "suppressed" in text_version(b)["tables"][0]["rows"][2]


def test_a_gauge_fills_to_its_value_and_suppresses_a_small_count(workdir):
    b = scene(workdir, "{id: p, type: gauge, data: homes, value: sum(households), max: 1000, target: 800, "
                       "target_label: target, width: 40, height: 24}")
    entry = text_version(b)
    assert entry["value"] == "713" and "from 0 to 1,000; target 800" in entry["text"][0]
    drawn = draw(b)
    filled, track = mask(drawn.image, THEME.accent).sum(), mask(drawn.image, THEME.border, tol=4).sum()
    assert filled / (filled + track) == pytest.approx(0.713, abs=0.05)
    small = scene(workdir, "{id: p, type: gauge, data: homes, value: 'sum(households, where=homes.households < 5)', "
                           "max: 10, width: 40, height: 24}")
    assert text_version(small)["value"] == "suppressed"
    assert mask(draw(small).image, THEME.accent).sum() == 0


def test_cards_write_each_rows_numbers_and_suppress_small_counts(workdir):
    b = scene(workdir, "{id: p, type: cards, data: homes, label: ward, values: {Social homes: households}, "
                       "where: tenure == \"Social\", width: 40, height: 24}")
    rows = {r[0]: r[1] for r in text_version(b)["tables"][0]["rows"]}
    assert rows == {"Castle": "20", "Abbey": "suppressed", "Bowbrook": "40"}
    drawn = draw(b)
    assert {"20", "40", "suppressed"} <= set(drawn.texts) and "3" not in drawn.texts


def test_a_matrix_suppresses_cells_and_every_total_that_would_give_them_away(workdir):
    b = scene(workdir, "{id: p, type: matrix, data: homes, group: ward, label: tenure, values: {Homes: households}, "
                       "where: year == 2021, width: 40, height: 30}")
    rows = text_version(b)["tables"][0]["rows"]
    assert rows == [["Castle", "Owned", "120"], ["", "Rented", "60"], ["", "Social", "20"], ["Castle total", "", "200"],
                    ["Abbey", "Owned", "90"], ["", "Rented", "30"], ["", "Social", "suppressed"],
                    ["Abbey total", "", "suppressed"],  # 123 less 90 and 30 would give the 3 away
                    ["Bowbrook", "Owned", "40"], ["", "Rented", "40"], ["", "Social", "40"], ["Bowbrook total", "", "120"],
                    ["Total", "", "suppressed"]]  # 443 less the other subtotals would give Abbey's 123 away
    drawn = draw(b, size=(800, 600))
    assert "3" not in drawn.texts and "123" not in drawn.texts and "443" not in drawn.texts and drawn.faults == []


def test_a_matrix_subtotal_that_is_itself_a_small_count_is_suppressed_with_the_total(workdir):
    b = scene(workdir, "{id: p, type: matrix, data: homes, group: tenure, label: ward, values: {Homes: households}, "
                       "where: 'year == 2021 and households < 5', total: true, width: 40, height: 30}")
    rows = text_version(b)["tables"][0]["rows"]
    assert ["Social total", "", "suppressed"] in rows and rows[-1] == ["Total", "", "suppressed"]


def test_scatter_places_points_and_leaves_out_small_counts(workdir):
    b = scene(workdir, "{id: p, type: scatter, data: homes, x: households, y: rate, category: tenure, label: ward, "
                       "width: 40, height: 24}")
    content = b.contents[0]
    assert content.suppressed == 1 and len(content.x) == len(ROWS) - 1
    entry = text_version(b)
    table = entry["tables"][0]
    assert "1 point(s) suppressed" in table["note"] and not any(r[1] == "3" for r in table["rows"])
    assert "1 point(s) are not drawn" in entry["text"][0]
    drawn = draw(b)
    assert all(mask(drawn.image, col).sum() > 20 for col in colours(THEME, 3)) and drawn.faults == []


def test_a_parameter_filters_a_visual(workdir):
    params = "params:\n  ward: {type: choice, values: [Castle, Abbey, Bowbrook], default: Castle}\n"
    b = scene(workdir, "{id: p, type: donut, data: homes, label: tenure, value: households, "
                       "where: 'ward == params.ward and year == 2021', width: 40, height: 24}", params)
    assert b.contents[0].values[:, 0].tolist() == [120, 60, 20]  # Castle, as the default says
    assert text_version(b)["text"] == ["Total: 200."]


@pytest.mark.parametrize("panel, where, fragment", [
    ("type: gauge, data: homes, value: sum(households), min: 10, max: 5", "panels[0].max", "must be larger than min (10)"),
    ("type: cards, data: homes, label: ward, values: {Homes: households}, sort: Homs", "panels[0].sort",
     "no heading 'Homs' (did you mean 'Homes'?)"),
    ("type: column, stack: percent, data: homes, label: ward, value: households - 100", "panels[0].value",
     "stack: percent needs values of zero or more"),
    ("type: donut, data: homes, label: ward, value: households - 100", "panels[0].value", "parts of a whole must be zero"),
    ("type: area, data: homes, x: ward, y: households, where: ward == \"Abbey\"", "panels[0].x", "at least two periods"),
])
def test_bad_values_are_located_errors_saying_how_to_fix_them(workdir, panel, where, fragment):
    from bridge.errors import BridgeError

    with pytest.raises(BridgeError) as info:
        scene(workdir, "{id: p, width: 40, height: 24, " + panel + "}")
    message = str(info.value)
    assert f"scene.yaml:8: {where}: " in message and fragment in message, message


def test_horizontal_columns_are_bars_largest_on_top(workdir):
    b = scene(workdir, f"{{id: p, type: column, orientation: horizontal, data: homes, label: ward, series: tenure, "
                       f"value: households, {TWO}, width: 40, height: 24}}")
    drawn = draw(b)
    first = mask(drawn.image, colours(THEME, 2)[0])
    widths = first.sum(axis=1)  # the Owned segments' lengths per row of pixels
    rows = np.flatnonzero(widths > 25)  # bars, not the legend's swatch
    top, bottom = widths[rows[:5]].mean(), widths[rows[-5:]].mean()
    assert top / bottom == pytest.approx(120 / 40, rel=0.1)  # Castle (120 owned) on top, Bowbrook (40) at the foot
    labels = [t for t in drawn.texts if t in ("Castle", "Abbey", "Bowbrook")]
    boxes = {t: box for t, box in drawn.text_boxes if t in labels}
    assert boxes["Castle"][1] > boxes["Abbey"][1] > boxes["Bowbrook"][1] and drawn.faults == []  # y up


def test_an_overlapping_area_leaves_a_gap_for_a_suppressed_count(workdir):
    b = scene(workdir, "{id: p, type: area, data: homes, x: ward, y: households, series: tenure, "
                       "where: year == 2021, width: 40, height: 24}")
    content = b.contents[0]
    assert content.suppressed.sum() == 1 and "1 small count suppressed" in draw(b).texts
    assert "suppressed" in [cell for row in text_version(b)["tables"][0]["rows"] for cell in row]
