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


LONG = "a neighbourhood name far longer than any ward name, with its parish and district"  # 80 characters


def _with_long_names(workdir, panel: str):
    """A briefing whose only panel is `panel`, with dataset `long`: each area's name and LONG."""
    import pandas as pd

    from bridge.render.briefing import load_briefing
    from tests.conftest import write_scene
    from tests.panels.helpers import HEAD

    areas = pd.read_csv(workdir / "data" / "census21_age_shropshire.csv")
    pd.DataFrame({"lsoa21_code": areas["lsoa21_code"], "name": [f"{n}, {LONG}" for n in areas["lsoa21_name"]],
                  "essay": [f"{n}: " + " ".join([LONG] * 4) for n in areas["lsoa21_name"]]}).to_csv(workdir / "data" / "long.csv", index=False)
    head = HEAD.replace("derive:\n", "  long: {path: data/long.csv, key: lsoa21_code}\nderive:\n")
    return load_briefing(write_scene(workdir, head + f"  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n"))


def _cells(drawn, texts):
    return [(t, box) for t, box in drawn.text_boxes if t in texts]


def test_a_long_text_column_is_wrapped_within_the_panel_and_numbers_stay_right_aligned(workdir):
    b = _with_long_names(workdir, "{id: p, type: table, columns: {Name: long.name, People: people.total}, top: 5, width: 30, height: 20}")
    rows = b.contents[0].rows
    drawn = draw(b, size=(600, 400), ppd=20.0)
    names = [t for t in drawn.texts if t.replace("\n", " ") in {r[0] for r in rows}]
    assert len(names) == 5 and all(t.count("\n") == 1 for t in names)  # each whole, on two lines
    numbers = _cells(drawn, {r[1] for r in rows})
    assert len(numbers) == 5 and max(box[2] for _, box in numbers) - min(box[2] for _, box in numbers) < 1  # one right edge
    assert all(box[2] <= 600 for _, box in drawn.text_boxes)
    assert drawn.faults == [] and drawn.smallest_text_deg >= 0.6


def test_a_text_too_long_for_two_lines_is_shortened_with_an_ellipsis_as_a_last_resort(workdir):
    b = _with_long_names(workdir, "{id: p, type: table, columns: {Essay: long.essay, People: people.total}, top: 5, width: 30, height: 20}")
    drawn = draw(b, size=(600, 400), ppd=20.0)
    essays = [t for t in drawn.texts if t.startswith("Shropshire")]
    assert len(essays) == 5 and all(t.count("\n") == 1 and t.endswith("…") for t in essays)
    assert all(row[1] in drawn.texts for row in b.contents[0].rows)  # the numbers beside them are whole
    assert drawn.faults == [] and drawn.smallest_text_deg >= 0.6


def test_a_table_that_fits_on_one_line_per_row_is_not_wrapped(workdir):
    b = scene_with(workdir, "  - {id: p, type: table, columns: {Area: areas.lsoa21_name, People: people.total}, top: 5, width: 40, height: 20}\n")
    drawn = draw(b, size=(800, 400), ppd=20.0)
    assert not any("\n" in t for t in drawn.texts)
    ((_, (_, y0, _, y1)),) = _cells(drawn, {b.contents[0].rows[0][0]})
    # one line, grown from body size (1.3°) toward its box, never past halfway to the title's 2° (at 20 px/°)
    assert 1.3 * 20 - 1 <= y1 - y0 <= 1.65 * 20 + 1
    assert drawn.faults == []


def test_thirty_rows_shrink_toward_the_floor_before_any_is_left_out(workdir):
    b = scene_with(workdir, "  - {id: p, type: table, columns: {Area: areas.lsoa21_name, People: people.total}, top: 30, width: 40, height: 34}\n")
    drawn = draw(b, size=(800, 680), ppd=20.0)
    assert all(row[0] in drawn.texts for row in b.contents[0].rows)  # all thirty, …
    assert 0.6 <= drawn.smallest_text_deg < 1.3 and not any("shown" in t for t in drawn.texts)  # … smaller, no note
    assert drawn.faults == []


def test_thirty_rows_in_a_small_panel_show_the_top_ones_with_a_note(workdir):
    b = _with_long_names(workdir, "{id: p, type: table, title: Areas, columns: {Name: long.name, People: people.total}, sort: People, "
                                  "top: 30, width: 30, height: 20}")
    rows = b.contents[0].rows
    drawn = draw(b, size=(600, 400), ppd=20.0)
    shown = [r for r in rows if any(t.replace("\n", " ") == r[0] for t in drawn.texts)]
    assert 0 < len(shown) < 30 and shown == rows[:len(shown)]  # the top ones, in order
    assert f"top {len(shown)} of 30 rows shown" in drawn.texts
    assert drawn.faults == [] and drawn.smallest_text_deg >= 0.6


