"""`bridge export`: a static site that opens from disk in a real browser (headless Chromium,
WebGL in software), steps with the keyboard, passes axe-core's WCAG 2.1 A/AA rules, escapes
the scene's text; a tagged PDF handout, each step from a new page; files written only under --out."""

import io
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT, SAMPLE

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
WCAG = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

HOSTILE_TITLE = 'Cold homes <script>window.PWNED = 1</script> & <img src=x onerror="window.PWNED = 2">'
SCENE = """
title: '{title}'
source: ONS Census 2021
datasets:
  areas: {{path: data/shropshire_lsoa21.geojson, key: lsoa21_code}}
  people: {{path: data/census21_age_shropshire.csv, key: lsoa21_code, counts: [Aged 65 years and over, total]}}
derive:
  older: 100 * people["Aged 65 years and over"] / people.total
panels:
  - {{id: hello, type: text, style: title, text: '<script>window.PWNED = 3</script>Hello', yaw: 0, pitch: 0, width: 60, height: 14}}
  - {{id: count, type: kpi, value: 'sum(people["Aged 65 years and over"])', label: residents aged 65 and over, yaw: 0, pitch: 0, width: 50, height: 20}}
  - {{id: map, type: map, colour: older, legend: '% aged 65+', title: Older residents, yaw: 0, pitch: -5, width: 70, height: 40}}
steps:
  - {{title: '<b>One</b>', show: [hello], notes: 'Welcome <i>all</i>.'}}
  - {{title: Two, show: [count], notes: The number.}}
  - {{title: Three, show: [map]}}
"""


