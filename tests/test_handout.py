"""briefing.pdf, the handout `bridge export --pdf` writes, as a screen reader meets it: a tagged
PDF that the PDF/UA checker `pdfua` passes, with one H1 and an H2 per step in order, a Figure
with alternative text for each projector image, each step's text version in the text layer,
and disclosure control kept.  Built from a loaded briefing and plain images (no render)."""

import io
import logging
import re
import shutil
from collections import defaultdict

import numpy as np
import pikepdf
import pytest
from pypdf import PdfReader

from tests.conftest import SAMPLE, write_scene
from tests.test_accessible import SMALL, write_small_counts

TITLE = "Cold homes <b>&</b> \"small\" counts"
SCENE = """
title: '{title}'
source: ONS Census 2021
disclosure: {{min_count: 100}}
datasets:
  areas: {{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}}
  small: {{path: data/small.csv, key: lsoa21_code, counts: [tiny]}}
panels:
  - {{id: intro, type: text, text: 'Welcome <i>all</i>, this is the handout.', yaw: 0, width: 40, height: 12}}
  - {{id: one, type: kpi, value: 'sum(small.tiny, where=areas.lsoa21_code == "{first}")', label: people in the first area, yaw: 0, width: 30, height: 10}}
  - {{id: bars, type: bar, value: small.tiny, label: areas.lsoa21_code, order: ascending, top: 8, title: Fewest people, yaw: 120, width: 40, height: 30}}
  - {{id: map, type: map, colour: small.tiny, legend: people, title: People by area, yaw: -120, width: 40, height: 30}}
steps:
  - {{title: 'Hello <b>there</b>', show: [intro], notes: 'First <i>notes</i>.'}}
  - {{title: Small counts, show: [one, bars], notes: 'Second notes.\n\nA second paragraph.'}}
  - {{title: The map, show: [map, intro]}}
"""


@pytest.fixture(scope="module")
def handout_pdf(tmp_path_factory):
    """(path of briefing.pdf, the step texts, what WeasyPrint warned of) for SCENE in the rehearsal room (projectors front
    at 0°, right at 120°, left at −120°, each 135° wide)."""
    from bridge.export.accessible import step_texts
    from bridge.export.handout import handout
    from bridge.export.handout_html import SiteWords
    from bridge.export.site import _panel_heading, _panel_html
    from bridge.render.briefing import load_briefing
    from bridge.room.load import load_room

    workdir = tmp_path_factory.mktemp("handout")
    shutil.copytree(SAMPLE, workdir / "data")
    codes = write_small_counts(workdir)
    scene = SCENE.format(title=TITLE.replace("'", "''"), first=codes[0])
    briefing = load_briefing(write_scene(workdir, scene))
    texts = step_texts(briefing)
    images = [[np.full((100, 160, 3), 40 * s + 20 * k, np.uint8) for k in range(3)] for s in range(len(texts))]
    path = workdir / "briefing.pdf"
    heard = Heard()
    logging.getLogger("weasyprint").addHandler(heard)
    try:
        path.write_bytes(handout(briefing.scene, load_room("rehearsal"), texts, images, SiteWords(_panel_html, _panel_heading)))
    finally:
        logging.getLogger("weasyprint").removeHandler(heard)
    return path, texts, heard.said


