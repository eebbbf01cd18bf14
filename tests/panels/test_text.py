"""Text panels (bridge/panels/text.py): **emphasis** drawn in the mark colour, never as asterisks."""

from bridge.theme import DEFAULT_THEME as THEME
from tests.panels.helpers import draw, scene_with, share_of


def test_text_emphasis_is_coloured_not_starred(workdir):
    b = scene_with(workdir, "  - {id: p, type: text, text: 'Plain and **emphasised** words', width: 40, height: 10}\n")
    drawn = draw(b, size=(800, 200))
    assert share_of(drawn.image, THEME.mark) > 0.001 and "emphasised" in " ".join(drawn.texts)
    assert not any("**" in t for t in drawn.texts)
