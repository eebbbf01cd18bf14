"""Reference lines and bands on bar and line charts (bridge/panels/common/chart.py `Reference`):
England's value from a one-row dataset or a constant, drawn where its value falls, labelled,
and said in the export's text."""

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from bridge.export.accessible import step_texts
from bridge.render.briefing import load_briefing
from bridge.theme import DEFAULT_THEME as THEME
from bridge.theme import MIN_TEXT_DEG
from tests.conftest import write_scene
from tests.panels.helpers import HEAD, assert_error_located, draw

ENGLAND = "  england: {path: data/england.csv, join: false}\nderive:\n"


def _scene(workdir, panel: str):
    """A briefing whose only panel is `panel`, with `england`: one row, rate 13.1 (not joined to the areas)."""
    (workdir / "data" / "england.csv").write_text("area,rate\nEngland,13.1\n")
    text = HEAD.replace("derive:\n", ENGLAND) + f"  - {panel}\nsteps:\n  - {{title: One, show: [p]}}\n"
    return load_briefing(write_scene(workdir, text))


def _near(image, colour, tol=16):
    return np.all(np.abs(image.astype(int) - np.array(to_rgb(colour)) * 255) <= tol, axis=-1)


def _panel_text(briefing) -> list[str]:
    return step_texts(briefing)[0]["panels"][0]["text"]


def test_a_bar_chart_draws_englands_value_as_a_labelled_line_where_it_falls(workdir):
    b = _scene(workdir, "{id: p, type: bar, value: older, label: areas.lsoa21_name, top: 8, width: 50, height: 30, "
                        "reference: [{value: sum(england.rate), label: England 13.1%}]}")
    (ref,) = b.contents[0].references
    assert (ref.low, ref.band) == (13.1, False)
    drawn = draw(b)
    image = drawn.image
    bars = _near(image, THEME.accent)
    top_row = np.flatnonzero(bars.sum(axis=1) > 20)[0] + 3  # a row through the first (longest) bar
    x0, x1 = np.flatnonzero(bars[top_row])[[0, -1]]
    at = x0 + (x1 - x0) * 13.1 / b.contents[0].values[0]  # where 13.1 falls on the bars' scale
    lines = _near(image, THEME.text, tol=30)
    column = lines[:, int(round(at)) - 2:int(round(at)) + 3].any(axis=1)
    chart = slice(top_row - 3, np.flatnonzero(bars.sum(axis=1) > 20)[-1])
    assert column[chart].mean() > 0.35, "no dashed line where England's 13.1 falls"
    far = lines[chart, int(at) + 40:int(at) + 45].any(axis=1)
    assert far.mean() < column[chart].mean() / 2  # a line there, not everywhere
    label = next(box for text, box in drawn.text_boxes if text == "England 13.1%")
    assert label[0] <= at <= label[2] and label[1] > image.shape[0] - top_row  # centred over its line, above the bars
    assert drawn.faults == [] and drawn.smallest_text_deg >= MIN_TEXT_DEG
    assert "England 13.1% shown as a reference line at 13.1." in _panel_text(b)


def test_a_reference_label_takes_its_number_from_the_data(workdir):
    b = _scene(workdir, "{id: p, type: bar, value: older, label: areas.lsoa21_name, top: 8, width: 50, height: 30, "
                        "reference: [{value: sum(england.rate), label: 'England {sum(england.rate):.1f}%'}]}")
    assert "England 13.1%" in draw(b).texts
    assert "England 13.1% shown as a reference line at 13.1." in _panel_text(b)


def test_a_band_and_a_constant_line_without_a_label_show_their_values(workdir):
    b = _scene(workdir, "{id: p, type: bar, value: older, label: areas.lsoa21_name, top: 8, width: 50, height: 30, "
                        "reference: [{band: [20, 25], label: target range}, {value: 40}]}")
    band, line = b.contents[0].references
    assert (band.low, band.high, band.band) == (20, 25, True) and (line.low, line.band) == (40, False)
    drawn = draw(b)
    assert {"target range", "40.0"} <= set(drawn.texts)  # unlabelled: its value, with the bars' decimals
    band_colour = np.array(to_rgb(THEME.card)) * (1 - 0.22) + np.array(to_rgb(THEME.muted)) * 0.22
    assert np.mean(np.all(np.abs(drawn.image.astype(int) - band_colour * 255) <= 6, axis=-1)) > 0.005  # the band, drawn
    text = _panel_text(b)
    assert "target range shown as a reference band from 20.0 to 25.0." in text and "A reference line at 40.0." in text


