"""Map panels (bridge/panels/map.py): classes, legend, labels, raster underlay, located refusals."""

import re

import numpy as np
import pytest

from bridge.errors import BridgeError
from bridge.panels.common.canvas import palette
from bridge.render.briefing import load_briefing
from tests.conftest import MINIMAL, write_scene
from tests.panels.helpers import THEME, assert_error_located, draw, scene_with, share_of


def test_map_colours_every_class_and_has_a_legend(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, legend: '% aged 65+', outline: county, labels: 3, width: 50, height: 30}\n")
    drawn = draw(b)
    for colour in palette("viridis", 5):
        assert share_of(drawn.image, colour) > 0.002, "a class colour is missing from the map"
    assert "% aged 65+" in drawn.texts
    assert sum(bool(re.match(r"[\d.]+ – [\d.]+", t)) for t in drawn.texts) == 5  # five class labels
    assert drawn.smallest_text_deg >= 0.6


def test_map_labels_do_not_cover_each_other(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, labels: 12, label: areas.lsoa21_name, width: 40, height: 26}\n")
    drawn = draw(b, size=(800, 520))
    names = set(b.contents[0].labels)
    boxes = [box for text, box in drawn.text_boxes if text in names]
    assert 4 <= len(boxes) <= 12
    for i, (ax0, ay0, ax1, ay1) in enumerate(boxes):
        for bx0, by0, bx1, by1 in boxes[i + 1:]:
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, "two labels overlap"


def test_map_raster_underlay(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, raster: {path: data/indoors_shropshire.tif, opacity: 1}, width: 50, height: 30}\n")
    assert b.contents[0].raster[0].shape[2] == 3
    x0, y0, x1, y1 = b.contents[0].raster[1]
    assert 300000 < x0 < x1 < 400000 and 250000 < y0 < y1 < 350000  # GeoTIFF bounds in BNG metres
    drawn = draw(b)
    assert share_of(drawn.image, "#000004", tol=40) + share_of(drawn.image, palette("inferno", 5)[2], tol=40) > 0.01


def test_a_raster_underlay_is_shown_only_within_the_areas(workdir):
    # The GeoTIFF is a rectangle round the county, black beyond it: clipped to the areas, its
    # corners are the card's colour, not a black box (they were 16% of the panel).
    b = scene_with(workdir, "  - {id: p, type: map, raster: {path: data/indoors_shropshire.tif, opacity: 1}, width: 50, height: 30}\n")
    drawn = draw(b)
    assert share_of(drawn.image, "#000000", tol=8) < 0.02
    assert share_of(drawn.image, THEME.card, tol=4) > 0.6


def test_map_needs_polygons(workdir):
    text = MINIMAL.replace("steps:", "  - {id: m, type: map, data: people, colour: total, width: 20, height: 10}\nsteps:")
    with pytest.raises(BridgeError, match="a map needs polygons"):
        load_briefing(write_scene(workdir, text))


@pytest.mark.parametrize("panel,fragment", [
    ("{id: p, type: map, colour: older, palette: viridos, width: 50, height: 30}", "unknown palette 'viridos' (did you mean 'viridis'?)"),
    ("{id: p, type: map, colour: older, width: 1, height: 30}", "the panel is too small for its content"),
    ("{id: p, type: map, data: people, colour: older, width: 50, height: 30}", "a map needs polygons"),
])
def test_map_errors_are_located(workdir, panel, fragment):
    assert_error_located(workdir, panel, fragment)


def _legend_labels(texts):
    return [t for t in texts if re.fullmatch(r"-?[\d,.]+ – -?[\d,.]+", t)]


def test_map_legend_has_one_number_of_decimals_chosen_from_its_breaks(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, legend: '% aged 65+', width: 50, height: 30}\n")
    labels = _legend_labels(draw(b).texts)
    assert len(labels) == 5
    numbers = [n for label in labels for n in label.split(" – ")]
    assert all(re.fullmatch(r"\d+\.\d", n) for n in numbers), labels  # e.g. 5.6 – 20.1, never 5.62 – 20.1
    assert len(set(numbers)) == 6  # every break distinct