class Heard(logging.Handler):
    """What WeasyPrint says while writing: CSS it ignores, images it cannot load, tags it lacks."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.said: list[str] = []

    def emit(self, record):
        self.said.append(record.getMessage())


# --- reading the PDF as assistive technology does: the structure tree and its marked content -----

def _text_by_mcid(page) -> dict[int, str]:
    """The text each marked-content sequence (by MCID) of a page shows."""
    stack: list = []
    found: dict[int, str] = defaultdict(str)

    def before(operator, args, cm, tm):
        if operator == b"BDC":
            properties = args[1] if len(args) > 1 else None
            stack.append(properties.get("/MCID") if hasattr(properties, "get") else None)
        elif operator == b"BMC":
            stack.append(None)
        elif operator == b"EMC" and stack:
            stack.pop()

    def text(words, cm, tm, font, size):
        mcid = next((m for m in reversed(stack) if m is not None), None)
        if mcid is not None:
            found[int(mcid)] += words

    page.extract_text(visitor_operand_before=before, visitor_text=text)
    return found


def structure(path) -> list[tuple[str, int, str, str]]:
    """Every structure element in reading order (depth first): (tag, page index, its text, its /Alt)."""
    texts = [_text_by_mcid(page) for page in PdfReader(path).pages]
    pdf = pikepdf.open(path)
    pages = {page.objgen: k for k, page in enumerate(pdf.pages)}

    def kids(node):
        k = node.get("/K")
        return [] if k is None else list(k) if isinstance(k, pikepdf.Array) else [k]

    def page_of(node, page):
        return pages[node.Pg.objgen] if "/Pg" in node else page

    def content(node, page) -> str:
        """The element's text: its marked content and its children's, one run after another (a run
        is a line or a styled piece, so runs are words apart)."""
        runs = []
        for kid in kids(node):
            if isinstance(kid, int):
                runs.append(texts[page].get(int(kid), ""))
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/MCR", "/OBJR"):
                runs.append(content(kid, page_of(kid, page)))
        return " ".join(" ".join(runs).split())

    elements = []

    def walk(node, page):
        page = page_of(node, page)
        elements.append((str(node.get("/S", "")), page, content(node, page), str(node.get("/Alt", ""))))
        for kid in kids(node):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/MCR", "/OBJR"):
                walk(kid, page)

    for top in kids(pdf.Root.StructTreeRoot):
        walk(top, 0)
    return elements


@pytest.fixture(scope="module")
def tree(handout_pdf):
    """The handout's structure elements in reading order (`structure`)."""
    return structure(handout_pdf[0])