def bridge(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "bridge", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def files_under(folder):
    return {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The scene exported once with --pdf (at 1024×512, the rehearsal room): (workdir, site folder, result)."""
    workdir = tmp_path_factory.mktemp("export")
    shutil.copytree(SAMPLE, workdir / "data")
    scene = workdir / "scene.yaml"
    scene.write_text(SCENE.format(title=HOSTILE_TITLE.replace("'", "''")), encoding="utf-8")
    before = files_under(workdir)
    result = bridge("export", scene, "--out", workdir / "site", "--pdf", "--size", "1024x512", "--room", "rehearsal",
                    cwd=workdir)
    assert result.returncode == 0, result.stderr
    outside = {p: t for p, t in files_under(workdir).items() if p.parts[0] != "site"}
    assert outside == before  # nothing written (or touched) outside --out, no out/ in the working folder
    return workdir, workdir / "site", result


@pytest.mark.slow
def test_the_site_and_what_the_command_says(exported):
    _, site, result = exported
    for name in ("index.html", "style.css", "viewer.js", "pannellum/pannellum.js", "pannellum/pannellum.css",
                 "pannellum/LICENSE", "steps/step-01.js", "steps/step-02.js", "steps/step-03.js", "briefing.pdf"):
        assert (site / name).is_file(), name
        assert str(site / name) in result.stdout
    assert not (site / "steps" / "step-04.js").exists()
    vendored = ROOT / "bridge" / "web" / "static" / "vendor" / "pannellum"
    for name in ("pannellum.js", "pannellum.css", "LICENSE"):
        assert (site / "pannellum" / name).read_bytes() == (vendored / name).read_bytes()
    assert "Permission is hereby granted, free of charge" in (site / "pannellum" / "LICENSE").read_text()
    script = (site / "steps" / "step-02.js").read_text()
    head = '(window.BRIDGE_VIEWS = window.BRIDGE_VIEWS || {})[1] = "data:image/jpeg;base64,'
    assert script.startswith(head)
    import base64

    jpeg = Image.open(io.BytesIO(base64.b64decode(script[len(head):script.rindex('"')])))
    assert jpeg.format == "JPEG" and jpeg.size == (1024, 512)
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_scene_text_is_escaped_in_the_page(exported):
    _, site, _ = exported
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "<script>window.PWNED" not in html and "<img" not in html and "<b>One</b>" not in html
    assert "Cold homes &lt;script&gt;window.PWNED = 1&lt;/script&gt; &amp; &lt;img src=x onerror=&quot;" in html
    assert "&lt;b&gt;One&lt;/b&gt;" in html and "Welcome &lt;i&gt;all&lt;/i&gt;." in html


@pytest.mark.slow
def test_the_pdf_is_tagged_with_each_step_from_a_new_page(exported):
    from pdfua import validate

    from tests.test_handout import structure

    _, site, _ = exported
    path = site / "briefing.pdf"
    assert [(f.rule_id, f.message) for f in validate(str(path)).findings] == []
    elements = structure(path)
    assert [text for tag, _, text, _ in elements if tag == "/H1"] == [" ".join(HOSTILE_TITLE.split())]
    steps = [(page, text) for tag, page, text, _ in elements if tag == "/H2"]
    assert [text for _, text in steps] == ["Step 1 of 3: <b>One</b>", "Step 2 of 3: Two", "Step 3 of 3: Three"]
    assert [page for page, _ in steps] == [0, 1, 2]  # each step from a new page (and here, on one page)
    alts = [alt for tag, _, _, alt in elements if tag == "/Figure"]
    assert len(alts) == 9 and alts[6].startswith("Projector 1 · front, step 3 of 3 (Three): shows Older residents")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def canvas_pixels(page) -> np.ndarray:
    shot = page.locator("#viewer canvas").screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(float)


def wait_for_step(page, n: int) -> None:
    page.wait_for_selector(f'#viewer[data-loaded-step="{n}"]', timeout=30000)
    page.wait_for_timeout(300)  # a frame drawn after the load


@pytest.mark.slow
def test_opens_from_disk_shows_the_view_and_steps_with_keys(exported, browser):
    _, site, _ = exported
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((site / "index.html").as_uri())
    wait_for_step(page, 1)
    first = canvas_pixels(page)
    assert first.std() > 8 and (first.max(axis=-1) > 180).mean() > 0.001  # the title's letters, bright on the dark room
    assert page.locator("#status").inner_text() == "Step 1 of 3: <b>One</b>"
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.locator("#step-1").is_visible() and not page.locator("#step-2").is_visible()
    assert page.evaluate("window.PWNED") is None and page.locator("img").count() == 0

    page.keyboard.press("ArrowRight")
    wait_for_step(page, 2)
    assert page.locator("#status").inner_text() == "Step 2 of 3: Two"
    assert page.locator("#step-2").is_visible() and not page.locator("#step-1").is_visible()
    second = canvas_pixels(page)
    assert second.shape == first.shape and np.abs(second - first).mean() > 2  # another frame
    assert page.evaluate("location.hash") == "#step-2"
    assert "residents aged 65 and over" in page.locator("#step-2").inner_text()

    page.keyboard.press("End")
    wait_for_step(page, 3)
    assert page.locator("#status").inner_text() == "Step 3 of 3: Three"
    assert page.locator("#next").get_attribute("aria-disabled") == "true"
    page.keyboard.press("PageUp")
    wait_for_step(page, 2)
    page.keyboard.press("Home")
    wait_for_step(page, 1)
    page.locator("#next").click()
    wait_for_step(page, 2)
    assert page.locator("#status").inner_text() == "Step 2 of 3: Two"
    page.locator("#viewer").focus()  # in the view the arrows look round; Page Down still steps
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    assert page.locator("#status").inner_text() == "Step 2 of 3: Two"
    page.keyboard.press("PageDown")
    wait_for_step(page, 3)
    assert errors == [] and page.evaluate("window.PWNED") is None
    page.close()


@pytest.mark.slow
def test_a_link_to_a_step_opens_that_step(exported, browser):
    _, site, _ = exported
    page = browser.new_page()
    page.goto((site / "index.html").as_uri() + "#step-3")
    wait_for_step(page, 3)
    assert page.locator("#status").inner_text() == "Step 3 of 3: Three"
    rows = page.locator("#step-3 table tbody tr")
    assert rows.count() == 198  # the map's areas, as a table
    page.close()


@pytest.mark.slow
def test_no_wcag_a_or_aa_violations(exported, browser):
    from axe_playwright_python.sync_playwright import Axe

    _, site, _ = exported
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto((site / "index.html").as_uri() + "#step-3")
    wait_for_step(page, 3)
    page.locator("#step-3 details").first.evaluate("d => d.open = true")  # the long table, open
    found = []
    for step in (3, 2):
        if step == 2:
            page.keyboard.press("PageUp")
            wait_for_step(page, 2)
        results = Axe().run(page)
        found += [(step, v["id"], [n["html"][:120] for n in v["nodes"][:3]])
                  for v in results.response["violations"] if WCAG & set(v["tags"])]
        assert results.response["passes"], "axe ran no rules"
    assert found == []
    for landmark in ("header", "main", "nav", "footer"):
        assert page.locator(landmark).count() >= 1
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("a.skip-link").get_attribute("href") == "#main"
    assert page.locator("#status").get_attribute("aria-live") == "polite"
    page.close()


@pytest.mark.slow
def test_refuses_an_out_that_is_a_file(workdir):
    scene = workdir / "scene.yaml"
    scene.write_text(SCENE.format(title="Plain"), encoding="utf-8")
    target = workdir / "taken.txt"
    target.write_text("mine")
    result = bridge("export", scene, "--out", target, "--size", "512x256", cwd=workdir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--out: {target} is a file; --out needs a folder" in result.stderr
    assert target.read_text() == "mine" and not (workdir / "out").exists()


def test_never_replaces_what_it_did_not_write(workdir):
    from bridge.errors import BridgeError
    from bridge.export.site import export_briefing
    from bridge.room.load import load_room

    scene = workdir / "scene.yaml"
    scene.write_text(SCENE.format(title="Plain"), encoding="utf-8")
    site = workdir / "site"
    site.mkdir()
    (site / "index.html").write_text("the analyst's own page")
    (site / "notes.txt").write_text("keep me")
    room = load_room("rehearsal")
    with pytest.raises(BridgeError) as info:
        export_briefing(scene, room, site, (512, 256))
    assert str(info.value) == (f"--out: {site / 'index.html'} exists and was not written by bridge export; "
                               "move it, or give another --out folder")
    assert (site / "index.html").read_text() == "the analyst's own page" and sorted(p.name for p in site.iterdir()) == [
        "index.html", "notes.txt"]  # refused before writing anything

    (site / "index.html").unlink()
    export_briefing(scene, room, site, (512, 256))
    assert (site / "steps" / "step-03.js").is_file()
    # Again, with one step fewer: its own files replaced, the third step's view removed, the analyst's file kept.
    scene.write_text(SCENE.format(title="Plain").replace("  - {title: Three, show: [map]}\n", ""), encoding="utf-8")
    lines = export_briefing(scene, room, site, (512, 256))
    assert lines[0].startswith("exported 2 step(s) of 'Plain' at 512×256")
    assert not (site / "steps" / "step-03.js").exists() and (site / "notes.txt").read_text() == "keep me"
    # A file it wrote, then changed by hand, is not overwritten.
    (site / "style.css").write_text("/* edited */")
    with pytest.raises(BridgeError, match="style.css was changed since bridge export wrote it"):
        export_briefing(scene, room, site, (512, 256))
    assert (site / "style.css").read_text() == "/* edited */"


@pytest.mark.slow
def test_the_default_folder_is_under_out(workdir):
    scene = workdir / "scene.yaml"
    scene.write_text(SCENE.format(title="Plain").replace("  - {title: Two, show: [count], notes: The number.}\n  - {title: Three, show: [map]}\n", ""),
                     encoding="utf-8")
    result = bridge("export", scene, "--size", "512x256", "--room", "rehearsal", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert (workdir / "out" / "scene" / "export" / "index.html").is_file()
    assert not (workdir / "out" / "scene" / "export" / "briefing.pdf").exists()  # only with --pdf


def test_export_reports_layout_faults_and_data_warnings_as_render_does(workdir):
    from typing import Literal

    from bridge import panels
    from bridge.export.site import export_briefing
    from bridge.panels.common.base import PanelModel
    from bridge.room.load import load_room
    from tests.conftest import MINIMAL, write_scene

    class Clash(PanelModel):
        type: Literal["clash"]

        def draw(self, canvas, content, source, marked) -> None:
            canvas.fig.text(0.4, 0.5, "Left words", fontsize=canvas.pt(2))
            canvas.fig.text(0.42, 0.5, "Right words", fontsize=canvas.pt(2))

    panels.register(Clash)
    try:
        path = write_scene(workdir, MINIMAL.replace("type: text, text: Hello,", "type: clash,"))
        heard: list[str] = []
        export_briefing(path, load_room("rehearsal"), workdir / "site", (512, 256), warn=heard.append)
        assert any("'note': text 'Left words' overlaps text 'Right words'" in w for w in heard), heard
        assert len(heard) == len(set(heard))  # each fault once, not once per step that shows it
    finally:
        panels.unregister("clash")