def test_map_legend_of_counts_is_in_integers(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: 'people[\"Aged 65 years and over\"] * 0.37', width: 50, height: 30}\n")
    assert not b.contents[0].count  # a count times a share is not declared a count …
    b = scene_with(workdir, "  - {id: p, type: map, colour: 'people[\"Aged 65 years and over\"] + 0.5', width: 50, height: 30}\n")
    assert b.contents[0].count  # … a count plus a constant is one
    labels = _legend_labels(draw(b).texts)
    assert len(labels) == 5 and all(re.fullmatch(r"[\d,]+ – [\d,]+", label) for label in labels), labels


def test_map_legend_with_whole_fixed_breaks_is_in_integers(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, classes: {method: fixed, breaks: [20, 25, 30]}, width: 50, height: 30}\n")
    labels = _legend_labels(draw(b).texts)
    assert len(labels) == 4 and all(re.fullmatch(r"\d+ – \d+", label) for label in labels), labels
    assert "20 – 25" in labels and "25 – 30" in labels


def test_legend_labels_share_their_decimals():
    from bridge.panels.map import legend_labels

    assert legend_labels([6.41, 10.2, 15.7]) == ["6.4 – 10.2", "10.2 – 15.7"]
    assert legend_labels([8.87, 51.87, 275.69], count=True) == ["9 – 52", "52 – 276"]
    assert legend_labels([1234.5, 5678.9, 12345.6]) == ["1,234 – 5,679", "5,679 – 12,346"]


# --- fitting the legend and labels to the panel, measured as drawn ---------------------------

LONG_LEGEND = "households in fuel poverty as a share of all households here"  # 60 characters


def _drawn_map(b, size=(900, 560), ppd=20.0):
    """The map drawn on a canvas: (canvas, map axes, legend), the figure drawn."""
    from bridge.panels.common.canvas import Canvas
    from tests.panels.helpers import THEME

    c = Canvas(size, ppd, THEME)
    b.scene.panels[0].draw(c, b.contents[0], b.scene.source, frozenset())
    c.draw()
    ax = c.fig.axes[0]
    return c, ax, (c.fig.legends[0] if c.fig.legends else None)


def _inside(box, outer, slack=1.0):
    return (box.x0 >= outer.x0 - slack and box.x1 <= outer.x1 + slack
            and box.y0 >= outer.y0 - slack and box.y1 <= outer.y1 + slack)


def test_a_60_character_legend_title_is_wrapped_within_the_panel_and_does_not_cover_the_map(workdir):
    assert len(LONG_LEGEND) == 60
    b = scene_with(workdir, f"  - {{id: p, type: map, colour: older, legend: '{LONG_LEGEND}', width: 45, height: 30}}\n")
    c, ax, legend = _drawn_map(b)
    renderer = c.canvas.get_renderer()
    title = legend.get_title()
    assert "\n" in title.get_text() and title.get_text().replace("\n", " ") == LONG_LEGEND  # wrapped, every word kept
    entries = max(t.get_window_extent(renderer).x1 for t in legend.get_texts()) - legend.get_window_extent(renderer).x0
    assert title.get_window_extent(renderer).width <= max(entries, 14 * c.ppd) + 1  # as wide as the entries (or 14°)
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1  # the map gives way
    assert c.layout_faults() == []


def test_wide_legend_entries_narrow_the_map_rather_than_cover_it(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: 'older * 100000000', legend: share, width: 50, height: 30}\n")
    c, ax, legend = _drawn_map(b)
    renderer = c.canvas.get_renderer()
    assert any(len(t.get_text()) > 25 for t in legend.get_texts())  # e.g. "1,234,567,890 – 2,345,678,901"
    room = (1 - 16 * c.ppd / c.w - 2 * c.ppd / c.w)  # what the map had before it measured its legend
    assert ax.get_position(original=True).width < room - 0.01
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    assert c.layout_faults() == []