def test_columns_too_many_for_the_panel_at_the_floor_are_noted(workdir):
    columns = ", ".join(f"Column {k}: people.total * 1234567" for k in range(12))
    b = scene_with(workdir, f"  - {{id: p, type: table, columns: {{{columns}}}, top: 5, width: 30, height: 20}}\n")
    drawn = draw(b, size=(600, 400), ppd=20.0)
    note = next(t for t in drawn.texts if t.endswith("columns shown"))
    shown = int(note.split()[0])
    assert 0 < shown < 12 and f"Column {shown - 1}" in drawn.texts and f"Column {shown}" not in drawn.texts
    assert drawn.faults == [] and drawn.smallest_text_deg >= 0.6


def test_a_true_or_false_column_reads_yes_or_no(workdir):
    # people.total > 1600 compares a count: true or false is not a count of people, so it is not suppressed either
    b = scene_with(workdir, "  - {id: p, type: table, columns: {Area: areas.lsoa21_name, Older: older > 30, Big: people.total > 1600}, "
                            "top: 40, width: 50, height: 30}\n")
    content = b.contents[0]
    assert {r[1] for r in content.rows} == {"yes", "no"} and {r[2] for r in content.rows} == {"yes", "no"}
    assert content.suppressed_cells == 0
    assert {"yes", "no"} <= set(draw(b).texts)


def test_numbers_written_with_words_are_still_numbers(workdir):
    b = scene_with(workdir, "  - {id: p, type: table, columns: {Area: areas.lsoa21_name, People: people.total}, format: '{:,.0f} people', "
                            "top: 5, width: 40, height: 20}\n")
    assert b.contents[0].numeric == [False, True]


# --- a table fills its box: larger type where headings can wrap, rows spread, a hint when it cannot -----

WARDS = "  wards: {path: data/lsoa21_ward24_shropshire.csv, key: lsoa21_code}\nderive:\n"


def _table(workdir, panel: str):
    from bridge.render.briefing import load_briefing
    from tests.conftest import write_scene
    from tests.panels.helpers import HEAD

    return load_briefing(write_scene(workdir, HEAD.replace("derive:\n", WARDS) + f"  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n"))


def _room(drawn):
    """(top, bottom) in pixels from the picture's foot: from under the title to over the source line."""
    title = next(box for text, box in drawn.text_boxes if text == "Top areas")
    source = next(box for text, box in drawn.text_boxes if text.startswith("Source:"))
    return title[1], source[3]


def test_a_table_with_long_headings_wraps_them_for_larger_type_and_fills_its_box(workdir):
    columns = ("{Area: areas.lsoa21_name, Ward: wards.ward24_name, Older residents aged 65 and over: 'people[\"Aged 65 years and over\"]', "
               "All residents counted: people.total}")
    b = _table(workdir, f"{{id: p, type: table, title: Top areas, columns: {columns}, sort: All residents counted, top: 12, "
                        "width: 56, height: 36}")
    drawn = draw(b, size=(1120, 757), ppd=20.0)
    cells = [box for text, box in drawn.text_boxes if text in {r[0] for r in b.contents[0].rows}]
    assert len(cells) == 12
    assert min(box[3] - box[1] for box in cells) >= 1.1 * 20  # type over 1.1° (one line per heading gave 0.94°)
    assert any("\n" in text for text, _ in drawn.text_boxes if text.startswith("Older"))  # its heading on two lines
    top, bottom = _room(drawn)
    assert min(box[1] for box in cells) - bottom < 0.15 * (top - bottom)  # the last row near the foot of its room
    assert drawn.faults == [] and drawn.hints == []


def test_a_short_table_in_a_tall_panel_spreads_its_rows_and_hints_at_a_shorter_panel(workdir):
    b = _table(workdir, "{id: p, type: table, title: Top areas, columns: {Area: areas.lsoa21_name, People: people.total}, "
                        "sort: People, top: 3, width: 40, height: 40}")
    drawn = draw(b, size=(800, 800), ppd=20.0)
    rows = sorted(((box[1] + box[3]) / 2 for text, box in drawn.text_boxes if text in {r[0] for r in b.contents[0].rows}),
                  reverse=True)
    size = 1.65 * 20  # grown to its largest: halfway from body size to the title's
    assert len(rows) == 3 and all(a - b <= size * 2.5 + 1 for a, b in zip(rows, rows[1:]))  # at most 1.5 ems apart
    (hint,) = drawn.hints
    assert "of its room's height is empty" in hint and "a shorter panel would fit its content" in hint
    assert drawn.faults == []