def plain(path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


# --- the tests -----------------------------------------------------------------------------------

def test_the_pdfua_checker_finds_nothing(handout_pdf):
    from pdfua import validate

    path, _, _ = handout_pdf
    report = validate(str(path))
    assert [(f.rule_id, f.message) for f in report.findings] == []
    assert len(report.outcomes) >= 12
    # pdfua 0.1.3's empty-heading rule stops on any heading whose /K is an array (every heading
    # WeasyPrint writes); test_headings_one_per_step_in_order checks each heading's text instead.
    assert {o.rule_id for o in report.skipped} <= {"UA-14-001"}


def test_weasyprint_follows_all_of_the_handout(handout_pdf):
    assert handout_pdf[2] == []  # no CSS it ignores, no image it cannot load, no alt or lang missing


def test_language_title_and_pdfua_identification(handout_pdf):
    path, _, _ = handout_pdf
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
        assert pdf.Root.MarkInfo.Marked is True
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        assert str(pdf.docinfo.Title) == TITLE  # literally, not read as markup
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"


def test_headings_one_per_step_in_order(tree):
    elements = tree
    assert [(tag, text) for tag, _, text, _ in elements if tag == "/H1"] == [("/H1", TITLE)]
    steps = [(page, text) for tag, page, text, _ in elements if tag == "/H2"]
    assert [text for _, text in steps] == ["Step 1 of 3: Hello <b>there</b>", "Step 2 of 3: Small counts",
                                           "Step 3 of 3: The map"]
    pages = [page for page, _ in steps]
    assert pages[0] == 0 and pages == sorted(set(pages))  # each step starts a page of its own
    order = [tag for tag, *_ in elements if tag in ("/H1", "/H2", "/Figure")]
    assert order == ["/H1"] + ["/H2", "/Figure", "/Figure", "/Figure"] * 3  # images under their step, in reading order
    assert "/H3" in [tag for tag, *_ in elements]  # notes and panels are headed below the step


def test_every_projector_image_has_alt_text_naming_what_it_shows(tree):
    alts = [alt for tag, _, _, alt in tree if tag == "/Figure"]
    assert len(alts) == 9 and all(alts)
    assert alts[3] == "Projector 1 · front, step 2 of 3 (Small counts): shows people in the first area (each written out in words below)."
    assert alts[4] == "Projector 2 · right, step 2 of 3 (Small counts): shows Fewest people (each written out in words below)."
    assert alts[5] == "Projector 3 · left, step 2 of 3 (Small counts): shows none of the step's panels."
    assert "People by area" in alts[8] and "Welcome" in alts[6]


def test_each_steps_text_version_is_in_the_text_layer(handout_pdf, tree):
    from bridge.export.handout_html import printed

    path, texts, _ = handout_pdf
    reader = PdfReader(path)
    starts = [page for tag, page, _, _ in tree if tag == "/H2"] + [len(reader.pages)]
    for step, first, end in zip(texts, starts, starts[1:]):
        words = " ".join(" ".join(reader.pages[k].extract_text() for k in range(first, end)).split())
        for paragraph in step["notes"].split("\n\n"):
            assert " ".join(paragraph.split()) in words
        for panel in step["panels"]:
            for line in panel["text"]:
                assert " ".join(line.split()[:3]) in words
            for table in printed(panel)["tables"]:
                for row in table["rows"]:
                    assert all(str(cell) in words for cell in row), row
                if table.get("note"):
                    assert table["note"].split(";")[0] in words
    text = plain(path)
    assert "Welcome <i>all</i>, this is the handout." in text and "First <i>notes</i>." in text
    assert "the first 12 of 198 rows are printed; the exported site lists them all" in text  # the map's table, cut


def test_disclosure_control_holds_in_the_pdf(handout_pdf):
    path, texts, _ = handout_pdf
    text = plain(path)
    written = {int(m) for m in re.findall(r"(?<![\w.,])(\d+)(?![\w.,])", text)}
    assert not written & SMALL
    assert text.count("suppressed") >= 5  # the KPI and the four smallest bars


def test_language_is_the_document_language_and_defaults_to_british_english():
    from bridge.export.handout_html import SiteWords, handout_page

    words = SiteWords(lambda panel, anchor: "", lambda panel: ("", False))
    step = {"number": 1, "title": "One", "notes": "", "params": [], "panels": []}
    assert '<html lang="en-GB">' in handout_page("T", None, [step], [[]], words)
    assert '<html lang="cy">' in handout_page("T", None, [step], [[]], words, language="cy")


def test_long_titles_and_notes_are_printed_whole():
    from bridge.export.handout import tagged_pdf
    from bridge.export.handout_html import SiteWords, handout_page

    words = SiteWords(lambda panel, anchor: "", lambda panel: ("", False))
    notes = "Talk about the map. " * 150 + "The last words."
    steps = [{"number": 1, "title": "Long " * 40 + "end", "notes": notes, "params": [], "panels": []},
             {"number": 2, "title": "Short", "notes": "", "params": [], "panels": []}]
    data = tagged_pdf(handout_page("A title with $maths$ and \\n", "ONS", steps, [[], []], words))
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "The last words." in text and ("Long " * 40 + "end") in text and "$maths$ and \\n" in text
    assert "Step 2 of 2: Short" in " ".join(reader.pages[-1].extract_text().split())


def test_the_writer_reads_no_file_or_url(tmp_path):
    from PIL import Image

    from bridge.export.handout import tagged_pdf

    picture = tmp_path / "secret.png"
    Image.new("RGB", (40, 30), "red").save(picture)
    data = tagged_pdf(f'<html lang="en-GB"><title>T</title><h1>T</h1><img src="{picture.as_uri()}" alt="a file"></html>')
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 0


def test_without_weasyprint_pdf_is_refused_before_rendering(workdir, monkeypatch):
    import sys

    from bridge.errors import BridgeError
    from bridge.export.site import export_briefing
    from bridge.room.load import load_room
    from tests.conftest import MINIMAL

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it, or Pango, cannot load
    with pytest.raises(BridgeError, match=r"--pdf: the handout is written with WeasyPrint, which needs Pango .*scripts/setup.sh"):
        export_briefing(write_scene(workdir, MINIMAL), load_room("rehearsal"), workdir / "site", (256, 128), pdf=True)
    assert not (workdir / "site" / "steps").exists()  # nothing rendered