def test_nine_classes_on_a_small_map_shrink_toward_the_floor_to_fit_its_height(workdir):
    from bridge.theme import MIN_TEXT_DEG

    title = "A title long enough to take three lines of a small panel's width, pushing the legend down"
    b = scene_with(workdir, f"  - {{id: p, type: map, title: \"{title}\", colour: older, legend: per cent, "
                            "classes: {count: 9}, width: 30, height: 20}\n")
    c, ax, legend = _drawn_map(b, size=(600, 400))
    renderer = c.canvas.get_renderer()
    sizes = {t.get_fontsize() / (c.ppd * 0.72) for t in legend.get_texts()}
    assert len(legend.get_texts()) == 9
    assert all(MIN_TEXT_DEG - 1e-9 <= s < c.theme.body_deg for s in sizes)  # smaller, never below the floor
    assert _inside(legend.get_window_extent(renderer), c.fig.bbox)
    assert c.layout_faults() == []


def test_long_labels_are_wrapped_and_kept_inside_the_map_apart_from_each_other(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, labels: 12, label: areas.lsoa21_name, width: 50, height: 30}\n")
    content = b.contents[0]
    content.labels = [f"{name}, a neighbourhood name far longer than any ward name, with its parish" for name in content.labels]
    c, ax, _ = _drawn_map(b)
    renderer = c.canvas.get_renderer()
    area = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_text()]
    assert 2 <= len(labels) <= 12
    assert all("\n" in t.get_text() for t in labels)  # wrapped, not one line across the panel
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert all(_inside(box, area) for box in boxes)
    for i, a in enumerate(boxes):
        for other in boxes[i + 1:]:
            assert not a.overlaps(other), "two labels overlap"
    assert c.layout_faults() == []


def test_labels_are_placed_where_the_equal_aspect_draws_the_map(workdir):
    """A wide, short panel: the equal aspect narrows the map's axes at draw time.  Labels placed
    before that would be checked for overlap in the wrong places; their rounded boxes touch."""
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, labels: 12, label: areas.lsoa21_name, width: 90, height: 24}\n")
    c, ax, _ = _drawn_map(b, size=(1800, 480))
    renderer = c.canvas.get_renderer()
    area = ax.get_window_extent(renderer)
    boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts if t.get_text()]  # the rounded boxes
    assert len(boxes) >= 4
    assert all(_inside(box, area) for box in boxes)
    for i, a in enumerate(boxes):
        for other in boxes[i + 1:]:
            assert not a.overlaps(other), "two labels' boxes touch"


def test_mark_top_never_picks_a_suppressed_area(workdir):
    import numpy as np

    from bridge.scene.model import Mark

    b = scene_with(workdir, "  - {id: p, type: map, colour: older, width: 50, height: 30}\n")
    panel, content = b.scene.panels[0], b.contents[0]
    order = np.argsort(-content.values)
    content.suppressed[order[:3]] = True  # the three highest raw values are suppressed
    picked = panel.marked_rows(b.data, content, Mark(top=3), ("panels", 0), ("steps", 0, "mark", "p"))
    assert picked == {content.keys[k] for k in order[3:6]}


def test_focus_zooms_to_the_chosen_areas_and_dims_the_rest(workdir):
    whole = scene_with(workdir, "  - {id: p, type: map, colour: people.total, width: 40, height: 30}\n")
    focused = scene_with(workdir, "  - {id: p, type: map, colour: people.total, width: 40, height: 30,"
                                  " focus: 'areas.lsoa21_name == \"Shropshire 027A\"'}\n")
    content = focused.contents[0]
    assert content.focus.sum() == 1 and content.focus.size == 198
    big, small = draw(whole).image.astype(int), draw(focused).image.astype(int)
    # One area zoomed to fills much of the map; the dimmed rest is darker than any class colour.
    assert not (big == small).all()
    brightest = lambda im: (im.max(axis=-1) > 150).mean()  # noqa: E731
    assert brightest(small) != pytest.approx(brightest(big), abs=0.01)


