"""The handout's HTML: what bridge/export/handout.py turns into a tagged PDF.

Built from the same pieces as the exported site (bridge/export/site.py's panel HTML, from
bridge/export/accessible.py's step texts, so disclosure control holds) and laid out for A4
landscape paper: each step starts a page with its title (an `h2` under the briefing's `h1`),
its projector images side by side (each an `img` whose `alt` names the projector and says
which of the step's panels it shows), its notes, then the step in words (the panels' text
version; a long table prints its first rows and says the site lists the rest).

Everything from the scene is escaped; the only URLs are the images' `data:` URIs.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PRINT_ROWS = 12  # rows of a long table the handout prints (the exported site lists them all)
DEFAULT_LANGUAGE = "en-GB"
JPEG_QUALITY = 90  # the projector images (text on panels stays crisp at their printed size)

CSS = """
@page { size: A4 landscape; margin: 11mm 13mm 11mm 13mm; }
html { font: 9pt/1.35 "DejaVu Sans", sans-serif; color: #111; }
body { margin: 0; }
h1 { font-size: 12pt; margin: 0; color: #374151; }
.source { font-size: 7.5pt; color: #374151; margin: 0 0 2mm; }
section.step { break-before: page; }
section.step.first { break-before: auto; }
h2 { font-size: 16pt; margin: 0 0 2mm; line-height: 1.2; }
.step-number { font-weight: normal; color: #374151; }
.shown-with { margin: 0 0 2mm; color: #374151; }
.projectors { display: flex; flex-wrap: wrap; gap: 2mm 3mm; margin: 0 0 3mm; }
figure { margin: 0; break-inside: avoid; }
figure img { display: block; width: 100%; height: auto; border: 0.3pt solid #9ca3af; }
figcaption { font-size: 7.5pt; color: #374151; margin-top: 0.6mm; }
.notes { border-left: 1.2mm solid #1d4ed8; padding: 0 0 0 3mm; margin: 0 0 3mm; }
.notes h3 { font-size: 10pt; margin: 0 0 1mm; }
.notes p { margin: 0 0 1.5mm; }
.words { display: grid; grid-template-columns: 1fr 1fr 1fr; column-gap: 6mm; }
.words-label { grid-column: 1 / 4; font-weight: bold; font-size: 10pt; margin: 0 0 1.5mm;
               border-top: 0.4pt solid #9ca3af; padding-top: 1.5mm; }
div.panel { margin: 0 0 2.5mm; min-width: 0; }
div.panel h3 { font-size: 9.5pt; margin: 0; }
div.panel p { margin: 0.5mm 0; }
.kind { font-size: 7.5pt; color: #374151; }
.kpi-value { font-size: 12pt; font-weight: bold; }
table { border-collapse: collapse; table-layout: fixed; width: 100%; font-size: 7.5pt; margin: 1mm 0; }
caption { text-align: left; font-weight: bold; padding: 0 0 0.5mm; }
th, td { text-align: left; vertical-align: top; padding: 0.2mm 1.5mm 0.2mm 0; border-bottom: 0.3pt solid #d1d5db;
         overflow-wrap: break-word; }
thead th { color: #374151; }
td.num, th.num { text-align: right; }
tbody th { font-weight: normal; }
.table-note { font-size: 7pt; color: #374151; margin: 0 0 1mm; }
details, summary { display: block; }
summary { font-style: italic; }
"""


@dataclass(frozen=True)
class SiteWords:
    """How the exported site writes a panel (bridge/export/site.py), so the handout says the same:
    `panel(entry, anchor)` its HTML, `heading(entry)` its heading (and whether that is its only text)."""

    panel: Callable[[dict, str], str]
    heading: Callable[[dict], tuple[str, bool]]


@dataclass(frozen=True)
class Picture:
    """One projector's image of a step, as the handout shows it."""

    image: np.ndarray
    label: str  # "1 · front", as the contact sheet labels it
    alt: str


def _e(text) -> str:
    """Text from the scene (untrusted) as HTML: every <, >, &, " and ' escaped."""
    return html.escape(str(text), quote=True)


def handout_page(title: str, source: str | None, steps: list[dict], pictures: list[list[Picture]], words: SiteWords,
                 language: str = DEFAULT_LANGUAGE) -> str:
    """The handout as one HTML document: the briefing's title (`h1`, and the document's title)
    and source, then every step (`step_section`), in the step order."""
    from bridge import __version__

    source_line = f'\n<p class="source">Source: {_e(source)}</p>' if source else ""
    sections = "\n".join(step_section(step, len(steps), shown, words) for step, shown in zip(steps, pictures))
    return f"""<!DOCTYPE html>
<html lang="{_e(language)}">
<head>
<meta charset="utf-8">
<meta name="generator" content="Bridge {_e(__version__)}">
<title>{_e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{_e(title)}</h1>{source_line}
{sections}
</body>
</html>
"""


def step_section(step: dict, count: int, pictures: list[Picture], words: SiteWords) -> str:
    """One step: its heading, the values it is shown with, its projector images side by side, its
    notes and its panels in words (the site's HTML for each, long tables cut to PRINT_ROWS)."""
    n = step["number"]
    parts = [f'<section class="step{" first" if n == 1 else ""}" id="step-{n}">',
             f'<h2><span class="step-number">Step {n} of {count}:</span> {_e(step["title"])}</h2>']
    if step["params"]:
        values = "; ".join(f"{_e(p['name'])}: {_e(p['value'])}" for p in step["params"])
        parts.append(f'<p class="shown-with">Shown with {values}.</p>')
    parts.append(_figures(pictures))
    if step["notes"].strip():
        paragraphs = "".join(f"<p>{_e(' '.join(p.split()))}</p>" for p in step["notes"].split("\n\n") if p.strip())
        parts.append(f'<div class="notes"><h3>Presenter\'s notes</h3>{paragraphs}</div>')
    if step["panels"]:
        parts.append('<div class="words"><p class="words-label">This step in words</p>')
        parts += [words.panel(printed(panel), f"s{n}-p{k + 1}") for k, panel in enumerate(step["panels"])]
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _figures(pictures: list[Picture]) -> str:
    """The projector images side by side: in one row up to five, else in two rows."""
    if not pictures:
        return ""
    columns = len(pictures) if len(pictures) <= 5 else math.ceil(len(pictures) / 2)
    width = f"calc((100% - {columns - 1} * 3mm) / {columns})"
    figures = "".join(f'<figure style="width: {width}"><img src="{_jpeg_uri(p.image)}" alt="{_e(p.alt)}">'
                      f"<figcaption>Projector {_e(p.label)}</figcaption></figure>" for p in pictures)
    return f'<div class="projectors">{figures}</div>'


def _jpeg_uri(image: np.ndarray) -> str:
    """The image as a JPEG `data:` URI: the PDF keeps a JPEG as it is (no decoding and deflating
    again, as a PNG would be), at a tenth of a PNG's size."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def printed(panel: dict) -> dict:
    """The panel's text version as the handout prints it: a table longer than PRINT_ROWS keeps its
    first rows (for a table of areas, the largest values: suppressed ones come after them) and
    says so in its note; the exported site has every row."""
    tables = []
    for table in panel["tables"]:
        rows = table["rows"]
        if len(rows) > PRINT_ROWS:
            said = f"the first {PRINT_ROWS} of {len(rows):,} rows are printed; the exported site lists them all"
            table = {**table, "rows": rows[:PRINT_ROWS], "note": f"{table['note']}; {said}" if table.get("note") else said}
        tables.append(table)
    return {**panel, "tables": tables}


def alt_text(projector_label: str, step: dict, count: int, names: list[str]) -> str:
    """A projector image's alternative text: the projector, the step, and the panels it shows
    (each written out in words after the images)."""
    shown = f"shows {'; '.join(names)} (each written out in words below)" if names else "shows none of the step's panels"
    return f"Projector {projector_label}, step {step['number']} of {count} ({step['title']}): {shown}."