def test_a_line_chart_draws_a_reference_across_it_at_its_value_and_names_it_at_the_end(workdir):
    b = _scene(workdir, "{id: p, type: line, data: falls, x: period, y: value, series: area_name, width: 50, height: 30, "
                        "reference: [{value: 1800, label: England target}]}")
    drawn = draw(b)
    ticks = [(float(t), (box[1] + box[3]) / 2) for t, box in drawn.text_boxes if t.isdigit() and len(t) == 4 and
             not t.startswith("20")]  # the value axis's numbers (the periods are 2010/11 …)
    (v0, y0), (v1, y1) = ticks[0], ticks[-1]
    row = drawn.image.shape[0] - (y0 + (1800 - v0) * (y1 - y0) / (v1 - v0))  # pixel row of 1800, from the top
    lines = _near(drawn.image, THEME.text, tol=30)
    across = lines[int(round(row)) - 2:int(round(row)) + 3].any(axis=0).mean()
    assert across > 0.25, "no dashed line across the chart at 1800"
    assert "England target" in drawn.texts and drawn.faults == []
    assert "England target shown as a reference line at 1,800." in _panel_text(b)


def test_a_reference_that_counts_few_people_is_neither_drawn_nor_written(workdir):
    b = _scene(workdir, "{id: p, type: bar, value: older, label: areas.lsoa21_name, top: 5, width: 50, height: 30, "
                        "reference: [{value: 'min(people.total) - min(people.total) + 3', label: few}]}")
    (ref,) = b.contents[0].references
    assert ref.suppressed and ref.count
    drawn = draw(b)
    assert "few" not in drawn.texts
    assert any("is suppressed" in line for line in _panel_text(b))


@pytest.mark.parametrize("reference,fragment", [
    ("[{value: 13.1, band: [1, 2]}]", "give exactly one of value:"),
    ("[{label: England}]", "give exactly one of value:"),
    ("[{value: older}]", "gives one value per row; a single number is needed"),
    ("[{value: sum(englnd.rate)}]", "no dataset 'englnd' (did you mean 'england'?)"),
])
def test_reference_mistakes_are_located(workdir, reference, fragment):
    (workdir / "data" / "england.csv").write_text("area,rate\nEngland,13.1\n")
    from bridge.errors import BridgeError

    text = HEAD.replace("derive:\n", ENGLAND) + (
        f"  - {{id: p, type: bar, value: older, label: areas.lsoa21_name, width: 50, height: 30, reference: {reference}}}\n"
        "steps:\n  - {title: One, show: [p]}\n")
    path = write_scene(workdir, text)
    with pytest.raises(BridgeError) as info:
        load_briefing(path)
    message = "\n".join(map(str, info.value.problems))
    assert fragment in message and f"{path}:" in message and "panels[0].reference[0]" in message, message


def test_a_band_needs_both_ends_on_a_line_chart_too(workdir):
    assert_error_located(workdir, "{id: p, type: line, data: falls, x: period, y: value, series: area_name, width: 50, height: 30, "
                                  "reference: [{band: [1]}]}", "panels[0].reference[0].band[1]: is required")


LONG = "a neighbourhood name far longer than any ward name, with its parish and district"  # 80 characters


@pytest.mark.parametrize("chart", [
    "type: bar, value: older - 25, label: areas.lsoa21_name, top: 12",
    "type: line, data: falls, x: period, y: value, series: area_name",
])
@pytest.mark.parametrize("size", [(600, 400), (1200, 700)])
def test_many_long_reference_labels_stay_legible_inside_the_panel_and_apart(workdir, chart, size):
    refs = ", ".join(f"{{value: {v}, label: '{k}: {LONG}'}}" for k, v in enumerate([0, 2, 2.5, 1500]))
    b = _scene(workdir, f"{{id: p, {chart}, title: Compared, width: 30, height: 20, reference: [{refs}, {{band: [1, 3]}}]}}")
    drawn = draw(b, size=size, ppd=size[0] / 30)
    labels = [t for t in drawn.texts if t[:3] in {"0: ", "1: ", "2: ", "3: "}]
    assert len(labels) >= 2  # shortened or wrapped, but there
    assert drawn.faults == [] and drawn.smallest_text_deg >= MIN_TEXT_DEG
