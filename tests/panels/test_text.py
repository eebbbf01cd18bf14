"""Text panels (bridge/panels/text.py): **emphasis** drawn in the mark colour, never as asterisks."""

from bridge.theme import DEFAULT_THEME as THEME
from tests.panels.helpers import draw, scene_with, share_of


def test_text_emphasis_is_coloured_not_starred(workdir):
    b = scene_with(workdir, "  - {id: p, type: text, text: 'Plain and **emphasised** words', width: 40, height: 10}\n")
    drawn = draw(b, size=(800, 200))
    assert share_of(drawn.image, THEME.mark) > 0.001 and "emphasised" in " ".join(drawn.texts)
    assert not any("**" in t for t in drawn.texts)


def test_a_long_title_style_text_is_wrapped_never_below_the_legible_floor(workdir):
    words = "A title that an analyst wrote far too long for the small panel it was given in the room"
    b = scene_with(workdir, f"  - {{id: p, type: text, style: title, text: '{words}', width: 20, height: 10}}\n")
    drawn = draw(b, size=(400, 200), ppd=20.0)
    assert drawn.smallest_text_deg >= 0.6 and drawn.faults == []
    (text,) = drawn.texts
    assert "\n" in text and text.replace("\n", " ") == words
