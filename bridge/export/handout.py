"""briefing.pdf, the committee handout `bridge export --pdf` writes: a tagged PDF (PDF/UA-1) that
a screen reader can read as well as a councillor can print.

Each step starts an A4 landscape page: its title as a heading, its projector images side by
side (each with alternative text naming the projector and the panels it shows), its notes and
the step in words, as the exported site writes it (bridge/export/handout_html.py).  WeasyPrint
lays that HTML out and writes the PDF with its structure tree (headings, figures with /Alt,
paragraphs, tables; reading order as written), the document's language and title (shown as the
window's title), and the PDF/UA identification in its metadata.  WeasyPrint reads no file and
no URL here: the images are `data:` URIs and every other URL is refused.
"""

from __future__ import annotations

import numpy as np

from bridge.errors import BridgeError
from bridge.export.handout_html import DEFAULT_LANGUAGE, Picture, SiteWords, alt_text, handout_page

PDF_VARIANT = "pdf/ua-1"
NEEDS = ("--pdf: the handout is written with WeasyPrint, which needs Pango (Debian: libpango-1.0-0 "
         "libpangoft2-1.0-0 libharfbuzz-subset0); install it with pip install \"bridge-room[pdf]\" and run scripts/setup.sh, "
         "or leave out --pdf")


def handout(scene, room, steps: list[dict], images: list[list[np.ndarray]], words: SiteWords,
            language: str = DEFAULT_LANGUAGE) -> bytes:
    """briefing.pdf for `scene` in `room`: `steps` are the steps' texts (bridge/export/accessible.py's
    `step_texts`, disclosure control kept), `images` each step's projector images in the room's
    order, `words` how the site writes a panel."""
    labels = [f"{p.number} · {p.name}" for p in room.projectors]
    pictures = []
    for step, shown in zip(steps, images):
        names = [[words.heading(entry)[0] for entry in step["panels"] if _on(scene, entry["id"], p)]
                 for p in room.projectors]
        pictures.append([Picture(image, label, alt_text(label, step, len(steps), panel_names))
                         for image, label, panel_names in zip(shown, labels, names)])
    return tagged_pdf(handout_page(scene.title, scene.source, steps, pictures, words, language))


def _on(scene, panel_id: str, projector) -> bool:
    """Does the panel reach into the projector's span of yaw (either way round the room)?"""
    panel = next(p for p in scene.panels if p.id == panel_id)
    left, right = panel.yaw - panel.width / 2, panel.yaw + panel.width / 2
    return any(left < projector.yaw_min + shift + projector.span and right > projector.yaw_min + shift
               for shift in (-360, 0, 360))


def writer():
    """WeasyPrint's HTML class; a located refusal, before anything is rendered, when it cannot load
    (not installed, or Pango missing: WeasyPrint loads it when imported)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise BridgeError(f"{NEEDS} ({' '.join(str(error).split())[:200]})") from None
    return HTML


def tagged_pdf(markup: str) -> bytes:
    """The HTML `markup` as a PDF/UA-1 PDF: tagged, with its language, title and identification."""
    from weasyprint import URLFetcher

    html = writer()(string=markup, url_fetcher=URLFetcher(allowed_protocols={"data"}))
    return html.write_pdf(pdf_variant=PDF_VARIANT, finisher=_table_scopes)


def _table_scopes(document, pdf) -> None:
    """Give every table header cell its /Scope (PDF/UA-1 §7.5; ISO 32000-1 §14.8.5.7): Column
    for a heading in the table's head, Row for a row's heading in its body.  WeasyPrint links
    each data cell to its headers by /Headers and /IDs; some readers and checkers look only at
    /Scope."""
    from pydyf import Dictionary  # WeasyPrint's PDF writer

    by_reference = {obj.reference: obj for obj in pdf.objects if isinstance(obj, Dictionary)}
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and obj.get("S") == "/TH" and isinstance(obj.get("A"), dict):
            row = by_reference.get(obj.get("P"))
            group = by_reference.get(row.get("P")) if row is not None else None
            in_head = group is not None and group.get("S") == "/THead"
            obj["A"]["Scope"] = "/Column" if in_head else "/Row"