def test_focus_true_everywhere_shows_the_whole_map_and_nowhere_is_an_error(workdir):
    everywhere = scene_with(workdir, "  - {id: p, type: map, colour: people.total, width: 40, height: 30, focus: people.total > 0}\n")
    assert everywhere.contents[0].focus is None
    assert_error_located(workdir, "{id: p, type: map, colour: people.total, width: 40, height: 30, focus: people.total < 0}",
                         "picks no area")


def test_an_areas_label_sits_inside_it_even_when_it_is_l_shaped_or_has_a_hole():
    from shapely import Point, Polygon

    from bridge.panels.map import label_point

    ell = np.array([[0, 0], [10, 0], [10, 1], [1, 1], [1, 10], [0, 10], [0, 0]], float)
    assert Polygon(ell).contains(Point(label_point([[ell]])))  # the mean of its corners, (3.7, 3.7), is outside
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], float)
    hole = np.array([[2, 2], [8, 2], [8, 8], [2, 8], [2, 2]], float)
    ring = Polygon(square, [hole])
    assert ring.contains(Point(label_point([[square, hole]])))  # not in the hole at its middle
    islands = [[square * 0.1 + 50], [square]]  # the label goes on the largest part
    assert Polygon(square).contains(Point(label_point(islands)))


# --- named classes and classes at given breaks ------------------------------------------------------

IMD = ("  imd: {path: data/imd2025_shropshire_lsoa21_subdomains.csv, key: lsoa21_code}\n"
       "  england: {path: data/england.csv, join: false}\nderive:\n")
NAMED = ("[{upto: 2, name: most deprived 20%}, {upto: 4, name: deciles 3–4}, {upto: 7, name: deciles 5–7}, "
         "{name: least deprived 30%}]")


def _imd(workdir, panel: str, england: float = 25.0):
    """A briefing whose only panel is `panel`, with `imd` (deciles per area) and `england` (one row: rate)."""
    from tests.panels.helpers import HEAD

    (workdir / "data" / "england.csv").write_text(f"area,rate\nEngland,{england}\n")
    text = HEAD.replace("derive:\n", IMD) + f"  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n"
    return load_briefing(write_scene(workdir, text))


def test_named_classes_are_the_legend_and_the_text_and_upto_includes_its_value(workdir):
    from bridge.export.accessible import step_texts
    from bridge.panels.common.classes import class_colours

    b = _imd(workdir, f"{{id: p, type: map, colour: imd.indoors_decile, legend: decile, classes: {NAMED}, width: 50, height: 30}}")
    content = b.contents[0]
    assert content.classing.names == ["most deprived 20%", "deciles 3–4", "deciles 5–7", "least deprived 30%"]
    faces, _, colours = class_colours(content.values, content.suppressed, content.classing, "viridis", THEME)
    for value, face in zip(content.values, faces):  # decile 2 is in the first class, 4 in the second, 8 in the last
        assert face == colours[0 if value <= 2 else 1 if value <= 4 else 2 if value <= 7 else 3]
    drawn = draw(b)
    assert {"most deprived 20%", "deciles 3–4", "deciles 5–7", "least deprived 30%"} <= set(drawn.texts)
    assert _legend_labels(drawn.texts) == []  # no "2.0 – 2.5"
    for k, colour in enumerate(colours):
        assert (share_of(drawn.image, colour) > 0.0005) == any(f == colour for f in faces), k
    (legend,) = [line for line in step_texts(b)[0]["panels"][0]["text"] if line.startswith("Legend")]
    assert legend == ("Legend: decile — least deprived 30% (over 7); deciles 5–7 (over 4, up to 7); "
                      "deciles 3–4 (over 2, up to 4); most deprived 20% (up to 2).")


