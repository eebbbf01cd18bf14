"""briefing.pdf, the committee handout `bridge export --pdf` writes: one A4 landscape page per
step with its title, its projector images side by side and its notes.

Drawn with matplotlib (already a dependency) and its PDF backend; scene text is set literally
(no maths mode), as on the panels.
"""

from __future__ import annotations

import io
import math
import textwrap

import numpy as np

A4_LANDSCAPE = (11.69, 8.27)  # inches


def handout(title: str, source: str | None, pages: list[tuple[str, str, list[np.ndarray]]], labels: list[str]) -> bytes:
    """briefing.pdf: one A4 landscape page per step — its title, its projector images side by side
    (labelled as the contact sheet labels them) and its notes.  Scene text is set literally."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    from bridge.panels.common.canvas import LITERAL_TEXT

    buffer = io.BytesIO()
    width, height = A4_LANDSCAPE
    margin = 0.45 / width, 0.4 / height  # figure fractions
    ink, muted = "#111111", "#4b5563"
    with matplotlib.rc_context(LITERAL_TEXT), PdfPages(buffer, metadata={"Title": title, "Creator": "Bridge"}) as pdf:
        for k, (step_title, notes, images) in enumerate(pages):
            fig = Figure(figsize=A4_LANDSCAPE)
            fig.text(margin[0], 1 - margin[1], f"{title} — step {k + 1} of {len(pages)}", fontsize=9, color=muted,
                     va="top", ha="left")
            title_lines = textwrap.wrap(step_title, 70) or [""]
            if len(title_lines) > 2:
                title_lines = [title_lines[0], textwrap.shorten(" ".join(title_lines[1:]), 66, placeholder=" …")]
            fig.text(margin[0], 1 - margin[1] - 0.3 / height, "\n".join(title_lines), fontsize=17,
                     fontweight="bold", color=ink, va="top", ha="left", linespacing=1.15)
            top = 1 - margin[1] - (0.75 + 0.3 * len(title_lines)) / height
            size, lines = _notes_lines(notes)
            notes_h = (len(lines) + 1.5) * size * 1.35 / 72 / height if lines else 0.0
            bottom = margin[1] + 0.3 / height + notes_h + 0.25 / height
            _images_grid(fig, images, labels, margin[0], bottom, 1 - margin[0], top, muted)
            if lines:
                y = margin[1] + 0.3 / height + notes_h
                fig.text(margin[0], y, "Notes", fontsize=size + 1, fontweight="bold", color=ink, va="top", ha="left")
                fig.text(margin[0], y - (size + 1) * 1.5 / 72 / height, "\n".join(lines), fontsize=size, color=ink,
                         va="top", ha="left", linespacing=1.35)
            if source:
                fig.text(margin[0], margin[1], textwrap.shorten(f"Source: {source}", 190), fontsize=7.5, color=muted,
                         va="bottom", ha="left")
            fig.text(1 - margin[0], margin[1], f"{k + 1}", fontsize=8, color=muted, va="bottom", ha="right")
            pdf.savefig(fig)
    return buffer.getvalue()


def _notes_lines(notes: str, most: int = 16) -> tuple[float, list[str]]:
    """The notes wrapped to the page's width: at 10 pt, smaller (to 7 pt) when long, and at
    `most` lines the last ending in "…" (the site holds them whole)."""
    for size, chars in ((10.0, 150), (8.5, 176), (7.0, 214)):
        lines = [line for paragraph in notes.split("\n\n") for line in (textwrap.wrap(" ".join(paragraph.split()), chars) or [])]
        if len(lines) <= most:
            return size, lines
    return size, lines[:most - 1] + [textwrap.shorten(" ".join(lines[most - 1:]), chars - 20, placeholder=" …") +
                                     " (the exported site has the notes in full)"]


def _images_grid(fig, images: list[np.ndarray], labels: list[str], x0: float, y0: float, x1: float, y1: float,
                 colour: str) -> None:
    """The projector images side by side, in one row (up to three) or two, each labelled."""
    n = len(images)
    if not n:
        return
    columns = n if n <= 3 else math.ceil(n / 2)
    rows = math.ceil(n / columns)
    gap_x, label_h = 0.012, 0.03
    cell_w = (x1 - x0 - gap_x * (columns - 1)) / columns
    cell_h = (y1 - y0) / rows
    for k, (image, label) in enumerate(zip(images, labels)):
        r, c = divmod(k, columns)
        left = x0 + c * (cell_w + gap_x)
        top = y1 - r * cell_h
        ax = fig.add_axes((left, top - cell_h + 0.01, cell_w, cell_h - label_h - 0.01))
        ax.imshow(image, interpolation="antialiased")
        ax.set_anchor("N")
        ax.set_axis_off()
        fig.text(left, top, f"Projector {label}", fontsize=8.5, color=colour, va="top", ha="left")
