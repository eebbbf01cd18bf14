"""`type: text` — a title or a paragraph; **double asterisks** mark emphasis."""

from __future__ import annotations

import re
from typing import Literal

from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.theme import MIN_TEXT_DEG

_EMPHASIS = re.compile(r"\*\*(.+?)\*\*")


class TextPanel(PanelModel):
    """A title or a paragraph; **double asterisks** mark emphasis."""

    type: Literal["text"]
    listing_order = 8
    text: str
    style: Literal["title", "paragraph"] = "paragraph"

    def layout_problems(self, theme, source) -> list[tuple[tuple, str]]:
        if self.style == "title":
            return []  # a title-style text shrinks to fit
        return super().layout_problems(theme, None)  # paragraphs show no source line

    def describe(self, entry, view, step_index, content) -> None:
        """Its words, as drawn: a title on one line, paragraphs re-wrapped, without emphasis marks."""
        if self.style == "title":
            entry["text"].append(" ".join(_EMPHASIS.sub(r"\1", self.text).split()))
            return
        for paragraph in self.text.split("\n\n"):  # as drawn: ** toggles emphasis, words re-wrapped
            words = " ".join(paragraph.replace("**", "").split())
            if words:
                entry["text"].append(words)

    def draw(self, c: Canvas, content, source, marked) -> None:
        t = c.theme
        if self.style == "title":
            plain = _EMPHASIS.sub(r"\1", self.text)
            # As large as half the panel's height allows, shrunk to its width as drawn, never
            # under the legible floor: a title too long for that is wrapped, lines fitted to the height.
            size, lines = c.fit(plain, c.height_deg * 0.5, bold=True, room_deg=0.9 * c.width_deg, floor_deg=MIN_TEXT_DEG)
            rows = lines.count("\n") + 1
            if rows > 1 and size * 1.25 * rows > 0.8 * c.height_deg:
                size, lines = c.fit(plain, max(MIN_TEXT_DEG, 0.8 * c.height_deg / (1.25 * rows)), bold=True,
                                    room_deg=0.9 * c.width_deg, floor_deg=MIN_TEXT_DEG)
            c.fig.text(0.5, 0.5, lines, color=t.text, fontsize=c.pt(size), fontweight="bold", ha="center", va="center",
                       family=t.font, linespacing=1.15)
            if self.title:
                c.fig.text(0.5, c.frac_h(0.8), self.title, color=t.muted, fontsize=c.pt(t.body_deg), ha="center", va="bottom")
            return
        _, top = c.header(self.title, None)
        chars = max(10, int((c.width_deg - 2.4) / (t.body_deg * t.glyph_em)))
        y = top
        line_h = c.frac_h(t.body_deg * 1.5)
        for paragraph in self.text.split("\n\n"):
            for line in wrap_emphasis(paragraph, chars):
                if y - line_h < 0:
                    return  # below the panel: nothing more can show (and a huge text costs no time)
                _emphasised_line(c, line, c.frac_w(1.2), y)
                y -= line_h
            y -= line_h * 0.6


def wrap_emphasis(paragraph: str, width: int) -> list[list[tuple[str, bool]]]:
    """Wrap text whose **emphasis** may span lines: lines of (word, bold) pairs."""
    words, bold = [], False
    for chunk in re.split(r"(\*\*)", paragraph):
        if chunk == "**":
            bold = not bold
            continue
        words += [(w, bold) for w in chunk.split()]
    lines: list[list[tuple[str, bool]]] = []
    current: list[tuple[str, bool]] = []
    length = 0
    for word, b in words:
        if current and length + 1 + len(word) > width:
            lines.append(current)
            current, length = [], 0
        current.append((word, b))
        length += len(word) + (1 if length else 0)
    if current:
        lines.append(current)
    return lines


def _emphasised_line(c: Canvas, words: list[tuple[str, bool]], x: float, y: float) -> None:
    """One line of words, the emphasised ones bold and in the mark colour, drawn run by run."""
    t = c.theme
    renderer = c.canvas.get_renderer()
    runs: list[tuple[str, bool]] = []
    for word, bold in words:
        if runs and runs[-1][1] == bold:
            runs[-1] = (runs[-1][0] + " " + word, bold)
        else:
            gap = " " if runs and not re.match(r"[.,;:!?)\]]", word) else ""
            runs.append((gap + word, bold))
    for text, bold in runs:
        artist = c.fig.text(x, y, text, color=t.mark if bold else t.text, fontsize=c.pt(t.body_deg), va="top", ha="left",
                            fontweight="bold" if bold else "normal", family=t.font)
        x += artist.get_window_extent(renderer=renderer).width / c.w