def test_a_class_breaks_at_englands_value_and_values_above_the_last_upto_get_a_class(workdir):
    b = _imd(workdir, "{id: p, type: map, colour: older, classes: {method: fixed, breaks: [sum(england.rate)]}, width: 50, height: 30}")
    assert b.contents[0].classing.breaks == [25.0]
    labels = _legend_labels(draw(b).texts)
    assert len(labels) == 2 and labels[0].startswith("25 –") and labels[1].endswith("– 25")  # highest first
    b = _imd(workdir, "{id: p, type: map, colour: older, classes: [{upto: sum(england.rate), name: at or below England}, "
                      "{upto: 30, name: up to 30%}], width: 50, height: 30}", england=20.0)
    content = b.contents[0]
    assert content.classing.breaks == [20.0, 30.0] and np.nanmax(content.values) > 30
    assert content.classing.names == ["at or below England", "up to 30%", "more than 30"]
    assert {"at or below England", "up to 30%", "more than 30"} <= set(draw(b).texts)
    b = _imd(workdir, "{id: p, type: map, colour: older, classes: [{upto: sum(england.rate), "
                      "name: 'at or below England ({sum(england.rate):.1f}%)'}, {name: above England}], width: 50, height: 30}",
             england=20.0)
    assert "at or below England (20.0%)" in draw(b).texts  # a name's {…} filled from the data, never drawn as written


@pytest.mark.parametrize("classes,fragment", [
    ("[{name: low}, {upto: 5, name: high}]", "class 1 ('low') needs upto"),
    ("[{upto: 5, name: a}, {upto: 3, name: b}]", "each class's upto must be more than the one before's"),
    ("[{upto: 5, name: a}, {upto: 'sum(england.rate)', name: b}]", "must be a number more than the class before's upto"),
    ("[{upto: 5}]", "name: is required"),
    ("[{upto: 5, name: ' '}, {name: b}]", "class 1 has an empty name"),
])
def test_named_class_mistakes_are_located(workdir, classes, fragment):
    with pytest.raises(BridgeError) as info:
        _imd(workdir, f"{{id: p, type: map, colour: older, classes: {classes}, width: 50, height: 30}}", england=2.0)
    message = "\n".join(map(str, info.value.problems))
    assert fragment in message and "panels[0].classes" in message, message


# --- a map keeps its shape: centred with its legend, and a hint when that leaves much empty ---------

def _columns_drawn(image):
    """The first and last columns where anything but the panel's card is drawn, in the middle half of its rows."""
    from matplotlib.colors import to_rgb

    band = image[image.shape[0] // 4: 3 * image.shape[0] // 4, 8:-8].astype(int)
    drawn = np.any(np.abs(band - np.array(to_rgb(THEME.card)) * 255) > 10, axis=-1).any(axis=0)
    cols = np.flatnonzero(drawn)
    return cols[0] + 8, cols[-1] + 8


def test_a_tall_map_in_a_wide_panel_is_centred_with_its_legend_and_the_verdict_says_so(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, legend: '% aged 65+', width: 90, height: 30}\n")
    drawn = draw(b, size=(1800, 600))
    first, last = _columns_drawn(drawn.image)
    assert abs(first - (1800 - last)) < 2 * 20  # as much room left of the map as right of the legend (within 2°)
    assert first > 0.2 * 1800  # the room is there: the map did not keep to the left
    (hint,) = drawn.hints
    assert "the map keeps its shape" in hint and "centred" in hint and "width empty" in hint
    width = float(hint.rsplit("about ", 1)[1].split("°")[0])
    assert (last - first) / 20 < width < 90  # a narrower panel, still wide enough for what is drawn
    assert drawn.faults == []


def test_a_map_that_fills_its_panel_gives_no_hint(workdir):
    b = scene_with(workdir, "  - {id: p, type: map, colour: older, legend: '% aged 65+', width: 45, height: 30}\n")
    drawn = draw(b)
    assert drawn.hints == [] and drawn.faults == []
