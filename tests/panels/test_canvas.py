"""A panel's drawing surface (bridge/panels/common/canvas.py): sizes in degrees, fitting text, palettes, numbers."""


import numpy as np
import pytest
from matplotlib import colormaps

from bridge.errors import BridgeError
from bridge.panels.common.canvas import Canvas, fmt_number, palette
from bridge.theme import DEFAULT_THEME as THEME
from bridge.theme import Theme, rgb255


def test_sizes_in_degrees():
    c = Canvas((800, 200), 20.0)
    assert (c.width_deg, c.height_deg) == (40, 10)
    assert c.frac_w(4) == pytest.approx(0.1) and c.frac_h(5) == pytest.approx(0.5)
    assert c.pt(2.0) == pytest.approx(2.0 * 20 * 72 / 100)  # points at dpi 100
    c.pt(0.8)
    c.pt(1.3)
    assert c.smallest == 0.8


def test_fit_keeps_short_lines_shrinks_long_ones_down_to_body_size_then_wraps():
    c = Canvas((800, 200), 20.0)  # 40° wide, 37.6° of room for text
    room = c.width_deg - 2.4
    size, text = c.fit("Short title", THEME.title_deg, bold=True)
    assert (size, text) == (THEME.title_deg, "Short title")
    middling = "A title of forty-odd characters, give or take!"
    assert c.measure(middling, THEME.body_deg, bold=True) < room < c.measure(middling, THEME.title_deg, bold=True)
    size, text = c.fit(middling, THEME.title_deg, bold=True)
    assert THEME.body_deg < size < THEME.title_deg and "\n" not in text
    assert c.measure(text, size, bold=True) <= room + 1e-9
    long = "Older residents per area across the whole county, ranked by their share " * 2
    size, text = c.fit(long, THEME.title_deg, bold=True)
    assert size == THEME.body_deg  # never below body size
    lines = text.split("\n")
    assert len(lines) >= 3 and text.replace("\n", " ") == " ".join(long.split())
    assert all(c.measure(line, size, bold=True) <= room for line in lines)


def test_a_word_wider_than_the_room_is_broken_not_cut():
    c = Canvas((400, 200), 20.0)
    word = "https://www.example.gov.uk/" + "x" * 80
    size, text = c.fit(word, THEME.small_deg, floor_deg=THEME.small_deg)
    assert text.replace("\n", "") == word and text.count("\n") >= 1
    assert all(c.measure(line, size) <= c.width_deg - 2.4 for line in text.split("\n"))


def test_header_draws_title_and_source_and_leaves_room_between():
    c = Canvas((800, 400), 20.0)
    bottom, top = c.header("Falls", "ONS")
    texts = [t for t, _ in c.texts()]
    assert "Falls" in texts and "Source: ONS" in texts
    assert 0.05 < bottom < top < 0.95
    assert c.smallest == THEME.small_deg
    assert Canvas((800, 400), 20.0).header(None, None) == pytest.approx((0.05, 0.95))


def test_card_and_border_in_the_theme_colours():
    theme = Theme(card="#204080", border="#ff0000")
    image = Canvas((200, 100), 20.0, theme).image()
    assert image.shape == (100, 200, 3)
    assert tuple(image[50, 100]) == rgb255("#204080")
    edge = image[50, :6].astype(int)
    assert (np.abs(edge - rgb255("#ff0000")).max(axis=-1) < 30).any()  # the border, just inside the edge


def test_palette_skips_the_darkest_end_and_refuses_unknown_names():
    colours = palette("viridis", 5)
    assert len(colours) == 5
    assert colours[0] == colormaps["viridis"](0.18) and colours[-1] == colormaps["viridis"](1.0)
    with pytest.raises(BridgeError, match="unknown palette 'viridos'"):
        palette("viridos", 5)


@pytest.mark.parametrize("value,text", [(123456.7, "123,457"), (-150, "-150"), (12.345, "12.3"), (1.234, "1.23"), (0, "0.00")])
def test_fmt_number(value, text):
    assert fmt_number(value) == text
